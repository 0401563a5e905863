// Imports pages: the mapping form's "new attribute" fields, live progress, and Undo.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

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

  var undo = document.getElementById("undo-form");
  if (undo) {
    undo.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = document.getElementById("undo-status");
      var button = undo.querySelector("button");
      button.disabled = true;
      fetch(undo.dataset.undoUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(undo), "Content-Type": "application/json" }, body: "{}"
      })
        .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
        .then(function (result) {
          if (!result.ok) {
            status.textContent = "Undo refused: " + result.data.error.message;
            button.disabled = false;
            return;
          }
          status.textContent = "Undo " + result.data.status + ". ";
          var link = document.createElement("a");
          link.href = "/jobs/" + result.data.id + "/";
          link.textContent = "Follow the undo job";
          status.appendChild(link);
        });
    });
  }
})();
