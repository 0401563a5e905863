"""Use cases on jobs: start a batch edit, cancel a job, undo a job.

A request that cannot be honoured raises `ApiError` with the HTTP status it stands for; the API
returns it as is and the pages show its message.

A job's selection is recorded when the job is created, in the request that asks for it. Small
selections then run right there (the caller gets the finished job); larger ones are queued for
`dossier worker` in the same transaction that creates the job.
"""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from dossier.activity.models import Event
from dossier.core.api import ApiError, Principal
from dossier.jobs import engine
from dossier.jobs.batch_edit import parse_changes
from dossier.jobs.models import Job, JobItem
from dossier.jobs.selection import record_ids, record_matches
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.errors import FieldError
from dossier.profiles.filters import parse_filters
from dossier.profiles.models import Company
from dossier.profiles.writes import UNSET

INLINE_LIMIT = 1000
UNDOABLE_KINDS = (Job.Kind.BATCH_EDIT, Job.Kind.IMPORT, Job.Kind.UNDO)
REQUEST_KEYS = ("selection", "changes", "dryRun")


def do_start_batch_edit(data: Any, principal: Principal, *, request_id: str = "") -> Job:
    """Validate a batch edit request whole, record its selection, then run or queue it."""
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "the body must be an object {selection, changes, dryRun}")
    errors = [FieldError(key, "unknown_field", f"a batch edit has {', '.join(REQUEST_KEYS)}", data[key])
              for key in data if key not in REQUEST_KEYS]
    write, change_errors = parse_changes(data.get("changes"), AttributeRegistry.load())
    errors += change_errors
    if write.company_id not in (UNSET, None) and not Company.objects.filter(id=write.company_id).exists():
        errors.append(FieldError("companyId", "not_found", "no company has this id", str(write.company_id)))
    dry_run = data.get("dryRun", False)
    if not isinstance(dry_run, bool):
        errors.append(FieldError("dryRun", "invalid_boolean", "must be true or false", dry_run))
    selection, matches, selection_errors = _parse_selection(data.get("selection"))
    errors += selection_errors
    if errors:
        raise ApiError(422, "validation_failed", "; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    params = {"selection": selection, "changes": data["changes"], "dryRun": dry_run, "requestId": request_id}
    with transaction.atomic():
        job = _create(Job.Kind.BATCH_EDIT, principal, params)
        job.total = record_ids(job, matches) if "ids" in data["selection"] else record_matches(job, matches)
        return _run_or_queue(job)


def _parse_selection(selection: Any) -> tuple[dict, Any, list[FieldError]]:
    """(what to keep on the job, the ids or the queryset of matching ids, errors)."""
    if not isinstance(selection, dict) or len(selection) != 1 or not {"ids", "filter"} & set(selection):
        return {}, None, [FieldError("selection", "invalid", "give either {ids: [...]} or {filter: {...}}", None)]
    if "ids" in selection:
        ids = selection["ids"]
        if not isinstance(ids, list) or not ids:
            return {}, None, [FieldError("selection.ids", "invalid_type", "must be a non-empty list of profile ids", None)]
        parsed, errors = [], []
        for index, raw in enumerate(ids):
            try:
                parsed.append(uuid.UUID(str(raw)))
            except ValueError:
                errors.append(FieldError(f"selection.ids[{index}]", "invalid_id", "must be a profile id (UUID)", raw))
        return {"ids": len(set(parsed))}, parsed, errors
    filters = selection["filter"]
    if not isinstance(filters, dict):
        return {}, None, [FieldError("selection.filter", "invalid_type", "must be an object of list filters", filters)]
    query = parse_filters(filters)
    return {"filter": filters}, query.queryset.values_list("id", flat=True), query.errors


def _create(kind: str, principal: Principal, params: dict, undoes: Job | None = None) -> Job:
    return Job.objects.create(kind=kind, created_by=principal.actor, created_by_user=principal.user,
                              params=params, undoes=undoes)


def _run_or_queue(job: Job) -> Job:
    job.save(update_fields=["total"])
    if job.total > INLINE_LIMIT:
        engine.enqueue(job)
        return job
    return engine.run(job.id)


def jobs_newest_first(before: Job | None = None) -> QuerySet:
    """All jobs, newest first; with `before`, only those listed after it (keyset paging)."""
    jobs = Job.objects.order_by("-created_at", "-id")
    if before is not None:
        jobs = jobs.filter(Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id))
    return jobs


def get_job(job_id: Any) -> Job:
    try:
        job = Job.objects.filter(id=uuid.UUID(str(job_id))).first()
    except ValueError:
        job = None
    if job is None:
        raise ApiError(404, "not_found", "no job has this id")
    return job


def do_cancel_job(job: Job) -> Job:
    """Cancel a queued job at once, a running one after its current chunk."""
    if not job.is_finished:
        job = engine.request_cancel(job)
        if job.status == Job.Status.CANCELLED or job.cancel_requested:
            return job
    raise ApiError(409, "already_finished", f"the job has already {job.status}")


def active_undo(job: Job) -> Job | None:
    """The undo that stands for `job`: queued, running or succeeded (a failed or cancelled one does not)."""
    return job.undone_by.exclude(status__in=(Job.Status.FAILED, Job.Status.CANCELLED)).first()


def undo_refusal(job: Job, active: Job | None = None) -> str | None:
    """Why the job cannot be undone, or None when it can (`active`: its `active_undo`, if already read)."""
    if job.kind not in UNDOABLE_KINDS:
        return f"a {job.kind} job cannot be undone"
    if job.params.get("dryRun"):
        return "a dry run changed nothing"
    if not job.is_finished:
        return "the job is still running; cancel it or wait for it to finish"
    active = active or active_undo(job)
    if active is not None:
        return f"the job is already undone by job {active.id}; undo that job to redo"
    return None


def do_undo_job(job: Job, principal: Principal) -> Job:
    """Start a job that takes back what `job` changed, profile by profile (see dossier.jobs.undo)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job.id)
        refusal = undo_refusal(job)
        if refusal:
            raise ApiError(409, "not_undoable", refusal)
        undo = _create(Job.Kind.UNDO, principal, {"undoes": str(job.id)}, undoes=job)
        touched = Event.objects.filter(job_id=job.id, profile_id__isnull=False).values_list("profile_id", flat=True)
        if job.kind == Job.Kind.UNDO:  # and the profiles it deleted, to re-create them
            touched = touched.union(JobItem.objects.filter(job=job, payload__isnull=False).values_list("profile_id", flat=True))
        undo.total = record_matches(undo, touched)
        return _run_or_queue(undo)
