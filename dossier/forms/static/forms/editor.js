// The form editor: "Add field" appends an empty row (without JavaScript the page always shows
// three empty rows, so the editor works either way).
(function () {
  "use strict";
  var button = document.getElementById("add-field");
  var body = document.getElementById("field-rows");
  if (!button || !body) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var rows = body.querySelectorAll("tr");
    var template = rows[rows.length - 1];
    var index = rows.length;
    var row = template.cloneNode(true);
    row.querySelectorAll("input, select").forEach(function (input) {
      var part = input.name.replace(/^field-\d+-/, "");
      input.name = "field-" + index + "-" + part;
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/^Field \d+/, "Field " + (index + 1)));
      if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
    });
    body.appendChild(row);
    row.querySelector("input").focus();
  });
})();
