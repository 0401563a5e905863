"""Jobs as the API's JSON (SPEC §5)."""

from typing import Any

from dossier.jobs.models import Job

PUBLIC_PARAMS = {Job.Kind.BATCH_EDIT: ("selection", "changes", "dryRun"), Job.Kind.UNDO: ("undoes",)}


def _time(value) -> str | None:
    return value.isoformat() if value else None


def job_json(job: Job, *, undone_by: Any = None, with_errors: bool = True) -> dict:
    data = {
        "id": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "createdBy": job.created_by,
        "createdAt": _time(job.created_at),
        "startedAt": _time(job.started_at),
        "finishedAt": _time(job.finished_at),
        "cancelRequested": job.cancel_requested,
        "dryRun": bool(job.params.get("dryRun")),
        "params": {k: job.params[k] for k in PUBLIC_PARAMS.get(job.kind, ()) if k in job.params},
        "summary": job.summary,
        "undoes": str(job.undoes_id) if job.undoes_id else None,
        "undoneBy": str(undone_by) if undone_by else None,
        "links": {"page": f"/jobs/{job.id}/", "profiles": f"/profiles/?job={job.id}"},
    }
    if with_errors:
        data["errors"] = job.errors
    return data


def undone_by(jobs: list[Job]) -> dict[Any, Any]:
    """For each job, the undo that stands for it (queued, running or succeeded), in one query."""
    rows = (Job.objects.filter(undoes__in=[j.id for j in jobs])
            .exclude(status__in=(Job.Status.FAILED, Job.Status.CANCELLED)).values_list("undoes_id", "id"))
    return dict(rows)
