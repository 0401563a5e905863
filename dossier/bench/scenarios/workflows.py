"""Workflow runs (SPEC §10 `workflow-runs`): form.submit events through one updateProfile
workflow, advanced by real `dossier worker` processes: on PostgreSQL once with one worker and once
with two (SPEC §10 wants two to do at least 1.6 times the runs of one: compare the rows'
`totalRate`), on SQLite with one (its single writer serializes workers, so a second one only adds
lock waits).

Two phases on the same seeded profiles:
- throughput: a backlog of `size` form.submit events commits at once while both workers idle;
  `rate` is runs finished per second per worker, from that commit until the last run is done;
- lag: `size` more events arrive as a steady stream (20 every 20 ms, 1,000 a second, each batch
  its own transaction, as concurrent form posts would); `p50Ms`/`p99Ms` are the times from each
  form.submit event to the profile.updated event its run wrote.

The ceiling is the raw database doing the same profile writes in one process with no
validation, no diff, no events and no run rows: per chunk of the engine's batch size, one
executemany of UPDATEs (attributes, agreement, version) and one of tag-link INSERTs.
"""

import json
import time

from django.db import connection, transaction
from django.utils import timezone

from dossier.activity.models import Event
from dossier.activity.services import NewEvent, record_events
from dossier.bench import measure
from dossier.bench.ceilings import clone_profile_table, clone_tag_link_table, drop_table
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.seed import SEED_TIME, db_time, ensure_tags, seed_profiles
from dossier.bench.workers import start_workers, stop_workers
from dossier.forms.services import do_save_form
from dossier.workflows.engine import BATCH_SIZE
from dossier.workflows.models import WorkflowRun
from dossier.workflows.services import do_create_workflow

STREAM_BATCH = 20
STREAM_PAUSE_SECONDS = 0.02
FORM = {"slug": "newsletter", "name": "Newsletter", "identifier": "email",
        "fields": [{"name": "email", "target": "email"}, {"name": "x", "target": None}]}
WORKFLOW = {
    "name": "Newsletter sign-up", "enabled": True,
    "trigger": {"event": "form.submit", "where": [{"param": "formId", "op": "eq", "value": "newsletter"}]},
    "nodes": [{"type": "updateProfile", "set": {"attributes.heard_from": "{{ event.params.x }}"},
               "addTags": ["newsletter"], "agreements": {"email": True}}],
}


@scenario("workflow-runs", workers={"postgresql": (1, 2), "sqlite": (1,)})
def workflow_runs(ctx: BenchContext) -> Measurement:
    size = ctx.size(10_000)
    seeded = seed_profiles(size, with_tags=False)
    ceiling_seconds = _bare_writes(seeded.ids)
    do_save_form(FORM)
    do_create_workflow(WORKFLOW, "bench")

    workers = start_workers(ctx.work_dir, ctx.workers or 1)
    try:
        backlog_seconds = _drain_backlog(seeded, size)
        lags = _stream(seeded, size)
    finally:
        stop_workers(workers)

    per_worker = measure.rate(size, backlog_seconds * len(workers))
    ceiling = measure.rate(size, ceiling_seconds)
    return Measurement(
        scenario="workflow-runs", database=ctx.database, workers=len(workers), size=size, seconds=round(backlog_seconds, 3),
        rate=per_worker, unit="runs/s per worker", ceiling=ceiling, ratio=measure.ratio(per_worker, ceiling),
        p50Ms=round(measure.percentile(lags, 50), 1), p99Ms=round(measure.percentile(lags, 99), 1),
        peakMemoryMB=measure.peak_memory_mb(), target="rate >= 1000 and p99Ms <= 2000",
        notes={"totalRate": measure.rate(size, backlog_seconds), "batchSize": BATCH_SIZE,
               "streamRate": round(STREAM_BATCH / STREAM_PAUSE_SECONDS), "lagSamples": len(lags)},
    )


def _events(seeded, numbers: range, phase: str) -> list[NewEvent]:
    now = timezone.now()
    return [NewEvent(profile_id=seeded.ids[n % len(seeded.ids)], type="form.submit", time=now, source="form",
                     actor="form:newsletter",
                     params={"email": seeded.emails[n % len(seeded.emails)], "x": f"{phase}-{n}", "formId": "newsletter"})
            for n in numbers]


def _runs_done() -> int:
    return WorkflowRun.objects.filter(status=WorkflowRun.Status.DONE).count()


def _wait_for_runs(count: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while _runs_done() < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {_runs_done()} of {count} runs finished within {timeout:.0f} s")
        time.sleep(0.02)
    return time.perf_counter()


def _drain_backlog(seeded, size: int) -> float:
    """Seconds from committing `size` events at once until their runs are done."""
    with transaction.atomic():
        for start in range(0, size, 1000):
            record_events(_events(seeded, range(start, min(start + 1000, size)), "backlog"))
    started = time.perf_counter()
    return _wait_for_runs(size, timeout=600) - started


def _stream(seeded, size: int) -> list[float]:
    """Send `size` events as a steady stream; the event-to-update lag of each, in ms."""
    first_event = Event.objects.order_by("-id").values_list("id", flat=True).first()
    next_at = time.perf_counter()
    for start in range(0, size, STREAM_BATCH):
        with transaction.atomic():
            record_events(_events(seeded, range(size + start, size + min(start + STREAM_BATCH, size)), "stream"))
        next_at += STREAM_PAUSE_SECONDS
        time.sleep(max(0.0, next_at - time.perf_counter()))
    _wait_for_runs(2 * size, timeout=600)
    submitted = dict(Event.objects.filter(id__gt=first_event, type="form.submit").values_list("id", "time"))
    updated = Event.objects.filter(id__gt=first_event, type="profile.updated", caused_by_id__in=list(submitted))
    lags = [(time_ - submitted[cause]).total_seconds() * 1000 for cause, time_ in updated.values_list("caused_by_id", "time")]
    if len(lags) != len(submitted):
        raise RuntimeError(f"{len(submitted)} events but {len(lags)} updates caused by them")
    return lags


def _bare_writes(profile_ids: list[str]) -> float:
    """Seconds for the bare profile writes of the same runs, chunk by chunk, on scratch tables."""
    table, links = clone_profile_table(), clone_tag_link_table()
    tag_id = ensure_tags(("newsletter",))["newsletter"]
    now = db_time(SEED_TIME)
    started = time.perf_counter()
    for start in range(0, len(profile_ids), BATCH_SIZE):
        chunk = profile_ids[start:start + BATCH_SIZE]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET attributes = %s, agreement_email = %s, version = version + 1,"
                               f" updated_at = %s WHERE id = %s",
                               [(json.dumps({"heard_from": f"backlog-{start + i}"}), True, now, pid) for i, pid in enumerate(chunk)])
            cursor.executemany(f"INSERT INTO {links} (profile_id, tag_id) VALUES (%s, %s)", [(pid, tag_id) for pid in chunk])
    seconds = time.perf_counter() - started
    drop_table(table)
    drop_table(links)
    return seconds
