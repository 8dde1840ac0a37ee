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
  refreshPanels(form, byName)
}

function typedIn (block) {
  return Array.from(block.querySelectorAll('input[type=text], input[type=tel], input[type=number]'))
    .some(function (el) { return el.value.trim() !== '' })
}

// Panels that show nothing yet for what is typed: people linked before are linked again (the
// panel renders the hidden id), the others searched again, so no flag is missing after a
// draft is put back or the form comes back with errors (issue 8, item 8).
function refreshPanels (form, byName) {
  // htmx sets up the blocks' triggers when the document has loaded (after this module runs):
  // an "input" sent before that would search nothing.
  if (document.readyState !== 'complete') {
    window.addEventListener('load', function () { refreshPanels(form, byName) }, { once: true })
    return
  }
  if (!window.htmx) return
  form.querySelectorAll('[data-person-block]').forEach(function (block) {
    const key = block.dataset.personBlock
    const panel = block.querySelector('[data-match-panel]')
    if (panel && panel.querySelector('[data-linked]')) return
    const linked = ((byName || {})[key + '-person_id'] || [])[0]
    if (linked) {
      window.htmx.ajax('POST', block.getAttribute('hx-post'), {
        source: block, target: '#matches-' + key, values: { panel: key, link: linked }
      })
    } else if (typedIn(block)) {
      window.htmx.trigger(block, 'input')
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
  let submitting = false
  // Typing makes the draft unsent; once the form is being sent, nothing does.
  const save = function () { if (!submitting) snapshot(form, false) }
  // A panel answering (a search sent when a draft was put back can answer after the form was
  // sent again) keeps the draft's sent mark as it is.
  const keep = function () {
    const stored = read()
    snapshot(form, submitting || Boolean(stored && stored.sent))
  }
  if (reRendered) {
    save() // sent, but it came back with errors: not sent yet
    refreshPanels(form, null)
  }
  form.addEventListener('input', save)
  form.addEventListener('change', save)
  form.addEventListener('htmx:afterSwap', keep)
  form.addEventListener('submit', function () {
    submitting = true
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


// --- The keyboard path (issue 8, item 6) ----------------------------------------------------

// The caller block only when someone else is calling; people present one at a time, on demand.
function setUpOnDemandBlocks () {
  const form = document.getElementById('intake-form')
  if (!form) return
  const callerBlock = form.querySelector('[data-caller-block]')
  const callerRadios = form.querySelectorAll('input[name="caller"]')
  function syncCaller () {
    const other = form.querySelector('input[name="caller"]:checked')
    const wanted = (other && other.value !== 'victim') || typedIn(callerBlock)
    callerBlock.hidden = !wanted
  }
  callerRadios.forEach(function (radio) { radio.addEventListener('change', syncCaller) })
  syncCaller()

  const others = Array.from(form.querySelectorAll('[data-other-block]'))
  const add = form.querySelector('[data-add-other]')
  others.forEach(function (wrapper, i) {
    const used = typedIn(wrapper) || wrapper.querySelector('[data-linked]')
    wrapper.hidden = !used
  })
  function syncAdd () { add.hidden = !others.some(function (w) { return w.hidden }) }
  add.addEventListener('click', function () {
    const next = others.find(function (w) { return w.hidden })
    if (!next) return
    next.hidden = false
    // A child usually shares the victim's family name: it starts as that, to change if not.
    const family = next.querySelector('input[name$="-family_name"]')
    const victimFamily = form.querySelector('[name="victim-family_name"]')
    if (family && !family.value && victimFamily && victimFamily.value.trim()) {
      family.value = victimFamily.value.trim()
    }
    const first = next.querySelector('input[name$="-given_name"]') || next.querySelector('input[type=text]')
    if (first) first.focus()
    syncAdd()
  })
  syncAdd()
}

// Enter in a field never sends a half-filled incident (only the buttons send it); Alt+G goes to
// the grade.
function setUpKeys () {
  const form = document.getElementById('intake-form')
  if (!form) return
  form.addEventListener('keydown', function (event) {
    if (event.key !== 'Enter' || event.altKey || event.ctrlKey || event.metaKey) return
    const el = event.target
    if (el.tagName === 'INPUT' && el.type !== 'submit' && el.type !== 'button') event.preventDefault()
  })
  document.addEventListener('keydown', function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.key.toLowerCase() !== 'g') return
    const target = form.querySelector('input[name="category"]:checked') ||
      form.querySelector('input[name="category"]')
    if (!target) return
    event.preventDefault()
    target.focus()
  })
}

// Radios by a single key: in a group of radios, the first letter of an answer ("y" for Yes, "a"
// for grade A, "p" for Partner) chooses it and moves on to the next question, as Tab would.
// Only when one answer starts with that letter; letters with Alt, Ctrl or Meta are left alone.
function focusables (form) {
  return Array.from(form.querySelectorAll('input, select, textarea, button, a[href]')).filter(function (el) {
    return !el.disabled && el.type !== 'hidden' && !el.closest('[hidden]') && el.getClientRects().length > 0
  })
}

function nextAfterGroup (form, radio) {
  const all = focusables(form)
  const group = Array.from(form.querySelectorAll('input[type=radio][name="' + radio.name + '"]'))
  const last = Math.max.apply(null, group.map(function (r) { return all.indexOf(r) }))
  const el = all[last + 1]
  if (!el) return null
  if (el.type === 'radio') {
    return form.querySelector('input[type=radio][name="' + el.name + '"]:checked') || el
  }
  return el
}

function labelOf (radio) {
  const label = radio.labels && radio.labels[0]
  return label ? label.textContent.trim().toLowerCase() : ''
}

function setUpRadioKeys () {
  const form = document.getElementById('intake-form')
  if (!form) return
  form.addEventListener('keydown', function (event) {
    const radio = event.target
    if (radio.type !== 'radio' || event.altKey || event.ctrlKey || event.metaKey) return
    const key = event.key.toLowerCase()
    if (key.length !== 1 || !/[a-z0-9]/.test(key)) return
    const group = Array.from(form.querySelectorAll('input[type=radio][name="' + radio.name + '"]'))
    const hits = group.filter(function (r) { return labelOf(r).startsWith(key) })
    if (hits.length !== 1) return
    event.preventDefault()
    hits[0].checked = true
    hits[0].dispatchEvent(new Event('input', { bubbles: true }))
    hits[0].dispatchEvent(new Event('change', { bubbles: true }))
    const next = nextAfterGroup(form, hits[0])
    if (next) next.focus()
    else hits[0].focus()
  })
}

// "When and where did it happen before?" and "How is the victim vulnerable?" only after a Yes
// (the GOV.UK conditional reveal): no empty boxes to tab past after a No.
function setUpConditionalDetails () {
  const form = document.getElementById('intake-form')
  if (!form) return
  const pairs = [['happened_before', 'happened_before_details'], ['victim_vulnerable', 'vulnerability_details']]
  pairs.forEach(function (pair) {
    const box = form.querySelector('[name="' + pair[1] + '"]')
    const group = box && box.closest('.govuk-form-group')
    if (!group) return
    function sync () {
      const yes = form.querySelector('input[name="' + pair[0] + '"][value="yes"]:checked')
      group.hidden = !yes && box.value.trim() === '' && !group.classList.contains('govuk-form-group--error')
    }
    form.querySelectorAll('input[name="' + pair[0] + '"]').forEach(function (r) { r.addEventListener('change', sync) })
    sync()
  })
}

// The address on record: once a house and a full postcode are typed, the street and town on
// record fill in and show as one line (with a button to change them), so they are neither typed
// nor tabbed past. A restricted address is never found (incidents.selectors.address_lookup).
const FULL_POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/i

function setUpAddressLookup () {
  const form = document.getElementById('intake-form')
  if (!form || !form.dataset.addressLookup) return
  const house = form.querySelector('[name="location_house"]')
  const postcode = form.querySelector('[name="location_postcode"]')
  const street = form.querySelector('[name="location_street"]')
  const town = form.querySelector('[name="location_town"]')
  const more = form.querySelector('[data-address-more]')
  const found = form.querySelector('[data-address-found]')
  const change = form.querySelector('[data-address-change]')
  if (!house || !postcode || !street || !town || !more) return
  let timer = null
  let filled = null // what the lookup put in, to take it out again if the address changes

  function show (collapsed) {
    found.hidden = !collapsed
    change.hidden = !collapsed
    // Never hide the box that has the focus without handing the focus on.
    if (collapsed && more.contains(document.activeElement)) change.focus()
    more.hidden = collapsed
  }

  function untouched () {
    if (filled) return street.value === filled.street && town.value === filled.town
    return street.value.trim() === '' && town.value.trim() === ''
  }

  function lookUp () {
    if (!untouched()) return
    const wanted = house.value.trim() !== '' && FULL_POSTCODE.test(postcode.value.trim())
    if (!wanted) {
      if (filled) { street.value = ''; town.value = ''; filled = null; show(false) }
      return
    }
    const body = new FormData()
    body.append('csrfmiddlewaretoken', form.querySelector('[name=csrfmiddlewaretoken]').value)
    body.append('location_house', house.value)
    body.append('location_postcode', postcode.value)
    fetch(form.dataset.addressLookup, { method: 'POST', body, credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : { found: false } })
      .then(function (answer) {
        if (!untouched()) return
        if (answer.found) {
          street.value = answer.street
          town.value = answer.town
          filled = { street: answer.street, town: answer.town }
          found.textContent = form.dataset.addressFoundText
            .replace('{street}', answer.street).replace('{town}', answer.town)
          show(true)
        } else if (filled) {
          street.value = ''
          town.value = ''
          filled = null
          show(false)
        }
        form.dispatchEvent(new Event('input', { bubbles: true })) // the draft keeps it
      })
      .catch(function () {})
  }

  function soon () {
    clearTimeout(timer)
    timer = setTimeout(lookUp, 150)
  }
  house.addEventListener('input', soon)
  postcode.addEventListener('input', soon)
  change.addEventListener('click', function () {
    show(false)
    filled = null
    street.focus()
  })
}

// --- The summary beside the form (issue 8, item 5) ------------------------------------------

// Copies what the panels found (linked people and likely matches with their flags, possible
// duplicate calls) into the sticky summary, so the flags stay in view at the grading step.
// Copies the server's own markup (cloneNode): nothing is built from text here.
function setUpSummary () {
  const form = document.getElementById('intake-form')
  const list = document.querySelector('[data-summary-list]')
  if (!form || !list) return
  const empty = list.querySelector('[data-summary-empty]')
  function rebuild () {
    Array.from(list.querySelectorAll('[data-summary-item]')).forEach(function (el) { el.remove() })
    const seenDuplicates = new Set()
    form.querySelectorAll('[data-person-block]').forEach(function (block) {
      const panel = block.querySelector('[data-match-panel]')
      if (!panel) return
      const label = block.querySelector('h2').textContent
      const found = panel.querySelectorAll('[data-linked], .app-match')
      found.forEach(function (match) {
        const linked = match.hasAttribute('data-linked')
        const likely = match.querySelector('.govuk-tag--green')
        if (!linked && !likely) return
        const flags = match.querySelector('[data-testid=flags]')
        const item = document.createElement('div')
        item.className = 'app-summary__person'
        item.setAttribute('data-summary-item', '')
        const title = document.createElement('p')
        title.className = 'govuk-body-s govuk-!-font-weight-bold govuk-!-margin-bottom-1'
        const who = linked
          ? match.querySelector('[data-linked-heading]').textContent
          : match.querySelector('strong').textContent + ' (' + likely.textContent.trim().toLowerCase() + ')'
        title.textContent = label + ': ' + who
        item.appendChild(title)
        if (flags) item.appendChild(flags.cloneNode(true))
        list.appendChild(item)
      })
      panel.querySelectorAll('[data-open-incident]').forEach(function (open) {
        const ref = open.getAttribute('data-open-incident')
        if (seenDuplicates.has(ref)) return
        seenDuplicates.add(ref)
        const item = open.cloneNode(true)
        item.removeAttribute('data-open-incident')
        item.setAttribute('data-summary-item', '')
        item.classList.add('app-duplicate')
        list.appendChild(item)
      })
    })
    if (empty) empty.hidden = list.querySelector('[data-summary-item]') !== null
  }
  document.body.addEventListener('htmx:afterSwap', rebuild)
  rebuild()

  // The checklist's Yes answers that weigh on the grade, named as the questions are answered.
  const box = document.querySelector('[data-summary-checklist]')
  const text = box && box.querySelector('[data-testid=summary-checklist]')
  const questions = ['immediate_risk', 'injuries', 'weapons', 'children_present', 'firearm_at_address', 'victim_vulnerable']
  function checklist () {
    if (!box) return
    const yes = questions.filter(function (name) {
      return form.querySelector('input[name="' + name + '"][value="yes"]:checked')
    }).map(function (name) {
      const legend = form.querySelector('input[name="' + name + '"]').closest('fieldset').querySelector('legend')
      return legend ? legend.textContent.trim() : name
    })
    text.textContent = yes.join(' · ')
    box.hidden = yes.length === 0
  }
  form.addEventListener('change', checklist)
  checklist()
}

setUpOnDemandBlocks()
setUpKeys()
setUpRadioKeys()
setUpConditionalDetails()
setUpAddressLookup()
setUpSummary()
