// The profile list: the exact match count, row selection, the Edit pop-up and the batch-edit job.
//
// The page does not count its matches: the figure is fetched from /profiles/count/ in a request
// of its own, so the list never waits for it.
//
// Apply posts {selection, changes, dryRun} to /api/v1/profiles/batch-edit with the login session
// and the CSRF token, then polls /api/v1/jobs/{id} until the job ends and reloads the list with
// ?edited=ID so the page reports the outcome. A change to all matching profiles runs as a dry run
// first and shows its numbers; applying it then takes a second click, and typing the number of
// profiles when it reaches every profile or more than the threshold. Every text is set with textContent, never as markup.
(function () {
  "use strict";

  const countBox = document.getElementById("match-count");
  const numbers = new Intl.NumberFormat("en-US");
  // The number of profiles the list's filters match, once known (null until then).
  let matchCount = countBox && countBox.dataset.count ? Number(countBox.dataset.count) : null;

  function countMatches() {
    if (matchCount !== null || !countBox || !countBox.dataset.countUrl) return Promise.resolve(matchCount);
    return fetch(countBox.dataset.countUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((answer) => {
        if (!answer) return null;
        matchCount = answer.count;
        countBox.textContent = numbers.format(matchCount) + " matching";
        const matching = document.getElementById("select-matching");
        if (matching) matching.textContent = "Select all " + numbers.format(matchCount) + " matching";
        document.dispatchEvent(new CustomEvent("dossier:count", { detail: matchCount }));
        return matchCount;
      })
      .catch(() => null);  // the Count matching profiles link stays
  }
  countMatches();

  // --- the filter form's condition rows --------------------------------------------------------
  // Each field offers only the operators it takes (its option's data-ops); a valueless operator
  // (is empty, is not empty) hides the value; Add condition copies a blank row.

  const conditionsBox = document.getElementById("conditions");
  const addCondition = document.getElementById("add-condition");
  let conditionRows = conditionsBox ? conditionsBox.querySelectorAll(".condition").length : 0;

  function fitOperators(row) {
    const fieldSelect = row.querySelector(".cond-field");
    const opSelect = row.querySelector(".cond-op");
    const picked = fieldSelect.selectedOptions[0];
    const ops = picked && picked.dataset.ops ? picked.dataset.ops.split(" ") : null;
    Array.from(opSelect.options).forEach((option) => {
      option.hidden = ops !== null && !ops.includes(option.value);
      option.disabled = option.hidden;
    });
    if (opSelect.selectedOptions[0] && opSelect.selectedOptions[0].disabled) opSelect.value = ops[0];
    const valueless = opSelect.value === "empty" || opSelect.value === "notempty";
    row.querySelector(".cond-value").closest(".field").hidden = valueless;
  }

  function wireCondition(row) {
    row.querySelector(".cond-field").addEventListener("change", () => fitOperators(row));
    row.querySelector(".cond-op").addEventListener("change", () => fitOperators(row));
    fitOperators(row);
  }

  if (conditionsBox) {
    conditionsBox.querySelectorAll(".condition").forEach(wireCondition);
    addCondition.hidden = false;
    addCondition.addEventListener("click", () => {
      const rows = conditionsBox.querySelectorAll(".condition");
      const copy = rows[rows.length - 1].cloneNode(true);
      conditionRows += 1;
      copy.querySelectorAll("select, input").forEach((input) => {
        const kind = input.classList.contains("cond-field") ? "field" : input.classList.contains("cond-op") ? "op" : "value";
        input.id = "cond-" + kind + "-" + conditionRows;
        input.closest(".field").querySelector("label").htmlFor = input.id;
        if (kind === "field") input.value = "";
        if (kind === "op") input.value = "is";
        if (kind === "value") input.value = "";
      });
      addCondition.before(copy);
      wireCondition(copy);
      copy.querySelector(".cond-field").focus();
    });
  }

  if (!document.getElementById("editor-config")) return;

  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const dialog = document.getElementById("edit-dialog");
  const form = document.getElementById("edit-form");
  const rowsBox = document.getElementById("edit-rows");
  const errorsBox = document.getElementById("edit-errors");
  const progressBox = document.getElementById("edit-progress");
  const progress = document.getElementById("job-progress");
  const jobStatus = document.getElementById("job-status");
  const applyButton = document.getElementById("edit-apply");
  const editButton = document.getElementById("edit-button");
  const clearButton = document.getElementById("clear-selection");
  const matchingButton = document.getElementById("select-matching");
  const countText = document.getElementById("selection-count");
  const pageBox = document.getElementById("select-page");
  const rowBoxes = Array.from(document.querySelectorAll(".row-select"));
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const confirmBox = document.getElementById("edit-confirm");
  const dryRunText = document.getElementById("dry-run-result");
  const typedBox = document.getElementById("typed-confirmation");
  const typedInput = document.getElementById("confirm-count");
  const FINISHED = ["succeeded", "failed", "cancelled"];
  const NEW_ATTRIBUTE = "__new__";
  const NEW_TYPES = ["text", "integer", "number", "boolean", "date", "datetime", "list"];

  let allMatching = false;
  let rowNumber = 0;
  // The dry run of the changes as they stand in the pop-up; any edit of the pop-up forgets it.
  let dryRun = null;

  // --- selection -----------------------------------------------------------------------------

  function selectedIds() {
    return rowBoxes.filter((box) => box.checked).map((box) => box.value);
  }

  function refresh() {
    const count = selectedIds().length;
    pageBox.checked = rowBoxes.length > 0 && count === rowBoxes.length;
    pageBox.indeterminate = count > 0 && count < rowBoxes.length;
    const anything = allMatching || count > 0;
    editButton.hidden = !anything;
    clearButton.hidden = !anything;
    matchingButton.hidden = allMatching || !pageBox.checked || !morePagesMatch();
    if (allMatching) {
      countText.textContent = matchCount === null ? "All matching profiles are selected."
        : "All " + plural(matchCount, "matching profile is", "matching profiles are") + " selected.";
    } else {
      countText.textContent = count ? count + (count === 1 ? " profile selected." : " profiles selected.")
        : "Tick profiles to edit them together.";
    }
  }

  function morePagesMatch() {
    return document.querySelector(".pager a[rel=next], .pager a[rel=prev]") !== null;
  }

  rowBoxes.forEach((box) => box.addEventListener("change", () => {
    allMatching = false;
    refresh();
  }));
  pageBox.addEventListener("change", () => {
    rowBoxes.forEach((box) => { box.checked = pageBox.checked; });
    allMatching = false;
    refresh();
  });
  matchingButton.addEventListener("click", () => {
    allMatching = true;
    rowBoxes.forEach((box) => { box.checked = true; });
    refresh();
  });
  document.addEventListener("dossier:count", refresh);
  clearButton.addEventListener("click", () => {
    allMatching = false;
    rowBoxes.forEach((box) => { box.checked = false; });
    refresh();
  });

  function selection() {
    return allMatching ? { filter: config.filter } : { ids: selectedIds() };
  }

  // --- the pop-up's attribute rows ------------------------------------------------------------

  function element(tag, properties, children) {
    const node = document.createElement(tag);
    Object.assign(node, properties || {});
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  function labelled(id, text, control) {
    return element("div", { className: "field" }, [element("label", { htmlFor: id, textContent: text }), control]);
  }

  function attributeSelect(id) {
    const select = element("select", { id: id, className: "row-attribute" });
    select.append(element("option", { value: "", textContent: "(choose an attribute)" }));
    const groups = { standard: element("optgroup", { label: "Standard fields" }),
                     custom: element("optgroup", { label: "Custom attributes" }) };
    config.attributes.forEach((attribute) => {
      groups[attribute.group].append(element("option", { value: attribute.path, textContent: attribute.label }));
    });
    groups.custom.append(element("option", { value: NEW_ATTRIBUTE, textContent: "New custom attribute…" }));
    select.append(groups.standard, groups.custom);
    return select;
  }

  function choices(id, pairs) {
    const select = element("select", { id: id });
    pairs.forEach(([value, text]) => select.append(element("option", { value: value, textContent: text })));
    return select;
  }

  // The Value input fits the attribute's type: a date picker, a 0/1/2 choice, a number...
  function valueInput(id, type) {
    switch (type) {
      case "sex": return choices(id, config.sexChoices);
      case "anonymous_type": return choices(id, config.anonymousTypes.map((t) => [t, t]));
      case "boolean": return choices(id, [["true", "true"], ["false", "false"]]);
      case "date": return element("input", { id: id, type: "date" });
      case "datetime": return element("input", { id: id, type: "datetime-local", step: 1 });
      case "integer": return element("input", { id: id, type: "number", step: 1 });
      case "number": return element("input", { id: id, type: "number", step: "any" });
      case "email": case "tel": case "url": return element("input", { id: id, type: type });
      case "country": return element("input", { id: id, maxLength: 2, placeholder: "PL" });
      case "list": return element("input", { id: id, placeholder: "items separated by ;" });
      default: return element("input", { id: id });
    }
  }

  function addRow() {
    rowNumber += 1;
    const n = rowNumber;
    const row = element("div", { className: "edit-row" });
    const select = attributeSelect("edit-attribute-" + n);
    const newName = element("input", { id: "edit-new-name-" + n, autocomplete: "off" });
    const newType = choices("edit-new-type-" + n, NEW_TYPES.map((t) => [t, t]));
    const newBox = element("div", { className: "new-attribute", hidden: true }, [
      labelled(newName.id, "New attribute name", newName), labelled(newType.id, "New attribute type", newType)]);
    const valueBox = element("div", { className: "row-value" });
    const clearBox = element("input", { id: "edit-clear-" + n, type: "checkbox" });
    const remove = element("button", { type: "button", className: "remove-row", textContent: "Remove" });
    remove.setAttribute("aria-label", "Remove attribute row " + n);

    function currentType() {
      if (select.value === NEW_ATTRIBUTE) return newType.value;
      const attribute = config.attributes.find((a) => a.path === select.value);
      return attribute ? attribute.type : "text";
    }
    function renderValue() {
      const input = valueInput("edit-value-" + n, currentType());
      input.className = "row-input";
      input.disabled = clearBox.checked || !select.value;
      valueBox.replaceChildren(element("label", { htmlFor: input.id, textContent: "Value" }), input);
    }
    select.addEventListener("change", () => {
      newBox.hidden = select.value !== NEW_ATTRIBUTE;
      renderValue();
    });
    newType.addEventListener("change", renderValue);
    clearBox.addEventListener("change", () => { valueBox.querySelector(".row-input").disabled = clearBox.checked || !select.value; });
    remove.addEventListener("click", () => { row.remove(); });

    row.append(labelled(select.id, "Select attribute", select), newBox, valueBox,
      element("div", { className: "field checkbox" }, [clearBox, element("label", { htmlFor: clearBox.id, textContent: "Clear" })]),
      remove);
    row.readChange = () => {
      let path = select.value;
      if (!path) return { problem: "Row " + n + ": choose an attribute in Select attribute." };
      let declare = null;
      if (path === NEW_ATTRIBUTE) {
        const name = newName.value.trim();
        if (!name) return { problem: "Row " + n + ": name the new attribute." };
        path = "attributes." + name;
        declare = { name: name, type: newType.value, label: name };
      }
      if (clearBox.checked) return { path: path, clear: true, declare: declare };
      const raw = valueBox.querySelector(".row-input").value.trim();
      if (raw === "") return { problem: "Row " + n + ": enter a Value, or tick Clear to empty the attribute." };
      return { path: path, value: typed(raw, currentType()), declare: declare };
    };
    rowsBox.append(row);
    renderValue();
    select.focus();
  }

  // Numbers travel as typed: the server checks them by the same rules as the card's ("12.5" is
  // no integer), where parsing here would round them silently.
  function typed(raw, type) {
    if (type === "boolean") return raw === "true";
    if (type === "list") return raw.split(";").map((s) => s.trim()).filter(Boolean);
    return raw;
  }

  function tagList(id) {
    return document.getElementById(id).value.split(",").map((t) => t.trim()).filter(Boolean);
  }

  function readChanges() {
    const changes = { set: {}, clear: [], addTags: tagList("edit-add-tags"), removeTags: tagList("edit-remove-tags"), agreements: {} };
    const problems = [];
    const declarations = [];
    rowsBox.querySelectorAll(".edit-row").forEach((row) => {
      const change = row.readChange();
      if (change.problem) { problems.push(change.problem); return; }
      if (change.declare) declarations.push(change.declare);
      if (change.clear) changes.clear.push(change.path);
      else changes.set[change.path] = change.value;
    });
    form.querySelectorAll(".edit-agreement").forEach((select) => {
      if (select.value) changes.agreements[select.dataset.channel] = select.value === "true";
    });
    const company = document.getElementById("edit-company").value;
    if (company) changes.companyId = company === "none" ? null : company;
    const empty = !Object.keys(changes.set).length && !changes.clear.length && !changes.addTags.length &&
      !changes.removeTags.length && !Object.keys(changes.agreements).length && !("companyId" in changes);
    if (empty && !problems.length) problems.push("Nothing to apply: add an attribute, tags, a subscription or a company.");
    return { changes: changes, problems: problems, declarations: declarations };
  }

  // --- talking to the API ---------------------------------------------------------------------

  function send(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function problemsOf(response) {
    try {
      const error = (await response.json()).error;
      const details = (error.details || []).map((d) => (d.field ? d.field + ": " : "") + d.message);
      return details.length ? details : [error.message];
    } catch (_) {
      return ["The server answered " + response.status + "."];
    }
  }

  function showProblems(lines) {
    errorsBox.replaceChildren(...lines.map((line) => element("p", { textContent: line })));
  }

  async function declare(attributes) {
    for (const attribute of attributes) {
      const response = await send("POST", "/api/v1/attributes", attribute);
      if (!response.ok && response.status !== 409) throw await problemsOf(response);
    }
  }

  function showJob(job) {
    progress.max = Math.max(job.total || 0, 1);
    progress.value = job.processed || 0;
    const counts = (job.processed || 0) + " of " + (job.total || 0) + " profiles processed";
    jobStatus.textContent = FINISHED.includes(job.status)
      ? "Batch edit " + job.status + ": " + (job.succeeded || 0) + " succeeded, " + (job.failed || 0) + " failed."
      : "Batch edit " + job.status + ": " + counts + "…";
  }

  async function follow(job) {
    progressBox.hidden = false;
    showJob(job);
    while (!FINISHED.includes(job.status)) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const response = await fetch("/api/v1/jobs/" + encodeURIComponent(job.id), { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (!response.ok) throw await problemsOf(response);
      job = await response.json();
      showJob(job);
    }
    return job;
  }

  async function start(changes, asDryRun) {
    const response = await send("POST", "/api/v1/profiles/batch-edit", { selection: selection(), changes: changes, dryRun: asDryRun });
    if (!response.ok) throw await problemsOf(response);
    return follow(await response.json());
  }

  function plural(n, one, many) {
    return numbers.format(n) + " " + (n === 1 ? one : many);
  }

  // A change to every profile, or to more than the threshold, is confirmed by typing its size.
  function needsTyping(count) {
    return allMatching && (config.filterWords.length === 0 || count > config.confirmThreshold);
  }

  function showDryRun(job) {
    const summary = job.summary || {};
    const changed = summary.changed || 0;
    dryRunText.replaceChildren(
      element("strong", { textContent: "Dry run: " + plural(changed, "profile would change", "profiles would change") + ", " }),
      plural(summary.unchanged || 0, "already has", "already have") + " these values, " +
        numbers.format(summary.rejected || 0) + " would be refused. ",
      element("a", { href: "/jobs/" + job.id + "/", textContent: "See the dry run", target: "_blank" }));
    typedBox.hidden = !needsTyping(changed);
    typedInput.value = "";
    document.getElementById("confirm-count-label").textContent =
      "Type " + changed + " to confirm changing " + plural(changed, "profile", "profiles");
    confirmBox.hidden = false;
    applyButton.textContent = changed ? "Change " + plural(changed, "profile", "profiles") : "Nothing would change";
    applyButton.disabled = changed === 0;
    dryRun = { job: job, changed: changed };
  }

  function forgetDryRun() {
    if (!dryRun) return;
    dryRun = null;
    confirmBox.hidden = true;
    progressBox.hidden = true;
    applyButton.textContent = "Apply";
    applyButton.disabled = false;
  }

  form.addEventListener("input", (event) => { if (event.target !== typedInput) forgetDryRun(); });
  form.addEventListener("change", (event) => { if (event.target !== typedInput) forgetDryRun(); });
  rowsBox.addEventListener("click", (event) => { if (event.target.classList.contains("remove-row")) forgetDryRun(); });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showProblems([]);
    const { changes, problems, declarations } = readChanges();
    if (problems.length) { showProblems(problems); return; }
    if (dryRun && needsTyping(dryRun.changed) && typedInput.value.replace(/[\s,]/g, "") !== String(dryRun.changed)) {
      showProblems(["Type " + dryRun.changed + " in the box to confirm, or Cancel."]);
      typedInput.focus();
      return;
    }
    applyButton.disabled = true;
    try {
      await declare(declarations);
      if (allMatching && !dryRun) {
        showDryRun(await start(changes, true));
        return;
      }
      const job = await start(changes, false);
      const url = new URL(window.location.href);
      url.searchParams.set("edited", job.id);
      window.location.assign(url.toString());
    } catch (failure) {
      showProblems(Array.isArray(failure) ? failure : ["The request failed: " + failure.message]);
      applyButton.disabled = false;
    }
  });

  // --- opening and closing ----------------------------------------------------------------------

  function describeScope() {
    const scope = document.getElementById("edit-scope");
    if (!allMatching) {
      const count = selectedIds().length;
      scope.textContent = "Change the " + plural(count, "selected profile.", "selected profiles.");
      return;
    }
    const how = matchCount === null ? "all matching profiles" : "all " + plural(matchCount, "profile", "profiles");
    scope.replaceChildren(element("strong", { textContent: "Change " + how }),
      config.filterWords.length ? " matching " + config.filterWords.join(" and ") + "."
        : " (all profiles: the list has no filter).");
    if (matchCount === null) countMatches().then((n) => { if (n !== null) describeScope(); });
  }

  editButton.addEventListener("click", () => {
    forgetDryRun();
    describeScope();
    document.getElementById("edit-apply-hint").hidden = !allMatching;
    dialog.showModal();
  });
  document.getElementById("add-row").addEventListener("click", addRow);
  document.getElementById("edit-cancel").addEventListener("click", () => dialog.close());
  refresh();
})();
