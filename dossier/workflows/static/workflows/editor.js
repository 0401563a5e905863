// The workflow editor: one small form per node over the JSON textarea that the page posts.
//
// The textarea (the "JSON view") stays the source of what is saved: every edit in the forms
// rewrites it, and "Apply JSON to the editor" rebuilds the forms from it. Values are put into
// the page with textContent and input values only, never as HTML.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var textarea = document.getElementById("definition");
  var root = document.getElementById("visual-editor");
  var applyButton = document.getElementById("apply-json");
  var form = document.getElementById("workflow-form");
  var NODE_LABELS = {
    profileFilter: "Profile filter", eventFilter: "Event filter", delay: "Delay",
    updateProfile: "Update profile", addEvent: "Add event"
  };
  var CHANNELS = [["email", "Email"], ["sms", "SMS"], ["push", "Mobile push"], ["webPush", "Web push"]];
  var UNITS = [["days", 86400], ["hours", 3600], ["minutes", 60], ["seconds", 1]];
  var UNARY = ["exists", "notExists"];
  var state = null;
  var counter = 0;
  var focusKey = null;

  function uid() { counter += 1; return "wf-" + counter; }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "class") { node.className = value; }
      else if (key === "value" || key === "checked" || key === "disabled" || key === "hidden") { node[key] = value; }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function labelled(text, input, hint) {
    if (!input.id) { input.id = uid(); }
    var children = [el("label", {for: input.id, text: text}), input];
    if (hint) {
      var hintId = uid();
      input.setAttribute("aria-describedby", hintId);
      children.push(el("p", {class: "hint", id: hintId, text: hint}));
    }
    return el("div", {class: "form-field"}, children);
  }

  function button(text, onClick, props) {
    var b = el("button", Object.assign({type: "button", text: text}, props || {}));
    b.addEventListener("click", onClick);
    return b;
  }

  function sync() { textarea.value = JSON.stringify(state, null, 2); }

  function rerender(key) { focusKey = key || null; sync(); render(); }

  function parseScalar(text) {
    if (/^-?\d+(\.\d+)?$/.test(text)) { return Number(text); }
    if (text === "true") { return true; }
    if (text === "false") { return false; }
    return text;
  }

  function shown(value) {
    if (value === undefined || value === null) { return ""; }
    if (Array.isArray(value)) { return value.join(", "); }
    if (typeof value === "object") { return JSON.stringify(value); }
    return String(value);
  }

  function splitList(text) {
    return text.split(",").map(function (part) { return part.trim(); }).filter(Boolean);
  }

  // --- conditions (trigger, profile filter, event filter) ------------------------------------

  function conditionsEditor(list, subject, caption, key) {
    var box = el("fieldset", {}, [el("legend", {text: caption})]);
    list.forEach(function (condition, index) {
      var name = caption + " " + (index + 1);
      var subjectInput = el("input", {value: condition[subject] || "", "aria-label": name + ": " + subject,
                                      list: subject === "attribute" ? "field-paths" : null, "data-key": key + "-" + index});
      subjectInput.addEventListener("input", function () { condition[subject] = subjectInput.value.trim(); sync(); });
      var op = el("select", {"aria-label": name + ": operator"},
                  config.ops.map(function (o) { return el("option", {value: o, text: o, selected: o === condition.op}); }));
      var value = el("input", {value: shown(condition.value), "aria-label": name + ": value",
                               disabled: UNARY.indexOf(condition.op) >= 0,
                               placeholder: condition.op === "in" ? "a, b, c" : ""});
      op.addEventListener("change", function () {
        condition.op = op.value;
        if (UNARY.indexOf(op.value) >= 0) { delete condition.value; }
        else { condition.value = op.value === "in" ? splitList(value.value).map(parseScalar) : parseScalar(value.value); }
        value.disabled = UNARY.indexOf(op.value) >= 0;
        sync();
      });
      value.addEventListener("input", function () {
        condition.value = condition.op === "in" ? splitList(value.value).map(parseScalar) : parseScalar(value.value);
        sync();
      });
      var remove = button("Remove", function () { list.splice(index, 1); rerender(key + "-add"); },
                          {"aria-label": "Remove " + name.toLowerCase()});
      box.appendChild(el("div", {class: "row"}, [subjectInput, op, value, remove]));
    });
    box.appendChild(button("Add condition", function () {
      var condition = {op: "eq", value: ""};
      condition[subject] = "";
      list.push(condition);
      rerender(key + "-" + (list.length - 1));
    }, {"data-key": key + "-add", "aria-label": "Add a condition to " + caption.toLowerCase()}));
    return box;
  }

  // --- key: value rows (updateProfile set, addEvent params) ----------------------------------

  // valueChoices, if given, returns [[group, [[template, label], ...]], ...] for a picker beside
  // each value that inserts {{ template }} into it.
  function pairsEditor(object, caption, keyLabel, valueLabel, onChange, key, listId, valueChoices) {
    var box = el("fieldset", {}, [el("legend", {text: caption})]);
    var rows = el("div");
    function rebuild() {
      var result = {};
      rows.querySelectorAll(".row").forEach(function (row) {
        var inputs = row.querySelectorAll("input");
        var name = inputs[0].value.trim();
        if (name) { result[name] = inputs[1].dataset.raw !== undefined && inputs[1].value === inputs[1].dataset.shown
          ? JSON.parse(inputs[1].dataset.raw) : inputs[1].value; }
      });
      onChange(result);
      sync();
    }
    function addRow(name, value, index) {
      var label = caption + " " + (index + 1);
      var nameInput = el("input", {value: name, "aria-label": label + ": " + keyLabel, list: listId, "data-key": key + "-" + index});
      var valueInput = el("input", {value: shown(value), "aria-label": label + ": " + valueLabel});
      if (typeof value !== "string") {
        valueInput.dataset.raw = JSON.stringify(value);
        valueInput.dataset.shown = shown(value);
      }
      var row = el("div", {class: "row"}, [nameInput, valueInput]);
      if (valueChoices) { row.appendChild(valuePicker(label, valueInput, valueChoices(), rebuild)); }
      row.appendChild(button("Remove", function () { row.remove(); rebuild(); },
                             {"aria-label": "Remove " + label.toLowerCase()}));
      nameInput.addEventListener("input", rebuild);
      valueInput.addEventListener("input", rebuild);
      rows.appendChild(row);
      return nameInput;
    }
    Object.keys(object || {}).forEach(function (name, index) { addRow(name, object[name], index); });
    box.appendChild(rows);
    box.appendChild(button("Add " + keyLabel, function () {
      addRow("", "", rows.children.length).focus();
    }, {"aria-label": "Add a row to " + caption.toLowerCase()}));
    return box;
  }

  function valuePicker(label, input, groups, onPick) {
    var picker = el("select", {"aria-label": label + ": insert a value", class: "value-picker"},
                    [el("option", {value: "", text: "Insert a value…"})].concat(groups.map(function (group) {
                      return el("optgroup", {label: group[0]}, group[1].map(function (choice) {
                        return el("option", {value: choice[0], text: choice[1]});
                      }));
                    })));
    picker.addEventListener("change", function () {
      if (!picker.value) { return; }
      input.value = (input.value ? input.value + " " : "") + "{{ " + picker.value + " }}";
      picker.value = "";
      onPick();
      input.focus();
    });
    return picker;
  }

  // The form the trigger is tied to: a "formId is SLUG" condition of a form.submit trigger.
  function triggerForm() {
    var trigger = state.trigger || {};
    if (trigger.event !== "form.submit") { return null; }
    var condition = (trigger.where || []).filter(function (c) { return c.param === "formId" && c.op === "eq"; })[0];
    return condition ? config.forms.filter(function (f) { return f.slug === condition.value; })[0] || null : null;
  }

  function templateChoices() {
    var groups = [];
    var chosen = triggerForm();
    var forms = chosen ? [chosen] : (state.trigger && state.trigger.event === "form.submit" ? config.forms : []);
    forms.forEach(function (form) {
      groups.push(["Form “" + form.name + "”", form.fields.filter(Boolean).map(function (name) {
        return ["event.params." + name, "Field “" + name + "”"];
      })]);
    });
    groups.push(["The profile", config.profileFields.map(function (f) { return ["profile." + f.path, f.label]; })]);
    return groups;
  }

  // --- nodes ---------------------------------------------------------------------------------

  function listField(node, property, caption, hint) {
    var input = el("input", {value: shown(node[property])});
    input.addEventListener("input", function () {
      var items = splitList(input.value);
      if (items.length) { node[property] = items; } else { delete node[property]; }
      sync();
    });
    return labelled(caption, input, hint);
  }

  function delayBody(node) {
    var unit = UNITS.filter(function (u) { return node.seconds % u[1] === 0; })[0] || UNITS[3];
    var amount = el("input", {type: "number", min: "1", value: String(node.seconds / unit[1])});
    var unitSelect = el("select", {"aria-label": "Delay unit"},
                        UNITS.map(function (u) { return el("option", {value: String(u[1]), text: u[0], selected: u === unit}); }));
    function update() { node.seconds = Math.round(Number(amount.value) * Number(unitSelect.value)); sync(); }
    amount.addEventListener("input", update);
    unitSelect.addEventListener("change", update);
    var field = labelled("Wait for", amount, "Up to 60 days. The run waits, then goes on with the next node.");
    field.insertBefore(unitSelect, field.querySelector(".hint"));
    return [field];
  }

  function updateBody(node, key) {
    var parts = [pairsEditor(node.set, "Set", "field", "value", function (value) {
      if (Object.keys(value).length) { node.set = value; } else { delete node.set; }
    }, key + "-set", "field-paths", templateChoices)];
    parts.push(el("p", {class: "hint", text: "Values may use templates such as {{ event.params.city }} or {{ profile.firstName }}; custom attributes are attributes.NAME."}));
    parts.push(listField(node, "clear", "Clear fields (comma-separated)"));
    parts.push(listField(node, "addTags", "Add tags (comma-separated)"));
    parts.push(listField(node, "removeTags", "Remove tags (comma-separated)"));
    var agreements = el("fieldset", {class: "agreements"}, [el("legend", {text: "Agreements"})]);
    CHANNELS.forEach(function (channel) {
      var current = (node.agreements || {})[channel[0]];
      var options = [["", "Leave as it is"], ["true", "Turn on"], ["false", "Turn off"]];
      if (typeof current === "string") { options.push([current, current]); }
      var select = el("select", {}, options.map(function (o) {
        return el("option", {value: o[0], text: o[1], selected: shown(current) === o[0]});
      }));
      select.addEventListener("change", function () {
        node.agreements = node.agreements || {};
        if (select.value === "") { delete node.agreements[channel[0]]; }
        else { node.agreements[channel[0]] = select.value === "true" ? true : select.value === "false" ? false : select.value; }
        if (!Object.keys(node.agreements).length) { delete node.agreements; }
        sync();
      });
      agreements.appendChild(labelled(channel[1] + " agreement", select));
    });
    parts.push(agreements);
    var known = config.companies.filter(function (c) { return c.id === node.companyId; })[0];
    var choice = !("companyId" in node) ? "" : node.companyId === null ? "remove" : known ? known.id : "custom";
    var company = el("select", {"data-key": key + "-company"}, [
      el("option", {value: "", text: "Leave as it is", selected: choice === ""}),
      el("option", {value: "remove", text: "Remove the company", selected: choice === "remove"})
    ].concat(config.companies.map(function (c) {
      return el("option", {value: c.id, text: c.name, selected: choice === c.id});
    })).concat([el("option", {value: "custom", text: "An id or a template…", selected: choice === "custom"})]));
    var custom = el("input", {value: choice === "custom" ? shown(node.companyId) : ""});
    var customField = labelled("Company id or template", custom);
    customField.hidden = choice !== "custom";
    function updateCompany() {
      customField.hidden = company.value !== "custom";
      if (company.value === "") { delete node.companyId; }
      else if (company.value === "remove") { node.companyId = null; }
      else if (company.value === "custom") {
        if (custom.value.trim()) { node.companyId = custom.value.trim(); } else { delete node.companyId; }
      } else { node.companyId = company.value; }
      sync();
    }
    company.addEventListener("change", updateCompany);
    custom.addEventListener("input", updateCompany);
    parts.push(labelled("Company", company));
    parts.push(customField);
    return parts;
  }

  function addEventBody(node, key) {
    var type = el("input", {value: node.eventType || ""});
    type.addEventListener("input", function () { node.eventType = type.value.trim(); sync(); });
    return [labelled("Event type", type),
            pairsEditor(node.params, "Params", "param", "value", function (value) { node.params = value; }, key + "-params")];
  }

  function nodeCard(node, index) {
    var key = "node-" + index;
    var count = state.nodes.length;
    var title = (index + 1) + ". " + (NODE_LABELS[node.type] || node.type);
    var head = el("div", {class: "node-head"}, [
      el("h3", {text: title}),
      button("Move up", function () { move(index, -1); }, {disabled: index === 0, "aria-label": "Move node " + (index + 1) + " up", "data-key": key + "-up"}),
      button("Move down", function () { move(index, 1); }, {disabled: index === count - 1, "aria-label": "Move node " + (index + 1) + " down", "data-key": key + "-down"}),
      button("Remove", function () { state.nodes.splice(index, 1); rerender("add-node"); },
             {class: "danger", "aria-label": "Remove node " + (index + 1)})
    ]);
    var body;
    if (node.type === "profileFilter") {
      node.where = node.where || [];
      body = [conditionsEditor(node.where, "attribute", "Profile condition", key + "-where"),
              el("p", {class: "hint", text: "All conditions must hold, or the run ends as filtered out."})];
    } else if (node.type === "eventFilter") {
      node.where = node.where || [];
      body = [conditionsEditor(node.where, "param", "Event condition", key + "-where"),
              el("p", {class: "hint", text: "Conditions on the triggering event's params; all must hold."})];
    } else if (node.type === "delay") {
      body = delayBody(node);
    } else if (node.type === "updateProfile") {
      body = updateBody(node, key);
    } else if (node.type === "addEvent") {
      body = addEventBody(node, key);
    } else {
      body = [el("p", {class: "hint", text: "This node type is edited in the JSON view."})];
    }
    var item = el("li", {class: "node card", "aria-label": title}, [head].concat(body));
    var errors = errorsFor("nodes[" + index + "]");
    if (errors.length) {
      item.classList.add("has-error");
      item.appendChild(errorList(errors));
    }
    return item;
  }

  function move(index, step) {
    var nodes = state.nodes;
    var target = index + step;
    var moved = nodes.splice(index, 1)[0];
    nodes.splice(target, 0, moved);
    rerender("node-" + target + (step < 0 ? "-up" : "-down"));
  }

  function newNode(type) {
    return {
      profileFilter: {type: type, where: [{attribute: "", op: "eq", value: ""}]},
      eventFilter: {type: type, where: [{param: "", op: "eq", value: ""}]},
      delay: {type: type, seconds: 3600},
      updateProfile: {type: type, set: {}},
      addEvent: {type: type, eventType: "", params: {}}
    }[type];
  }

  // --- sections ------------------------------------------------------------------------------

  function errorsFor(prefix) {
    return config.errors.filter(function (e) {
      return e.field === prefix || e.field.indexOf(prefix + ".") === 0 || e.field.indexOf(prefix + "[") === 0;
    });
  }

  function errorList(errors) {
    return el("ul", {class: "error"}, errors.map(function (e) { return el("li", {text: e.field + ": " + e.message}); }));
  }

  function generalSection() {
    var name = el("input", {value: state.name || "", required: true, maxlength: "200"});
    name.addEventListener("input", function () { state.name = name.value; sync(); });
    var enabled = el("input", {type: "checkbox", checked: !!state.enabled});
    enabled.id = uid();
    enabled.addEventListener("change", function () { state.enabled = enabled.checked; sync(); });
    var limit = el("input", {type: "number", min: "1", value: shown(state.maxRunsPerProfilePerDay)});
    limit.addEventListener("input", function () {
      if (limit.value) { state.maxRunsPerProfilePerDay = Number(limit.value); } else { delete state.maxRunsPerProfilePerDay; }
      sync();
    });
    return el("section", {class: "card", "aria-label": "Workflow"}, [
      labelled("Name", name),
      el("div", {class: "row"}, [enabled, el("label", {for: enabled.id, text: "Enabled"})]),
      labelled("Runs per profile per day (optional)", limit, "Further runs for the same profile within 24 hours are suppressed.")
    ]);
  }

  function triggerSection() {
    var trigger = state.trigger = state.trigger || {event: ""};
    trigger.where = trigger.where || [];
    var event = el("input", {value: trigger.event || "", list: "event-types"});
    var chosen = triggerForm();
    var formPicker = el("select", {"data-key": "trigger-form"},
                        [el("option", {value: "", text: "Any form"})].concat(config.forms.map(function (f) {
                          return el("option", {value: f.slug, text: f.name, selected: chosen === f});
                        })));
    var formField = labelled("Form", formPicker, "Which form's submissions start the workflow.");
    formField.hidden = trigger.event !== "form.submit";
    event.addEventListener("input", function () {
      trigger.event = event.value.trim();
      formField.hidden = trigger.event !== "form.submit";
      sync();
    });
    formPicker.addEventListener("change", function () {
      trigger.where = trigger.where.filter(function (c) { return !(c.param === "formId" && c.op === "eq"); });
      if (formPicker.value) { trigger.where.unshift({param: "formId", op: "eq", value: formPicker.value}); }
      rerender("trigger-form");
    });
    var changed = el("input", {value: shown(trigger.changed), list: "field-paths"});
    changed.addEventListener("input", function () {
      var names = splitList(changed.value);
      if (names.length) { trigger.changed = names; } else { delete trigger.changed; }
      sync();
    });
    var section = el("section", {class: "card", "aria-labelledby": "trigger-heading"}, [
      el("h2", {id: "trigger-heading", text: "Trigger"}),
      labelled("Event type", event, "For example form.submit, profile.updated or a custom event type."),
      formField,
      conditionsEditor(trigger.where, "param", "Trigger condition", "trigger-where"),
      labelled("Only when these attributes changed (profile.updated; comma-separated)", changed)
    ]);
    var errors = errorsFor("trigger");
    if (errors.length) { section.appendChild(errorList(errors)); }
    return section;
  }

  function nodesSection() {
    var list = el("ol", {class: "nodes"}, state.nodes.map(nodeCard));
    var type = el("select", {"aria-label": "Type of the new node"},
                  config.nodeTypes.map(function (t) { return el("option", {value: t, text: NODE_LABELS[t] || t}); }));
    var add = button("Add node", function () {
      state.nodes.push(newNode(type.value));
      rerender("node-" + (state.nodes.length - 1) + "-up");
    }, {"data-key": "add-node"});
    return el("section", {"aria-labelledby": "nodes-heading"}, [
      el("h2", {id: "nodes-heading", text: "Nodes"}),
      state.nodes.length ? list : el("p", {class: "muted", text: "No nodes yet: add one below."}),
      el("div", {class: "row card"}, [type, add])
    ]);
  }

  function render() {
    root.replaceChildren(generalSection(), triggerSection(), nodesSection());
    var general = errorsFor("").filter(function (e) { return !/^(trigger|nodes\[)/.test(e.field); });
    if (general.length) { root.firstChild.appendChild(errorList(general)); }
    if (focusKey) {
      var target = root.querySelector('[data-key="' + focusKey + '"]');
      if (target && !target.disabled) { target.focus(); }
      focusKey = null;
    }
  }

  function load() {
    var message = document.getElementById("json-message");
    if (message) { message.remove(); }
    try {
      var data = JSON.parse(textarea.value);
      if (!data || typeof data !== "object" || Array.isArray(data)) { throw new Error("the definition is a JSON object"); }
      data.nodes = Array.isArray(data.nodes) ? data.nodes : [];
      state = data;
    } catch (error) {
      applyButton.parentNode.appendChild(el("span", {id: "json-message", class: "error", role: "alert",
                                                     text: " The JSON cannot be read: " + error.message}));
      return false;
    }
    render();
    return true;
  }

  // --- test ----------------------------------------------------------------------------------

  function csrfToken() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }

  function showTest(result, status) {
    var box = document.getElementById("test-result");
    box.replaceChildren();
    if (status !== 200) {
      var details = (result.error && result.error.details) || [];
      box.appendChild(el("p", {class: "error", role: "alert", text: (result.error && result.error.message) || "The test failed."}));
      if (details.length) { box.appendChild(errorList(details)); }
      return;
    }
    var summary = result.triggered
      ? "The run would end as " + (result.status === "filtered" ? "filtered out" : result.status) + (result.reason ? ": " + result.reason : ".")
      : "Not triggered: " + result.reason + ".";
    box.appendChild(el("p", {role: "status", text: summary}));
    if (result.triggered && !result.profileFound) {
      box.appendChild(el("p", {class: "hint", text: "No stored profile matches the sample; it was tested against an empty profile."}));
    }
    if (result.log.length) {
      box.appendChild(el("ol", {class: "run-log"}, result.log.map(function (entry) {
        var label = entry.node === null ? entry.type : (entry.node + 1) + ". " + entry.type;
        var text = label + ": " + entry.outcome + (entry.detail ? " (" + entry.detail + ")" : "");
        if (entry.params) { text += " " + JSON.stringify(entry.params); }
        return el("li", {text: text});
      })));
    }
    if (result.changes.length) {
      var rows = result.changes.map(function (change) {
        var old = change.attribute === "tags" ? "" : shown(change.old);
        var now = change.attribute === "tags"
          ? "+" + change.added.join(", +") + (change.removed.length ? " −" + change.removed.join(", −") : "")
          : shown(change.new);
        return el("tr", {}, [el("td", {text: change.attribute}), el("td", {text: old}), el("td", {text: now})]);
      });
      box.appendChild(el("table", {}, [
        el("caption", {text: "Changes it would make"}),
        el("thead", {}, [el("tr", {}, ["Attribute", "Old", "New"].map(function (h) { return el("th", {scope: "col", text: h}); }))]),
        el("tbody", {}, rows)
      ]));
    }
  }

  function setUpTest() {
    var testButton = document.getElementById("test-button");
    if (!testButton || !config.workflowId) { return; }
    testButton.hidden = false;
    testButton.addEventListener("click", function () {
      var sample;
      try {
        sample = JSON.parse(document.getElementById("sample-event").value);
      } catch (error) {
        showTest({error: {message: "The sample event is not valid JSON: " + error.message}}, 400);
        return;
      }
      testButton.disabled = true;
      fetch("/api/v1/workflows/" + config.workflowId + "/test", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify({event: sample, definition: state})
      }).then(function (response) {
        return response.json().then(function (body) { showTest(body, response.status); });
      }).catch(function (error) {
        showTest({error: {message: "The test could not be run: " + error.message}}, 0);
      }).finally(function () { testButton.disabled = false; });
    });
  }

  if (!root || !textarea) { return; }
  root.hidden = false;
  applyButton.hidden = false;
  applyButton.addEventListener("click", load);
  if (!load()) { document.getElementById("json-view").open = true; }
  setUpTest();
})();
