"""REST endpoints of workflows (SPEC §4, §7): CRUD, test with a sample event, runs."""

from django.db.models import F
from django.http import HttpRequest, HttpResponse
from ninja import Router

from dossier.core.api import ApiError, json_response, newest_first_page, read_json, require
from dossier.core.params import row_id
from dossier.profiles.errors import FieldError
from dossier.workflows import openapi
from dossier.workflows.models import Workflow, WorkflowRun, WorkflowVersion
from dossier.workflows.serializers import run_json, workflow_json
from dossier.workflows.services import (
    InvalidDefinition,
    current_definition,
    do_create_workflow,
    do_delete_workflow,
    do_test_workflow,
    do_update_workflow,
)

router = Router(tags=["workflows"])
SCOPE = "workflows"
MAX_RUNS_PAGE = 200


def _workflow(workflow_id: str) -> Workflow:
    pk = row_id(workflow_id)
    workflow = Workflow.objects.filter(id=pk).first() if pk is not None else None
    if workflow is None:
        raise ApiError(404, "not_found", "no workflow has this id")
    return workflow


def _rejected(exc: InvalidDefinition) -> ApiError:
    return ApiError(422, "validation_failed", f"the workflow is not valid: {exc}", exc.errors)


@router.get("/workflows", summary="List workflows", openapi_extra=openapi.LIST_WORKFLOWS)
def list_workflows(request: HttpRequest):
    require(request, SCOPE)
    workflows = list(Workflow.objects.all())
    definitions = dict(WorkflowVersion.objects.filter(workflow__in=workflows, number=F("workflow__version"))
                       .values_list("workflow_id", "definition"))
    return json_response({"items": [workflow_json(w, definitions.get(w.id, {})) for w in workflows]})


@router.post("/workflows", summary="Create a workflow", response={201: None}, openapi_extra=openapi.CREATE_WORKFLOW)
def create_workflow(request: HttpRequest):
    principal = require(request, SCOPE)
    try:
        workflow = do_create_workflow(read_json(request), principal.actor)
    except InvalidDefinition as exc:
        raise _rejected(exc) from None
    return json_response(workflow_json(workflow, current_definition(workflow)), status=201)


@router.get("/workflows/{workflow_id}", summary="Read a workflow (its current version)", openapi_extra=openapi.READ_WORKFLOW)
def get_workflow(request: HttpRequest, workflow_id: str):
    require(request, SCOPE)
    workflow = _workflow(workflow_id)
    return json_response(workflow_json(workflow, current_definition(workflow)))


@router.put("/workflows/{workflow_id}", summary="Replace a workflow's definition (a new version) or enable/disable it",
            openapi_extra=openapi.REPLACE_WORKFLOW)
def update_workflow(request: HttpRequest, workflow_id: str):
    principal = require(request, SCOPE)
    workflow = _workflow(workflow_id)
    try:
        workflow = do_update_workflow(workflow.id, read_json(request), principal.actor)
    except InvalidDefinition as exc:
        raise _rejected(exc) from None
    return json_response(workflow_json(workflow, current_definition(workflow)))


@router.delete("/workflows/{workflow_id}", summary="Delete a workflow and its runs", response={204: None},
               openapi_extra=openapi.DELETE_WORKFLOW)
def delete_workflow(request: HttpRequest, workflow_id: str):
    require(request, SCOPE)
    do_delete_workflow(_workflow(workflow_id).id)
    return HttpResponse(status=204)


@router.post("/workflows/{workflow_id}/test", summary="Show what a sample event would do, writing nothing",
             openapi_extra=openapi.TEST_WORKFLOW)
def test_workflow(request: HttpRequest, workflow_id: str):
    """Body: `{event: {type, params, profile?: {id|email|customId|phone}}, definition?}`; without
    `definition` the workflow's current version is tested."""
    principal = require(request, SCOPE)
    workflow = _workflow(workflow_id)
    data = read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "send {event: {type, params, profile?}, definition?}",
                       [FieldError("event", "required", "a sample event is required", None)])
    try:
        result = do_test_workflow(workflow, data.get("event"), data.get("definition"), actor=principal.actor)
    except InvalidDefinition as exc:
        raise _rejected(exc) from None
    return json_response(result)


@router.get("/workflows/{workflow_id}/runs", summary="A workflow's runs, newest first", openapi_extra=openapi.LIST_RUNS)
def list_runs(request: HttpRequest, workflow_id: str):
    require(request, SCOPE)
    workflow = _workflow(workflow_id)
    runs = WorkflowRun.objects.filter(workflow=workflow).select_related("version")
    status = request.GET.get("status")
    if status:
        if status not in WorkflowRun.Status.values:
            raise ApiError(422, "invalid_filter", f"status is one of {', '.join(WorkflowRun.Status.values)}",
                           [FieldError("status", "invalid_choice", "unknown status", status)])
        runs = runs.filter(status=status)
    event_id = row_id(request.GET.get("eventId"))
    if event_id is not None:
        runs = runs.filter(event_id=event_id)
    page, next_cursor = newest_first_page(request, runs, maximum=MAX_RUNS_PAGE)
    return json_response({"items": [run_json(run) for run in page], "nextCursor": next_cursor})
