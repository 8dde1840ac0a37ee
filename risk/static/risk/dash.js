// The DASH page (an ES module; no inline script, so the CSP can forbid it).
//
// * Shows a supplement (stalking, honour-based abuse) as soon as the answers call for it; the
//   server decides the same again on every save, so without script nothing is lost.
// * Keeps the count of "yes" and the suggested level live, and the stand-alone high-risk note.
// * Saves a draft to the server a few seconds after each change. When the server cannot be
//   reached, what was typed is kept in this browser (localStorage) until a later save gets
//   through, and is put back if the page is opened again; it is removed as soon as the server
//   has it, and when the DASH has been submitted (the detail page clears it).

const STANDALONE = ['stalking', 'threats_to_kill', 'strangulation']
const AUTOSAVE_MS = 3000

function clearStored () {
  document.querySelectorAll('[data-dash-clear]').forEach(function (el) {
    try { window.localStorage.removeItem(el.getAttribute('data-dash-clear')) } catch (e) {}
  })
}

function fieldValues (form) {
  const out = []
  form.querySelectorAll('input, textarea, select').forEach(function (el) {
    if (!el.name || el.name === 'csrfmiddlewaretoken' || el.type === 'submit') return
    if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) return
    out.push([el.name, el.value])
  })
  return out
}

function restore (form, fields) {
  const byName = {}
  fields.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]) })
  form.querySelectorAll('input, textarea, select').forEach(function (el) {
    if (!el.name || el.name === 'csrfmiddlewaretoken') return
    const values = byName[el.name] || []
    if (el.type === 'radio' || el.type === 'checkbox') {
      el.checked = values.indexOf(el.value) !== -1
    } else if (values.length) {
      el.value = values[0]
    }
  })
}

function answer (form, key) {
  const checked = form.querySelector('input[name="q_' + key + '"]:checked')
  return checked ? checked.value : ''
}

function refresh (form) {
  let score = 0
  form.querySelectorAll('section[data-supplement=""] input[type=radio][value=yes]:checked').forEach(function () { score += 1 })
  const high = Number(form.dataset.highMin)
  const medium = Number(form.dataset.mediumMin)
  const visible = Number(form.dataset.visibleHighMin)
  const suggested = score >= high ? 'High' : (score >= medium ? 'Medium' : 'Standard')
  const scoreEl = form.querySelector('[data-dash-score]')
  if (scoreEl) scoreEl.textContent = String(score)
  const suggestedEl = form.querySelector('[data-dash-suggested]')
  if (suggestedEl) suggestedEl.textContent = suggested
  const visibleEl = form.querySelector('[data-dash-visible-high]')
  if (visibleEl) visibleEl.hidden = score < visible
  const standalone = form.querySelector('[data-dash-standalone]')
  if (standalone) standalone.hidden = !STANDALONE.some(function (k) { return answer(form, k) === 'yes' })
  form.querySelectorAll('section[data-supplement]:not([data-supplement=""])').forEach(function (section) {
    const keys = (section.dataset.triggerAny || '').split(' ').filter(Boolean)
    const flag = section.dataset.triggerFlag
    const flagEl = flag ? form.querySelector('input[name="' + flag + '"]') : null
    const open = section.dataset.staticOpen === '1' ||
      keys.some(function (k) { return answer(form, k) === 'yes' }) ||
      Boolean(flagEl && flagEl.checked)
    section.hidden = !open
  })
}

function setup (form) {
  const key = form.dataset.storageKey
  const status = form.querySelector('[data-dash-status]')
  const serverUpdated = Number(form.dataset.updated || '0') * 1000
  let timer = null

  function say (text) { if (status) status.textContent = text }

  function keep () {
    try {
      window.localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: fieldValues(form) }))
    } catch (e) {}
  }

  function save () {
    timer = null
    const body = new FormData(form)
    body.delete('action')
    const csrf = form.querySelector('input[name=csrfmiddlewaretoken]')
    // form.action would be the buttons named "action", not the attribute.
    fetch(form.getAttribute('action'), {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'X-Dapolice-Autosave': '1', 'X-CSRFToken': csrf ? csrf.value : '' }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data } })
    }).then(function (result) {
      if (result.ok) {
        try { window.localStorage.removeItem(key) } catch (e) {}
        say('Draft saved at ' + result.data.saved_at + '.')
      } else {
        say(result.data.error || 'Not saved.')
      }
    }).catch(function () {
      keep()
      say('Not saved to the server (no connection?). Kept on this device; it will be sent when the connection is back.')
    })
  }

  function schedule () {
    keep()
    if (timer) window.clearTimeout(timer)
    timer = window.setTimeout(save, AUTOSAVE_MS)
  }

  let stored = null
  try { stored = JSON.parse(window.localStorage.getItem(key) || 'null') } catch (e) {}
  // The server's time has whole seconds: a copy from within that second is not newer.
  if (stored && stored.at > serverUpdated + 999 && Array.isArray(stored.fields)) {
    restore(form, stored.fields)
    const banner = document.querySelector('[data-dash-restored]')
    if (banner) banner.hidden = false
    schedule()
  } else if (stored) {
    try { window.localStorage.removeItem(key) } catch (e) {}
  }

  form.addEventListener('change', function () { refresh(form); schedule() })
  form.addEventListener('input', function (event) { if (event.target.tagName === 'TEXTAREA') schedule() })
  // A full submit may fail on a poor connection: keep a copy until the server has it.
  form.addEventListener('submit', keep)
  window.addEventListener('online', function () { if (window.localStorage.getItem(key)) save() })
  refresh(form)
}

clearStored()
const form = document.getElementById('dash-form')
if (form) setup(form)
