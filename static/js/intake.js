// The intake page's draft (issue 8, items 3 and 4). Separate from app.js on purpose.
//
// What the call taker types is kept in this browser tab (sessionStorage: never sent anywhere,
// gone when the tab closes, cleared on sign-out by session.js) so that it survives an idle
// sign-out: the next visit to the intake page puts it back. Submitting marks the draft sent;
// a normal visit to the intake page after that starts a new call and clears it. Going Back to
// a sent form puts it back with the same idempotency key, so sending it again opens the
// incident already logged instead of logging a second one.
import { DRAFT_PREFIX } from './session.js'

const KEY = DRAFT_PREFIX + 'intake'
const SKIP = new Set(['csrfmiddlewaretoken'])

function read () {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null')
  } catch (e) {
    return null
  }
}

function write (draft) {
  sessionStorage.setItem(KEY, JSON.stringify(draft))
}

function snapshot (form, sent) {
  const fields = []
  new FormData(form).forEach(function (value, name) {
    if (!SKIP.has(name) && typeof value === 'string') fields.push([name, value])
  })
  write({ user: document.body.dataset.user, sent: Boolean(sent), fields })
}

function restore (form, draft) {
  const byName = {}
  draft.fields.forEach(function (pair) {
    (byName[pair[0]] = byName[pair[0]] || []).push(pair[1])
  })
  Array.from(form.elements).forEach(function (el) {
    if (!el.name || SKIP.has(el.name) || el.type === 'submit' || el.type === 'button') return
    const values = byName[el.name] || []
    if (el.type === 'radio' || el.type === 'checkbox') {
      el.checked = values.includes(el.value)
      el.dispatchEvent(new Event('change', { bubbles: true }))
    } else if (values.length) {
      el.value = values.shift()
    } else if (el.type !== 'hidden') {
      el.value = ''
    }
  })
  // People linked before: link them again (the panel renders the hidden id), else search again.
  form.querySelectorAll('[data-person-block]').forEach(function (block) {
    const key = block.dataset.personBlock
    const linked = (byName[key + '-person_id'] || [])[0]
    if (linked && window.htmx) {
      window.htmx.ajax('POST', block.getAttribute('hx-post'), {
        source: block, target: '#matches-' + key, values: { panel: key, link: linked }
      })
    } else if (window.htmx) {
      const typed = Array.from(block.querySelectorAll('input[type=text], input[type=tel]'))
        .some(function (el) { return el.value.trim() !== '' })
      if (typed) window.htmx.trigger(block, 'input')
    }
  })
}

// The history entry of a sent form remembers it (history.state survives a reload of the entry,
// so Back finds it); a new visit to the page is a new entry, without it.
function sentFromThisEntry () {
  return Boolean(window.history.state && window.history.state.intakeSent)
}

function setUpDraft () {
  const form = document.getElementById('intake-form')
  if (!form) return
  const draft = read()
  const reRendered = form.dataset.bound === 'true' // the server sent back what was typed
  if (draft && draft.user === document.body.dataset.user && !reRendered) {
    if (!draft.sent) {
      restore(form, draft)
      document.getElementById('draft-restored').hidden = false
    } else if (sentFromThisEntry()) {
      restore(form, draft)
      document.getElementById('draft-already-sent').hidden = false
    } else {
      sessionStorage.removeItem(KEY) // a new call
    }
  }
  const save = function () { snapshot(form, false) }
  if (reRendered) save() // sent, but it came back with errors: not sent yet
  form.addEventListener('input', save)
  form.addEventListener('change', save)
  form.addEventListener('htmx:afterSwap', save)
  form.addEventListener('submit', function () {
    snapshot(form, true)
    window.history.replaceState({ intakeSent: true }, '')
  })
  document.querySelectorAll('[data-draft-discard]').forEach(function (button) {
    button.addEventListener('click', function () {
      sessionStorage.removeItem(KEY)
      window.location.replace(window.location.pathname)
    })
  })
}

setUpDraft()

// Alt+D: add this call to the open incident the panels name first (a possible duplicate call).
function setUpAddCallKey () {
  document.addEventListener('keydown', function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.key.toLowerCase() !== 'd') return
    const button = document.querySelector('#intake-form [data-add-call]')
    if (!button) return
    event.preventDefault()
    button.click()
  })
}

setUpAddCallKey()
