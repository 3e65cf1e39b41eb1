// The register import's progress bar: polls the import's progress and reloads the page when the job is done.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = document.getElementById("import-bar");
  var done = document.getElementById("import-done");
  var total = document.getElementById("import-total");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.state !== "checking" && state.state !== "applying") { window.location.reload(); return; }
        bar.max = Math.max(state.total, state.done, 1);
        bar.value = state.done;
        done.textContent = state.done;
        total.textContent = state.total;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
