// The profile card: more key/value rows for the Add event form (without script, three rows show).
(function () {
  "use strict";

  const rows = document.getElementById("param-rows");
  const addButton = document.getElementById("add-param");
  if (!rows || !addButton) return;

  function field(kind, label, n) {
    const id = "param-" + kind + "-" + n;
    const box = document.createElement("div");
    box.className = "field";
    const labelNode = document.createElement("label");
    labelNode.htmlFor = id;
    labelNode.textContent = label + " " + n;
    const input = document.createElement("input");
    input.id = id;
    input.name = "param_" + kind;
    input.autocomplete = "off";
    box.append(labelNode, input);
    return box;
  }

  addButton.hidden = false;
  addButton.addEventListener("click", () => {
    const n = rows.querySelectorAll(".param-row").length + 1;
    const row = document.createElement("div");
    row.className = "param-row";
    row.append(field("key", "Parameter name", n), field("value", "Parameter value", n));
    rows.append(row);
    row.querySelector("input").focus();
  });
})();
