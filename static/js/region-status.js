// A failed htmx request never fails silently (issue 13). htmx does not swap an error response,
// so without this a match panel keeps its last (or empty) result and a stale board keeps ticking.
// Every htmx region whose request fails (an error status, 429 included, no answer at all, or a
// timeout) gets a notice just before it:
//   - a match panel: "Search unavailable — retrying" ("Too many searches — trying again in a
//     moment" for a 429), and the search is sent again after a pause (the Retry-After of a 429,
//     or a few seconds);
//   - any other region (the board, the alerts count): "<name> not refreshed since HH:MM", the
//     time of its last successful refresh; the region's own polling retries.
// The notice goes when the region is next refreshed. Kept apart from app.js, which other pages'
// code shares.

const REQUEST_TIMEOUT_MS = 15000
const RETRY_MS = 5000
const MAX_RETRY_MS = 60000

const pageLoadedAt = new Date()
const lastRefreshed = new Map() // region id -> Date of its last successful swap
const retryTimers = new Map() // region id -> timer of the pending search retry

function regionHHMM (date) {
  return String(date.getHours()).padStart(2, '0') + ':' + String(date.getMinutes()).padStart(2, '0')
}

function regionRetryDelay (xhr) {
  const header = xhr && xhr.getResponseHeader ? xhr.getResponseHeader('Retry-After') : null
  const seconds = Number.parseInt(header || '', 10)
  if (Number.isNaN(seconds) || seconds <= 0) return RETRY_MS
  return Math.min(seconds * 1000, MAX_RETRY_MS)
}

function regionNotice (region, create) {
  const id = region.id + '-status'
  let notice = document.getElementById(id)
  if (!notice && create) {
    const inline = window.getComputedStyle(region).display.startsWith('inline')
    notice = document.createElement(inline ? 'span' : 'p')
    notice.id = id
    notice.className = 'govuk-error-message app-region-status'
    notice.setAttribute('role', 'alert')
    notice.setAttribute('data-region-status', region.id)
    region.parentNode.insertBefore(notice, region)
  }
  return notice
}

function regionFailed (event) {
  const region = event.detail && event.detail.target
  if (!region || !region.id || !region.isConnected) return
  const notice = regionNotice(region, true)
  if (region.matches('[data-match-panel]')) {
    const xhr = event.detail.xhr
    notice.textContent = xhr && xhr.status === 429
      ? 'Too many searches — trying again in a moment'
      : 'Search unavailable — retrying'
    regionRetrySearch(region, event.detail.elt, regionRetryDelay(event.detail.xhr))
  } else {
    const name = region.getAttribute('data-region-name') || 'This section'
    const since = lastRefreshed.get(region.id) || pageLoadedAt
    notice.textContent = name + ' not refreshed since ' + regionHHMM(since)
  }
}

function regionRetrySearch (region, source, delay) {
  clearTimeout(retryTimers.get(region.id))
  retryTimers.set(region.id, setTimeout(function () {
    retryTimers.delete(region.id)
    if (!source || !source.isConnected || !regionNotice(region, false)) return
    // The person block sends its search on "input"; a synthetic one sends the same search.
    source.dispatchEvent(new Event('input', { bubbles: true }))
  }, delay))
}

function regionRefreshed (event) {
  const region = event.detail && event.detail.target
  if (!region || !region.id) return
  lastRefreshed.set(region.id, new Date())
  const notice = regionNotice(region, false)
  if (notice) notice.remove()
  clearTimeout(retryTimers.get(region.id))
  retryTimers.delete(region.id)
}

function regionStatusInit () {
  if (window.htmx && !window.htmx.config.timeout) window.htmx.config.timeout = REQUEST_TIMEOUT_MS
  document.body.addEventListener('htmx:responseError', regionFailed)
  document.body.addEventListener('htmx:sendError', regionFailed)
  document.body.addEventListener('htmx:timeout', regionFailed)
  document.body.addEventListener('htmx:afterSwap', regionRefreshed)
}

regionStatusInit()
