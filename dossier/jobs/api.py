"""REST endpoints of the jobs app: batch edit, and the jobs it starts (SPEC §5)."""

from django.http import HttpRequest
from ninja import Router

from dossier.core.api import ApiError, idempotent, json_response, page_limit, read_json, require
from dossier.jobs import openapi
from dossier.jobs.models import Job
from dossier.jobs.serializers import job_json, undone_by
from dossier.jobs.services import do_cancel_job, do_start_batch_edit, do_undo_job, get_job, jobs_newest_first
from dossier.profiles.errors import FieldError

router = Router(tags=["jobs"])

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def _job_response(job: Job):
    undo = undone_by([job]).get(job.id)
    return json_response(job_json(job, undone_by=undo), status=200 if job.is_finished else 202)


@router.post("/profiles/batch-edit", summary="Batch edit the selected profiles (a job)",
             response={200: None, 202: None}, openapi_extra=openapi.BATCH_EDIT)
@idempotent
def batch_edit(request: HttpRequest):
    principal = require(request, "profiles:write")
    job = do_start_batch_edit(read_json(request), principal, request_id=getattr(request, "request_id", ""))
    return _job_response(job)


@router.get("/jobs", summary="List jobs, newest first", openapi_extra=openapi.LIST_JOBS)
def list_jobs(request: HttpRequest):
    require(request, "profiles:read")
    errors = []
    before = None
    if request.GET.get("before"):
        try:
            before = get_job(request.GET["before"])
        except ApiError:
            errors.append(FieldError("before", "not_found", "no job has this id", request.GET["before"]))
    jobs = jobs_newest_first(before)
    for name, choices in (("kind", Job.Kind.values), ("status", Job.Status.values)):
        value = request.GET.get(name)
        if value and value not in choices:
            errors.append(FieldError(name, "invalid_choice", f"{name} is one of {', '.join(choices)}", value))
        elif value:
            jobs = jobs.filter(**{name: value})
    limit = page_limit(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
    if errors:
        raise ApiError(422, "invalid_filter", "the list's parameters are not valid", errors)
    page = list(jobs[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    undos = undone_by(page)
    return json_response({
        "items": [job_json(job, undone_by=undos.get(job.id), with_errors=False) for job in page],
        "next": str(page[-1].id) if more else None,
    })


@router.get("/jobs/{job_id}", summary="A job: status, progress, counts, errors", openapi_extra=openapi.READ_JOB)
def get_job_detail(request: HttpRequest, job_id: str):
    require(request, "profiles:read")
    job = get_job(job_id)
    undo = undone_by([job]).get(job.id)
    return json_response(job_json(job, undone_by=undo))


def _write_scope(job: Job) -> str:
    return "imports" if job.kind == Job.Kind.IMPORT else "profiles:write"


@router.post("/jobs/{job_id}/cancel", summary="Cancel a job (a running one stops after its current chunk)",
             openapi_extra=openapi.CANCEL_JOB)
def cancel_job(request: HttpRequest, job_id: str):
    require(request, "profiles:read")
    job = get_job(job_id)
    require(request, _write_scope(job))
    return json_response(job_json(do_cancel_job(job)))


@router.post("/jobs/{job_id}/undo", summary="Undo a finished job: a new job restores what it changed",
             response={200: None, 202: None}, openapi_extra=openapi.UNDO_JOB)
@idempotent
def undo_job(request: HttpRequest, job_id: str):
    principal = require(request, "profiles:write")
    return _job_response(do_undo_job(get_job(job_id), principal))
