// The idle sign-out, seen from the page (issue 8, item 3). Separate from app.js on purpose.
//
// The server signs a user out after data-idle-seconds without a request that is not background
// polling (dapolice.accounts.middleware). Typing sends no request, so a long call note would be
// lost: typing in any form field sends a keep-alive (at most once a minute), a banner warns
// data-idle-warning-seconds before the end, and once the time is up it says so and offers to
// sign in again. Background polls (X-Dapolice-Background) never count, here as on the server.
//
// Drafts (static/js/intake.js) live in sessionStorage under DRAFT_PREFIX: this tab only, gone
// when it closes; cleared here when the user signs out on purpose or another user signs in.

export const DRAFT_PREFIX = 'dapolice-draft:'
const KEEP_ALIVE_EVERY_MS = 60 * 1000
const body = document.body
const idleMs = Number(body.dataset.idleSeconds || 0) * 1000
const warnMs = Number(body.dataset.idleWarningSeconds || 0) * 1000

function csrfToken () {
  try {
    return JSON.parse(body.getAttribute('hx-headers') || '{}')['X-CSRFToken'] || ''
  } catch (e) {
    return ''
  }
}

export function clearDrafts (keep) {
  for (let i = sessionStorage.length - 1; i >= 0; i--) {
    const key = sessionStorage.key(i)
    if (key && key.startsWith(DRAFT_PREFIX) && !(keep && keep(key))) sessionStorage.removeItem(key)
  }
}

function setUpSignOut () {
  document.querySelectorAll('form[data-sign-out]').forEach(function (form) {
    form.addEventListener('submit', function () { clearDrafts() })
  })
  // A draft belongs to the user who typed it: another user signing in on this tab never sees it.
  if (!body.dataset.user) {
    // Signed out (the sign-in page): a draft marked sent never arrived; keep it unsent.
    const intake = sessionStorage.getItem(DRAFT_PREFIX + 'intake')
    if (intake) {
      try {
        sessionStorage.setItem(DRAFT_PREFIX + 'intake', JSON.stringify({ ...JSON.parse(intake), sent: false }))
      } catch (e) {
        sessionStorage.removeItem(DRAFT_PREFIX + 'intake')
      }
    }
    return
  }
  const owner = sessionStorage.getItem(DRAFT_PREFIX + 'owner')
  if (owner && owner !== body.dataset.user) clearDrafts()
  sessionStorage.setItem(DRAFT_PREFIX + 'owner', body.dataset.user)
}

function setUpIdleWarning () {
  const banner = document.getElementById('idle-warning')
  if (!banner || !idleMs) return
  const text = banner.querySelector('[data-idle-text]')
  const stay = banner.querySelector('[data-idle-stay]')
  const signIn = banner.querySelector('[data-idle-login]')
  let lastActivity = Date.now()
  let lastSent = Date.now()
  let ended = false
  let shown = ''

  function keepAlive () {
    if (ended) return
    lastSent = Date.now()
    lastActivity = lastSent
    fetch(body.dataset.activityUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRFToken': csrfToken() }
    }).then(function (response) {
      // Redirected to sign in: the server ended the session first (another tab, a restart).
      if (response.redirected) end()
    }).catch(function () {})
    tick()
  }

  function end () {
    ended = true
    signIn.href = body.dataset.loginUrl + '?next=' + encodeURIComponent(window.location.pathname)
    show('ended')
  }

  function show (state, left) {
    banner.hidden = state === ''
    if (state === 'warning') {
      // A fixed time of day, set once: a countdown changing every second inside role=alert
      // would be read out again and again (issue 8, item 8).
      const at = new Date(Date.now() + left)
      const time = String(at.getHours()).padStart(2, '0') + ':' + String(at.getMinutes()).padStart(2, '0')
      const wanted = text.dataset.warning.replace('{time}', time)
      if (text.textContent !== wanted) text.textContent = wanted
    } else if (state === 'ended' && shown !== 'ended') {
      text.textContent = text.dataset.ended
      stay.hidden = true
      signIn.hidden = false
    }
    shown = state
  }

  function tick () {
    if (ended) return
    const left = idleMs - (Date.now() - lastActivity)
    if (left <= 0) end()
    else if (left <= warnMs) show('warning', left)
    else if (shown) show('')
  }

  // Typing (or choosing) in a form field is activity; sent at most once a minute.
  document.addEventListener('input', function (event) {
    if (!event.target.closest || !event.target.closest('form')) return
    if (Date.now() - lastSent >= KEEP_ALIVE_EVERY_MS || shown === 'warning') keepAlive()
  })
  stay.addEventListener('click', keepAlive)
  // Requests htmx sends for the user count on the server; background polls do not.
  body.addEventListener('htmx:configRequest', function (event) {
    if (!event.detail.headers['X-Dapolice-Background']) {
      lastActivity = Date.now()
      lastSent = lastActivity
    }
  })
  setInterval(tick, 1000)
}

setUpSignOut()
setUpIdleWarning()
