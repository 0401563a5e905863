"""Runs jobs in chunks that commit with their progress, so a killed worker loses nothing.

A job kind provides `run_chunk(job) -> bool`: it processes the next chunk after `job.state`
(its cursor), updates `job.state` and the counters, and returns True when nothing is left. The
engine calls it inside a transaction that also saves the job, so the data a chunk wrote and the
cursor that says it was written commit together: after a crash the job resumes at the first chunk
that did not commit, and no change is doubled or lost.

Jobs are started through django-tasks (`run_job`). django_tasks_db never retries a task row that
a killed worker left RUNNING, so recovery is ours: `recover_stalled_jobs`, a duty of `dossier
worker`, re-enqueues jobs whose worker stopped showing life for the lease
(`DOSSIER_JOB_LEASE_SECONDS`, default 60) and queued jobs whose task row is gone.
"""

import logging
import secrets
import time
from datetime import timedelta
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.backend import DatabaseBackend

from dossier.config import env_int
from dossier.core.maintenance import DatabaseOutage, DatabaseUnavailable, connection_lost
from dossier.jobs.models import Job

logger = logging.getLogger(__name__)

SQLITE_WRITER_GAP_SECONDS = 0.012
LEASE_SECONDS = env_int("DOSSIER_JOB_LEASE_SECONDS", 60)
if LEASE_SECONDS < 1:
    raise ImproperlyConfigured(f"DOSSIER_JOB_LEASE_SECONDS must be at least 1, got {LEASE_SECONDS}")


class JobKind(Protocol):
    """`run_chunk` does the next chunk; an optional `prepare(job)` runs first in each process that
    takes the job, outside any transaction (an import reads its whole file there)."""

    def run_chunk(self, job: Job) -> bool: ...


class JobRefused(Exception):
    """A job that cannot run as asked; its message, meant for the person, becomes the job's error."""


KINDS: dict[str, JobKind] = {}


def register_kind(kind: str, handler: JobKind) -> None:
    KINDS[kind] = handler


@task()
def run_job(job_id: str) -> None:
    run(job_id, wait_for_database=True)


def enqueue(job: Job) -> None:
    """Queue the job's task in the caller's transaction (with the database backend the task row
    commits with the job, so a job can never exist without a way to run)."""
    result = run_job.enqueue(str(job.id))
    job.task_id = str(result.id)
    Job.objects.filter(id=job.id).update(task_id=job.task_id)


def run(job_id: Any, *, max_chunks: int | None = None, wait_for_database: bool = False) -> Job:
    """Run a job to its end (or `max_chunks` chunks); safe to call twice for the same job.

    With `wait_for_database` (in `dossier worker`; a request does not wait), a chunk cut off by a
    lost database connection (a database restart) is not a failure of the job: it is tried again
    once the database answers, for up to the lease. Its transaction rolled back, or committed
    together with the cursor, so the retry applies nothing twice. Past the lease the job is left
    running, for `recover_stalled_jobs` to resume.
    """
    token = secrets.token_hex(8)
    job = _claim(job_id, token)
    if job is None:
        return Job.objects.get(id=job_id)
    handler = KINDS[job.kind]
    outage = DatabaseOutage() if wait_for_database else None
    chunks = 0
    try:
        prepare = getattr(handler, "prepare", None)
        if prepare is not None:
            prepare(job)
        while max_chunks is None or chunks < max_chunks:
            try:
                job, stop = _run_chunk(job_id, token, handler)
            except DatabaseError as exc:
                if outage is None or not connection_lost():
                    raise
                outage.wait(f"job {job_id}", exc, give_up_after=LEASE_SECONDS)
                continue
            if outage is not None:
                outage.end()
            chunks += 1
            if stop:
                return job
            yield_write_lock()
    except DatabaseUnavailable:
        raise  # not the job's fault: it resumes after its lease
    except Exception as exc:  # the job fails with the reason recorded; the worker goes on
        if isinstance(exc, JobRefused):
            logger.info("job %s refused: %s", job_id, exc)
            reason = str(exc)
        else:
            logger.exception("job %s failed", job_id)
            reason = f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            job = Job.objects.select_for_update().get(id=job_id)
            job.summary = {**job.summary, "error": reason[:2000]}
            _finish(job, Job.Status.FAILED)
    return job


def _run_chunk(job_id: Any, token: str, handler: JobKind) -> tuple[Job, bool]:
    """The next chunk and the job's cursor in one transaction; True when the job stops here."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job_id)
        if job.lease_token != token:
            logger.info("job %s was taken over by another worker", job_id)
            return job, True
        if job.cancel_requested:
            _finish(job, Job.Status.CANCELLED)
            return job, True
        done = handler.run_chunk(job)
        job.heartbeat_at = timezone.now()
        if done:
            _finish(job, Job.Status.SUCCEEDED)
        else:
            job.save()
        return job, done


def yield_write_lock() -> None:
    """Let waiting writers in between two chunks.

    SQLite has one write lock and no queue: a writer that finds it taken polls after 1, 2, 5, 10 ms
    and so on. A job that commits a chunk and at once begins the next would win every race and keep
    the card, the API and a Cancel waiting until it ends. A pause longer than the first polls lets
    them through at the cost of a few per cent of the job's time.
    """
    if connection.vendor == "sqlite":
        time.sleep(SQLITE_WRITER_GAP_SECONDS)


def _claim(job_id: Any, token: str) -> Job | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.status not in (Job.Status.QUEUED, Job.Status.RUNNING):
            return None
        fresh = job.heartbeat_at and job.heartbeat_at > timezone.now() - timedelta(seconds=LEASE_SECONDS)
        if job.status == Job.Status.RUNNING and fresh:
            return None
        job.status = Job.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.lease_token = token
        job.heartbeat_at = timezone.now()
        job.save()
        return job


def _finish(job: Job, status: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.lease_token = ""
    job.save()


def request_cancel(job: Job) -> Job:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(id=job.id)
        if job.status == Job.Status.QUEUED:
            _finish(job, Job.Status.CANCELLED)
        elif job.status == Job.Status.RUNNING:
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
    return job


def recover_stalled_jobs() -> int:
    """Re-enqueue running jobs whose lease ran out and queued jobs that waited too long, unless
    their task is still waiting in the queue (a busy worker will get to it)."""
    now = timezone.now()
    expired = now - timedelta(seconds=LEASE_SECONDS)
    stalled = Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=expired)
    waiting = Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=expired)
    jobs = list(stalled) + list(waiting)
    waiting_tasks = _waiting_task_ids([job.task_id for job in jobs if job.task_id])
    count = 0
    for job in jobs:
        if job.task_id in waiting_tasks:
            continue
        with transaction.atomic():
            enqueue(job)
        count += 1
    return count


def _waiting_task_ids(task_ids: list[str]) -> set[str]:
    from django_tasks_db.models import DBTaskResult

    if not task_ids or not isinstance(run_job.get_backend(), DatabaseBackend):
        return set()
    ready = DBTaskResult.objects.filter(id__in=task_ids, status=TaskResultStatus.READY).values_list("id", flat=True)
    return {str(task_id) for task_id in ready}


