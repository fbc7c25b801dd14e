// The evaluator workbench's own script. Everything works without it; with it:
// - the eval-run page follows a run that goes (from /api/evaluator/job) without ever reloading, its
//   progress bar kept up to date, and its polite live region told of a new stage, each tenth done and
//   the end (not every poll, which would talk over the reader);
// - after a form, the element it acted on takes the focus (the autofocus attribute already asks for it).
(function () {
  "use strict";

  function stepsText(job) {
    if (!job.total) { return "Now: " + job.stage + "."; }
    return job.done + " of " + job.total + " steps (" + job.percent + "%)" +
      (job.state === "running" ? ", now: " + job.stage : "") + ".";
  }

  function follow(box) {
    var url = box.getAttribute("data-status-url");
    var every = (parseInt(box.getAttribute("data-poll"), 10) || 3) * 1000;
    var bar = document.getElementById("job-progress");
    var live = document.getElementById("job-steps");
    var state = box.querySelector("[data-field=state]");
    var reload = document.getElementById("job-reload");
    var end = document.getElementById("job-end");
    var said = { stage: null, tenth: -1 };
    if (reload) { reload.hidden = true; }

    function show(job) {
      bar.max = job.total || 1;
      bar.value = job.done;
      bar.textContent = job.percent + "%";
      box.setAttribute("data-state", job.state);
      if (job.state !== "running") {
        state.textContent = job.state === "done" ? "finished" : "failed";
        live.textContent = stepsText(job) + " " + (job.state === "done" ? "Finished. " : "Failed. ") + job.message;
        if (end) { end.hidden = false; }
        return false;
      }
      var tenth = Math.floor(job.percent / 10);
      if (job.stage !== said.stage || tenth !== said.tenth) {
        live.textContent = stepsText(job);
        said = { stage: job.stage, tenth: tenth };
      }
      return true;
    }

    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (job) {
          if (!job || job.state === "idle" || show(job)) { window.setTimeout(tick, every); }
        }, function () { window.setTimeout(tick, every * 2); });
    }
    window.setTimeout(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-testid=job][data-state=running]");
    if (box) { follow(box); }
    var acted = document.querySelector("[autofocus][tabindex]");
    if (acted && document.activeElement !== acted) { acted.focus(); }
  });
})();
