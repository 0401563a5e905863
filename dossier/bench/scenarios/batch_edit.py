"""Batch edit by filter (SPEC §10 `batch-edit`): 2 custom attributes and 1 tag on about a tenth
of a million profiles, through the job engine exactly as `dossier worker` runs it.

The ceiling (SPEC §10: the bare UPDATE plus bare event rows) is the raw database doing the same
writes chunk by chunk with no validation and no diff, into scratch copies of the tables: per chunk
one SELECT of the current attributes, one UPDATE, one INSERT ... SELECT of tag links and the
chunk's event rows.
"""

import json
import time

from django.db import connection, transaction

from dossier.accounts.models import ROLE_SCOPES
from dossier.bench import measure
from dossier.bench.ceilings import bare_event, clone_event_table, clone_profile_table, clone_tag_link_table, drop_table
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.seed import EVENT_COLUMNS, SEED_TIME, db_time, ensure_tags, expect_seeded, insert_raw
from dossier.core.api import Principal
from dossier.jobs import engine
from dossier.jobs.batch_edit import CHUNK_SIZE
from dossier.jobs.services import do_start_batch_edit

FILTER = {"tag": "mobile-app"}  # seeded on about one profile in ten
CHANGES = {"set": {"attributes.segment": "mobile", "attributes.score": 50}, "addTags": ["campaign-2026"]}
NEW_ATTRIBUTES = {"segment": "mobile", "score": 50}


@scenario("batch-edit", seeded=1_000_000)
def batch_edit(ctx: BenchContext) -> Measurement:
    expect_seeded(ctx.size(1_000_000))
    selected = _selected_ids()
    ceiling_seconds = _bare_updates_with_events(selected)

    principal = Principal("user", "bench", ROLE_SCOPES["admin"])
    started = time.perf_counter()
    job = do_start_batch_edit({"selection": {"filter": FILTER}, "changes": CHANGES}, principal)
    if not job.is_finished:
        job = engine.run(job.id)
    seconds = time.perf_counter() - started
    if job.status != "succeeded" or job.summary.get("changed") != len(selected):
        raise RuntimeError(f"expected {len(selected)} profiles changed, got {job.status} {job.summary} {job.errors[:3]}")

    value, ceiling = measure.rate(len(selected), seconds), measure.rate(len(selected), ceiling_seconds)
    return Measurement(
        scenario="batch-edit", database=ctx.database, size=len(selected), seconds=round(seconds, 3), rate=value,
        unit="profiles/s", ceiling=ceiling, ratio=measure.ratio(value, ceiling),
        peakMemoryMB=measure.peak_memory_mb(), target="ratio >= 0.6",
        notes={"profiles": ctx.size(1_000_000), "filter": FILTER, "chunk": CHUNK_SIZE},
    )


def _selected_ids() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pt.profile_id FROM profiles_profiletag pt JOIN profiles_tag t ON t.id = pt.tag_id"
                       " WHERE t.name = %s ORDER BY pt.profile_id", [FILTER["tag"]])
        return [row[0] for row in cursor.fetchall()]


def _bare_updates_with_events(ids: list[str]) -> float:
    """Seconds for the bare writes of the same change, set-wise per chunk as the job writes them, on
    scratch tables: the chunk's current attributes in one SELECT, one UPDATE of the chunk, one
    INSERT ... SELECT of its tag links and its `profile.updated` event rows (each profile's own old
    and new values) in one statement."""
    table, links, events = clone_profile_table(), clone_tag_link_table(), clone_event_table()
    tag_id = ensure_tags(("campaign-2026",))["campaign-2026"]
    now = db_time(SEED_TIME)
    merge = "attributes || %s::jsonb" if connection.vendor == "postgresql" else "json_patch(attributes, %s)"
    started = time.perf_counter()
    next_event = 1
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start:start + CHUNK_SIZE]
        marks = ", ".join(["%s"] * len(chunk))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id, attributes FROM {table} WHERE id IN ({marks})", chunk)
            current = cursor.fetchall()
            cursor.execute(f"UPDATE {table} SET attributes = {merge}, version = version + 1, updated_at = %s"
                           f" WHERE id IN ({marks})", [json.dumps(NEW_ATTRIBUTES), now, *chunk])
            cursor.execute(f"INSERT INTO {links} (profile_id, tag_id) SELECT id, %s FROM {table} WHERE id IN ({marks})",
                           [tag_id, *chunk])
            rows = []
            for pid, attributes in current:
                old = _attributes(attributes)
                changes = [{"attribute": f"attributes.{name}", "old": old.get(name), "new": value}
                           for name, value in NEW_ATTRIBUTES.items()]
                changes.append({"attribute": "tags", "added": ["campaign-2026"], "removed": []})
                rows.append(bare_event(next_event, pid, "profile.updated", now, changes, source="batch"))
                next_event += 1
            insert_raw(events, ("id", *EVENT_COLUMNS), rows)
    seconds = time.perf_counter() - started
    for name in (table, links, events):
        drop_table(name)
    return seconds


def _attributes(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value
