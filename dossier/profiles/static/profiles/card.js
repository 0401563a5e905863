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

// The card's one form: say when it holds unsaved changes and warn before leaving the page with
// them (a tag or company action reloads the page too); "Take theirs" puts a colleague's value,
// saved meanwhile, into a field marked as changed by both.
(function () {
  "use strict";

  const form = document.getElementById("card-form");
  if (!form) return;
  const note = document.getElementById("unsaved-note");
  const inputs = Array.from(form.elements).filter((input) => input.name && !input.name.startsWith("orig.") && input.type !== "hidden");
  const shown = (input) => {
    const orig = form.elements.namedItem("orig." + input.name);
    return orig ? orig.value : null;
  };
  const current = (input) => (input.type === "checkbox" ? (input.checked ? "on" : "") : input.value.trim());
  let submitting = false;

  function changed() {
    return inputs.filter((input) => shown(input) !== null && current(input) !== shown(input));
  }

  function refresh() {
    const count = changed().length;
    note.textContent = count ? (count === 1 ? "1 unsaved change" : count + " unsaved changes") : "";
  }

  inputs.forEach((input) => {
    input.addEventListener("input", refresh);
    input.addEventListener("change", refresh);
  });
  form.addEventListener("submit", () => { submitting = true; });
  window.addEventListener("beforeunload", (event) => {
    if (!submitting && changed().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.querySelectorAll(".take-theirs").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      const input = document.getElementById(button.dataset.for);
      if (input.type === "checkbox") input.checked = button.dataset.value === "on";
      else input.value = button.dataset.value;
      input.dispatchEvent(new Event("change"));
      input.focus();
    });
  });
  refresh();
})();
