// dapolice front-end entry point (an ES module; no inline script, so the CSP can forbid it).
import { initAll as initGovuk } from '../vendor/govuk/govuk-frontend.min.js'
import { initAll as initMoj } from '../vendor/moj/moj-frontend.mjs'
import './region-status.js' // failed htmx requests say so (issue 13)

document.body.classList.add('js-enabled')
if ('noModule' in HTMLScriptElement.prototype) {
  document.body.classList.add('govuk-frontend-supported')
}
initGovuk()
initMoj()

// Countdowns: every element with data-deadline (ISO 8601) shows the time left and turns red
// when overdue. The server decides the order and the deadline; this only ticks the clock.
function formatRemaining (ms) {
  const overdue = ms < 0
  let s = Math.floor(Math.abs(ms) / 1000)
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const text = (h ? h + 'h ' : '') + String(m).padStart(h ? 2 : 1, '0') + 'm ' + String(s).padStart(2, '0') + 's'
  return overdue ? 'overdue by ' + text : text + ' left'
}

function tickCountdowns () {
  const now = Date.now()
  document.querySelectorAll('[data-deadline]').forEach(function (el) {
    const due = Date.parse(el.getAttribute('data-deadline'))
    if (Number.isNaN(due)) return
    const ms = due - now
    el.textContent = formatRemaining(ms)
    el.classList.toggle('app-countdown--overdue', ms < 0)
  })
}
tickCountdowns()
setInterval(tickCountdowns, 1000)
document.body.addEventListener('htmx:afterSwap', tickCountdowns)

// Match panels on the intake page: Alt+1..9 links the nth match of the person block that holds
// the focus (one key press, no mouse). The server renders the linked state; we move the focus to
// it so a screen reader announces it and Tab carries on to the next block.
// Alt+Shift+1..9 says the nth match is "not this person" (issue 14): a negative label, and the
// candidate leaves the panel. With Shift held, event.key is the shifted character ("!"), so the
// digit is read from event.code.
document.addEventListener('keydown', function (event) {
  if (!event.altKey || event.ctrlKey || event.metaKey) return
  const digit = /^Digit([1-9])$/.exec(event.code || '')
  const n = event.shiftKey ? (digit ? Number(digit[1]) : NaN) : Number.parseInt(event.key, 10)
  if (Number.isNaN(n) || n < 1 || n > 9) return
  const block = document.activeElement && document.activeElement.closest('[data-person-block]')
  if (!block) return
  const attribute = event.shiftKey ? 'data-reject-index' : 'data-link-index'
  const button = block.querySelector('[' + attribute + '="' + n + '"]')
  if (!button) return
  event.preventDefault()
  // A panel swapped in a moment ago may not have been set up by htmx yet (it does so after the
  // swap settles): set it up now, or a quick Alt+n would click a button that sends nothing.
  if (window.htmx) window.htmx.process(button)
  button.click()
})

// A link chosen (Alt+n or a click) wins over searches: a search still waiting on its delay
// (typing stopped less than the delay ago) would otherwise replace the link's request, or answer
// after it and put the unlinked results back. From the click until the panel is swapped, the
// block's own searches are not sent (capture phase: before htmx sends the link's request).
document.addEventListener('click', function (event) {
  const button = event.target.closest && event.target.closest('[data-link-index], [data-reject-index]')
  const block = button && button.closest('[data-person-block]')
  if (!block) return
  block.dataset.linking = '1'
  if (button.hasAttribute('data-reject-index')) block.dataset.rejecting = '1'
  window.setTimeout(function () { delete block.dataset.linking }, 10000) // never stuck
}, true)
document.body.addEventListener('htmx:beforeRequest', function (event) {
  const elt = event.detail.elt
  if (elt.matches && elt.matches('[data-person-block]') && elt.dataset.linking) {
    event.preventDefault()
  }
})
document.body.addEventListener('htmx:afterSwap', function (event) {
  const block = event.target.closest && event.target.closest('[data-person-block]')
  if (block && event.target.matches('[data-match-panel]')) delete block.dataset.linking
})

document.body.addEventListener('htmx:afterSwap', function (event) {
  const heading = event.target.querySelector && event.target.querySelector('[data-linked-heading]')
  if (heading && event.target.matches('[data-match-panel]')) heading.focus()
})

// After "not this person" the button that had the focus is gone: keep the focus in the block
// (on the new first match, else the first field), so Alt+n and Alt+Shift+n still work.
document.body.addEventListener('htmx:afterSwap', function (event) {
  const block = event.target.closest && event.target.closest('[data-person-block]')
  if (!block || !block.dataset.rejecting || !event.target.matches('[data-match-panel]')) return
  delete block.dataset.rejecting
  const next = event.target.querySelector('[data-link-index="1"]') || block.querySelector('input:not([type="hidden"])')
  if (next) next.focus()
})
