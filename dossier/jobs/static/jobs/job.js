// A job's page while the job runs: polls /api/v1/jobs/{id} and shows its progress; once the job
// ends, reloads the page so the server renders the summary, the problems and the Undo button.
(function () {
  "use strict";
  const section = document.getElementById("job");
  if (!section) return;
  const FINISHED = ["succeeded", "failed", "cancelled"];
  if (FINISHED.includes(section.dataset.status)) return;
  const progress = document.getElementById("job-progress");
  const processed = document.getElementById("job-processed");
  const status = document.getElementById("job-status");

  function show(job) {
    progress.max = Math.max(job.total, 1);
    progress.value = job.processed;
    processed.textContent = job.processed + " of " + job.total + " profiles processed";
    document.getElementById("job-succeeded").textContent = job.succeeded;
    document.getElementById("job-failed").textContent = job.failed;
    const word = job.cancelRequested && !FINISHED.includes(job.status) ? "cancelling" : job.status;
    status.textContent = word.charAt(0).toUpperCase() + word.slice(1);
  }

  async function poll() {
    try {
      const response = await fetch(section.dataset.api, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (response.ok) {
        const job = await response.json();
        show(job);
        if (FINISHED.includes(job.status)) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The server may be restarting; keep polling.
    }
    window.setTimeout(poll, 1000);
  }

  window.setTimeout(poll, 500);
})();
