// Progressive enhancement only: every journey works without this file.
import { initAll } from '../vendor/govuk/govuk-frontend.min.js'

initAll()

// A job page refreshes itself with a meta tag; with JavaScript we poll the JSON state instead, so the
// page does not flicker and screen readers hear the change through the live region.
const status = document.getElementById('job-status')
if (status && status.dataset.statusUrl) {
  const refresh = document.querySelector('meta[http-equiv="refresh"]')
  if (refresh) {
    refresh.remove()
    const poll = async () => {
      const response = await fetch(status.dataset.statusUrl, { headers: { Accept: 'application/json' } })
      if (!response.ok) return
      const run = await response.json()
      const bar = document.getElementById('job-progress')
      bar.value = run.progress
      document.getElementById('job-message').textContent =
        `${run.progress}% done${run.message ? ': ' + run.message : ''}`
      if (run.status === 'succeeded' || run.status === 'failed') {
        window.location.reload()
      } else {
        window.setTimeout(poll, 2000)
      }
    }
    window.setTimeout(poll, 2000)
  }
}
