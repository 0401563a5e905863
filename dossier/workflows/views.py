"""Browser pages of workflows: the list, the editor and the runs page.

The editor posts the workflow's JSON (SPEC §7) from one textarea, so it works without
JavaScript as a JSON editor; editor.js turns it into one small form per node (add, reorder,
remove) that keeps the textarea up to date, and its Test button calls the test endpoint of the
API with the unsaved definition. Saving goes through the same services as the API.
"""

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from dossier.accounts.access import browser_page, may_edit
from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.core.params import row_id
from dossier.forms.models import Form
from dossier.forms.services import field_path_choices
from dossier.profiles.errors import FieldError
from dossier.profiles.labels import attribute_definitions, describe_change, path_labels, profile_names
from dossier.profiles.models import Company
from dossier.workflows.conditions import OPS
from dossier.workflows.definition import NODE_TYPES
from dossier.workflows.models import Workflow, WorkflowRun
from dossier.workflows.services import (
    InvalidDefinition,
    current_definition,
    do_create_workflow,
    do_delete_workflow,
    do_set_enabled,
    do_update_workflow,
)

RUNS_PAGE_SIZE = 50
PICKER_MAX = 500  # forms and companies offered by the editor's pickers
NEW_DEFINITION = {"name": "", "enabled": False, "trigger": {"event": "form.submit", "where": []}, "nodes": []}


def _workflow(workflow_id: int) -> Workflow:
    workflow = Workflow.objects.filter(id=workflow_id).first()
    if workflow is None:
        raise Http404("no workflow has this id")
    return workflow


@browser_page()
def workflow_list(request: HttpRequest) -> HttpResponse:
    return render(request, "workflows/list.html", {"nav": "workflows", "workflows": Workflow.objects.all(),
                                                   "may_edit": may_edit(request)})


def _editor(request: HttpRequest, workflow: Workflow | None, definition: dict | str,
            errors: list[FieldError] = (), status: int = 200) -> HttpResponse:
    text = definition if isinstance(definition, str) else json.dumps(definition, indent=2, ensure_ascii=False)
    trigger_events = sorted({event_types.FORM_SUBMIT, *event_types.CHANGE_EVENT_TYPES,
                             *Workflow.objects.values_list("trigger_event", flat=True)})
    forms = [{"slug": slug, "name": name, "fields": [f.get("name", "") for f in fields if isinstance(f, dict)]}
             for slug, name, fields in Form.objects.order_by("name").values_list("slug", "name", "fields")[:PICKER_MAX]]
    companies = [{"id": str(id_), "name": name}
                 for id_, name in Company.objects.order_by("name").values_list("id", "name")[:PICKER_MAX]]
    config = {"workflowId": workflow.id if workflow else None, "nodeTypes": NODE_TYPES, "ops": OPS,
              "errors": [e.as_dict() for e in errors], "forms": forms, "companies": companies,
              "profileFields": [{"path": path, "label": label} for path, label in field_path_choices()]}
    context = {"nav": "workflows", "workflow": workflow, "definition": text, "errors": errors, "config": config,
               "may_edit": may_edit(request), "trigger_events": trigger_events, "fields": field_path_choices()}
    return render(request, "workflows/edit.html", context, status=status)


def _posted_definition(request: HttpRequest) -> tuple[str, dict | None, list[FieldError]]:
    text = request.POST.get("definition", "")
    try:
        return text, json.loads(text), []
    except ValueError as exc:
        return text, None, [FieldError("definition", "malformed_json", f"the definition is not valid JSON: {exc}")]


@browser_page()
def workflow_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _editor(request, None, NEW_DEFINITION)
    text, data, errors = _posted_definition(request)
    if errors:
        return _editor(request, None, text, errors, status=422)
    try:
        workflow = do_create_workflow(data, f"user:{request.user.get_username()}")
    except InvalidDefinition as exc:
        return _editor(request, None, text, exc.errors, status=422)
    messages.success(request, f"Workflow “{workflow.name}” created.")
    return redirect("workflow-edit", workflow_id=workflow.id)


@browser_page()
def workflow_edit(request: HttpRequest, workflow_id: int) -> HttpResponse:
    workflow = _workflow(workflow_id)
    if request.method != "POST":
        return _editor(request, workflow, {**current_definition(workflow), "enabled": workflow.enabled})
    text, data, errors = _posted_definition(request)
    if errors:
        return _editor(request, workflow, text, errors, status=422)
    version = workflow.version
    try:
        workflow = do_update_workflow(workflow.id, data, f"user:{request.user.get_username()}")
    except InvalidDefinition as exc:
        return _editor(request, workflow, text, exc.errors, status=422)
    saved = f"saved as version {workflow.version}" if workflow.version != version else "saved (the definition did not change)"
    messages.success(request, f"Workflow “{workflow.name}” {saved}.")
    return redirect("workflow-edit", workflow_id=workflow.id)


@browser_page()
def workflow_switch(request: HttpRequest, workflow_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    workflow = do_set_enabled(_workflow(workflow_id).id, request.POST.get("enabled") == "true")
    messages.success(request, f"Workflow “{workflow.name}” {'enabled' if workflow.enabled else 'disabled'}.")
    if request.POST.get("next") == "edit":
        return redirect("workflow-edit", workflow_id=workflow.id)
    return redirect("workflows")


@browser_page()
def workflow_delete(request: HttpRequest, workflow_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    workflow = _workflow(workflow_id)
    do_delete_workflow(workflow.id)
    messages.success(request, f"Workflow “{workflow.name}” and its runs deleted.")
    return redirect("workflows")


@browser_page()
def workflow_runs(request: HttpRequest, workflow_id: int) -> HttpResponse:
    workflow = _workflow(workflow_id)
    runs = WorkflowRun.objects.filter(workflow=workflow).select_related("version")
    status = request.GET.get("status", "")
    if status in WorkflowRun.Status.values:
        runs = runs.filter(status=status)
    before = row_id(request.GET.get("before"))
    if before is not None:
        runs = runs.filter(id__lt=before)
    page = list(runs.order_by("-id")[: RUNS_PAGE_SIZE + 1])
    older = page[RUNS_PAGE_SIZE - 1].id if len(page) > RUNS_PAGE_SIZE else None
    page = page[:RUNS_PAGE_SIZE]
    event_types_by_id = dict(Event.objects.filter(id__in=[run.event_id for run in page]).values_list("id", "type"))
    names = profile_names(run.profile_id for run in page)
    labels = path_labels(attribute_definitions())
    rows = [{"run": run, "event_type": event_types_by_id.get(run.event_id, "(deleted)"), "log": _log_lines(run, labels),
             "profile": names.get(str(run.profile_id), "deleted profile")} for run in page]
    return render(request, "workflows/runs.html", {
        "nav": "workflows", "workflow": workflow, "rows": rows, "status": status, "older": older,
        "statuses": WorkflowRun.Status.choices, "first_page": not before})


def _log_lines(run: WorkflowRun, labels: dict[str, str]) -> list[dict]:
    """The run's log with node labels, each updateProfile entry followed by the changes it made."""
    changes: dict[int, list[dict]] = {}
    for change in run.changes:
        changes.setdefault(change["node"], []).append(describe_change(change, labels))
    lines = []
    for entry in run.log:
        node = entry.get("node")
        label = entry["type"] if node is None else f"{node + 1}. {entry['type']}"
        made = changes.get(node, []) if entry["outcome"] in ("updated", "created") else []
        lines.append({**entry, "label": label, "changes": made})
    return lines
