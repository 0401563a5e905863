"""The workflow engine: batches that turn outbox rows into runs and advance runs, atomically.

One batch is one transaction. It claims up to `BATCH_SIZE` outbox rows and due runs (on
PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows and never run
one run twice; SQLite has one writer at a time), creates the runs the events start, advances
every runnable run as far as it goes, saves the runs and deletes the outbox rows it consumed.
Because all of that commits together, a worker killed mid-batch loses nothing and doubles
nothing: the rows it held become claimable again and the next batch starts over from them. The
unique (event, workflow) constraint backs this up: an event starts a workflow at most once.

Work is started by the drain each commit that queued triggers enqueues
(`dispatch.queue_triggers`), by deferred tasks at the end of each delay, and by `sweep`, a duty
of `dossier worker` that catches what a crash left behind (outbox rows whose task was lost, runs
due while no worker was up).
"""

import datetime as dt
import time
from functools import partial
from typing import Any, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from dossier.config import env_int
from dossier.core.bulk import allocate_ids, insert_rows, row_lock_clause, update_rows
from dossier.profiles.models import Profile
from dossier.workflows import dispatch
from dossier.workflows.definition import Definition, parse_definition
from dossier.workflows.execution import RunState, execute
from dossier.workflows.matching import ActiveWorkflow, event_dict, load_events, runs_for_events
from dossier.workflows.models import PendingTrigger, WorkflowRun, WorkflowVersion

Status = WorkflowRun.Status
BATCH_SIZE = env_int("DOSSIER_WORKFLOW_BATCH_SIZE", 500)  # outbox rows and runs per transaction
if BATCH_SIZE < 1:
    raise ImproperlyConfigured(f"DOSSIER_WORKFLOW_BATCH_SIZE must be at least 1, got {BATCH_SIZE}")
DRAIN_SECONDS = 20  # a task hands over to a fresh one after this long, so other tasks get a turn
STALE_SECONDS = 5  # outbox rows and running runs untouched this long are picked up by the sweep
RUN_STATE_COLUMNS = ("status", "position", "resume_at", "reason", "log", "changes", "updated_at", "finished_at")
NEW_RUN_COLUMNS = ("id", "workflow_id", "version_id", "event_id", "profile_id", "created_at", *RUN_STATE_COLUMNS)

# Parsed versions by id, with the JSON they were parsed from: a version never changes, so each is
# parsed once per process (the JSON check only matters where an uncommitted id can be reused).
_parsed: dict[int, tuple[Any, Definition | None]] = {}


def definitions(version_rows: Iterable[tuple[int, Any]]) -> dict[int, Definition | None]:
    found = {}
    for version_id, data in version_rows:
        cached = _parsed.get(version_id)
        if cached is None or cached[0] != data:
            if len(_parsed) > 1000:
                _parsed.clear()
            cached = _parsed[version_id] = (data, parse_definition(data, stored=True)[0])
        found[version_id] = cached[1]
    return found


def active_workflows() -> list[ActiveWorkflow]:
    rows = list(WorkflowVersion.objects.filter(workflow__enabled=True, number=F("workflow__version"))
                .values_list("id", "workflow_id", "definition"))
    parsed = definitions((version_id, data) for version_id, _, data in rows)
    return [ActiveWorkflow(workflow_id, version_id, parsed[version_id])
            for version_id, workflow_id, _ in rows if parsed[version_id] is not None]


def process_batch(size: int = BATCH_SIZE) -> int:
    """Claim, advance and save one batch; returns how many outbox rows and runs it took."""
    with transaction.atomic():
        now = timezone.now()
        event_ids = list(PendingTrigger.objects.select_for_update(skip_locked=True).order_by("event_id")
                         .values_list("event_id", flat=True)[:size])
        claimed: list[WorkflowRun] = []
        if len(event_ids) < size:
            due = Q(status=Status.RUNNING) | Q(status=Status.WAITING, resume_at__lte=now)
            claimed = list(WorkflowRun.objects.select_for_update(skip_locked=True).filter(due)
                           .order_by("id")[: size - len(event_ids)])
        if not event_ids and not claimed:
            return 0
        events = load_events(set(event_ids) | {run.event_id for run in claimed})
        new_runs = _new_runs(event_ids, events, now)
        resumed = _resumed(claimed, events)
        runnable = [run for run in new_runs + resumed if run.status == Status.RUNNING]
        _lock_profiles(runnable)
        execute(runnable)
        _save(new_runs, resumed, timezone.now())
        PendingTrigger.objects.filter(event_id__in=event_ids).delete()
        wake_at = {run.resume_at for run in new_runs + resumed if run.status == Status.WAITING}
        if wake_at:
            transaction.on_commit(partial(dispatch.schedule_wakeups, wake_at), robust=True)
    return len(event_ids) + len(claimed)


def _new_runs(event_ids: list[int], events: dict[int, dict], now: dt.datetime) -> list[RunState]:
    rows = [events[event_id] for event_id in event_ids if event_id in events]
    if not rows:
        return []
    existing = set(WorkflowRun.objects.filter(event_id__in=[r["id"] for r in rows]).values_list("workflow_id", "event_id"))
    runs = runs_for_events(rows, active_workflows(), now)
    return [run for run in runs if (run.workflow_id, run.event["id"]) not in existing]


def _resumed(claimed: list[WorkflowRun], events: dict[int, dict]) -> list[RunState]:
    versions = definitions(WorkflowVersion.objects.filter(id__in={run.version_id for run in claimed})
                           .values_list("id", "definition")) if claimed else {}
    states = []
    for run in claimed:
        row = events.get(run.event_id)
        state = RunState(run.workflow_id, run.version_id, versions.get(run.version_id),
                         event_dict(row) if row else {"id": run.event_id, "params": {}}, run.profile_id,
                         status=Status.RUNNING, position=run.position, resume_at=run.resume_at, reason=run.reason,
                         log=run.log, changes=run.changes, id=run.id, created_at=run.created_at)
        if row is None:
            state.fail(run.position, "error", "the triggering event no longer exists")
        elif state.definition is None:
            state.fail(run.position, "error", "the workflow version this run started with cannot be read")
        states.append(state)
    return states


def _lock_profiles(runs: list[RunState]) -> None:
    """Lock the batch's profiles in id order up front: two workers whose batches share profiles
    then wait for each other instead of deadlocking across rounds."""
    if runs and connection.vendor == "postgresql":  # SQLite's write transaction already excludes the others
        table = connection.ops.quote_name(Profile._meta.db_table)
        with connection.cursor() as cursor:
            # One array parameter instead of an IN list: this runs for every batch.
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id{row_lock_clause()}",
                           [sorted({run.profile_id for run in runs})])


def _save(new_runs: list[RunState], resumed: list[RunState], now: dt.datetime) -> None:
    def state(run: RunState) -> list:
        return [run.status, run.position, run.resume_at, run.reason, run.log, run.changes, now, run.finished_at]

    if new_runs:
        for run, run_id in zip(new_runs, allocate_ids(WorkflowRun, len(new_runs))):
            run.id = run_id
        insert_rows(WorkflowRun, NEW_RUN_COLUMNS, ([run.id, run.workflow_id, run.version_id, run.event["id"],
                                                    run.profile_id, run.created_at, *state(run)] for run in new_runs))
    if resumed:
        update_rows(WorkflowRun, RUN_STATE_COLUMNS, "id", ([*state(run), run.id] for run in resumed))


def drain(max_seconds: float = DRAIN_SECONDS) -> int:
    """Process batches until none is full; a full batch asks for a helper (another worker)."""
    started = time.monotonic()
    total = 0
    while True:
        handled = process_batch()
        total += handled
        if handled < BATCH_SIZE:
            return total
        dispatch.kick()
        if time.monotonic() - started > max_seconds:
            return total


def sweep() -> None:
    """Start a drain when committed work waits without a task: after a crash between a commit and
    its kick, or a delay that ended while no worker was running."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=STALE_SECONDS)
    waiting = (PendingTrigger.objects.filter(created_at__lt=stale).exists()
               or WorkflowRun.objects.filter(status=Status.RUNNING, updated_at__lt=stale).exists()
               or WorkflowRun.objects.filter(status=Status.WAITING, resume_at__lt=now - dt.timedelta(seconds=1)).exists())
    if waiting:
        dispatch.kick()
