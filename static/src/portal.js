// Progressive enhancement only: every journey works without this file.
import { initAll } from '../vendor/govuk/govuk-frontend.min.js'

initAll()

// Progress pages (a job, a return's check, a pack being built) work without script: they say so and offer a
// plain "Refresh the page" link. With script, an element with data-poll-url polls that job's JSON state,
// writes its progress into the page's live region (so screen readers hear it), and reloads the page once the
// job has finished. No meta refresh: it moves the page under the reader (WCAG 2.2.1).
// data-poll-every sets the interval in milliseconds (an upload's page asks every 300 ms, as its job is short).
for (const region of document.querySelectorAll('[data-poll-url]')) {
  const every = Number(region.dataset.pollEvery) || 2000
  const bar = region.querySelector('[data-poll-progress]')
  const message = region.querySelector('[data-poll-message]')
  const poll = async () => {
    let run
    try {
      const response = await fetch(region.dataset.pollUrl, { headers: { Accept: 'application/json' } })
      if (!response.ok) return // signed out, or gone: the plain link still works
      run = await response.json()
    } catch {
      window.setTimeout(poll, 5000)
      return
    }
    if (bar) bar.value = run.progress
    if (message) message.textContent = `${run.progress}% done${run.message ? ': ' + run.message : ''}`
    if (run.status === 'succeeded' || run.status === 'failed') {
      window.location.reload()
    } else {
      window.setTimeout(poll, every)
    }
  }
  window.setTimeout(poll, every)
}
