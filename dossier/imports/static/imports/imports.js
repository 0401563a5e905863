// Imports pages: the mapping form's "new attribute" fields and live progress.
(function () {
  "use strict";

  document.querySelectorAll(".target-select").forEach(function (select) {
    var box = document.getElementById("new-attribute-" + select.dataset.row);
    function sync() {
      box.hidden = select.value !== "new-attribute";
      box.querySelector("input").required = !box.hidden;
    }
    select.addEventListener("change", sync);
    sync();
  });

  var progress = document.getElementById("import-progress");
  if (progress) {
    var bar = document.getElementById("progress-bar");
    var text = document.getElementById("progress-text");
    var poll = function () {
      fetch(progress.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.finishedAt) {
            window.location.reload();
            return;
          }
          bar.value = data.progress.percent;
          var counts = data.counts;
          text.textContent = data.status + ": " + data.progress.rows + " rows (" + data.progress.percent + "%) — " +
            counts.created + " created, " + counts.updated + " updated, " + counts.rejected + " rejected";
          window.setTimeout(poll, 1000);
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    poll();
  }
})();
