"""Hand committed events to the workflow engine: the outbox and the kicks that start a drain.

`queue_triggers` runs inside the transaction that records events (the outbox hands them over), so
an outbox row commits with its event or not at all: nothing that should start a workflow is lost
when a process dies right after the commit. It reads the event types the enabled workflows
listen to from a tiny indexed table on every call instead of caching them, so enabling a
workflow takes effect for the very next event in every process; when nothing listens (an import
of a million rows with no profile workflow) that one query per chunk is all it costs.
"""

import datetime as dt
from typing import Iterable

from django.db import connection
from django.utils import timezone

from dossier.core.bulk import insert_rows
from dossier.core.tasks import enqueue_once, enqueue_once_on_commit
from dossier.workflows.models import PendingTrigger, Workflow
from dossier.workflows.tasks import advance_workflows


def listened_event_types() -> set[str]:
    table = connection.ops.quote_name(Workflow._meta.db_table)
    with connection.cursor() as cursor:
        # Raw SQL: this runs on every write of every profile, where the ORM's overhead shows.
        cursor.execute(f"SELECT DISTINCT trigger_event FROM {table} WHERE enabled = %s", [True])
        return {row[0] for row in cursor.fetchall()}


def queue_triggers(events) -> None:
    """Called by the outbox inside the writing transaction: queue the events some enabled
    workflow may start on, and ask for a drain that starts after the transaction commits."""
    listened = listened_event_types()
    if not listened:
        return
    queued = [event.id for event in events if event.type in listened and event.profile_id is not None]
    if not queued:
        return
    now = timezone.now()
    insert_rows(PendingTrigger, ("event_id", "created_at"), ((event_id, now) for event_id in queued))
    enqueue_once_on_commit(advance_workflows)


def kick() -> None:
    """Make sure a drain will run: enqueue one unless one is already waiting to start."""
    enqueue_once(advance_workflows)


WAKEUP_STEP_MICROSECONDS = 250_000


def _wakeup_time(moment: dt.datetime) -> dt.datetime:
    rest = moment.microsecond % WAKEUP_STEP_MICROSECONDS
    return moment + dt.timedelta(microseconds=WAKEUP_STEP_MICROSECONDS - rest) if rest else moment


def schedule_wakeups(moments: Iterable[dt.datetime]) -> None:
    """Deferred drains at the end of delays: one per quarter second in which delays end, so a
    batch of runs that started waiting together wakes with one task."""
    if not advance_workflows.get_backend().supports_defer:
        return  # the sweep duty picks up due runs
    for moment in sorted({_wakeup_time(m) for m in moments}):
        advance_workflows.using(run_after=moment).enqueue()
