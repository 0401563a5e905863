"""CSV import (SPEC §10 `import-new`, `import-update`): a million rows × 9 columns through the job
engine, as `dossier import` runs them, beside the raw database writing the same rows.

`import-new` imports new profiles. Its ceiling (SPEC §10: the bare insert of the rows and one bare
event row each) inserts the same rows, read from the same file, into scratch copies of the profile
and event tables (same indexes), each profile with a bare `profile.created` event row carrying
the same changes, chunk by chunk, with the primitive the change service uses (`executemany` on
SQLite, COPY on PostgreSQL), and no validation or diff. `import-update` seeds the profiles of that
file, then imports the file again with 3 columns changed; its ceiling is a bare upsert of the
changed rows (INSERT ... ON CONFLICT (email) DO UPDATE) into a scratch copy of the seeded table,
with a bare `profile.updated` event row per profile. `ceiling` and `ratio` are these;
`ratioWithEvents` in the notes, which SPEC §10's target names, is the same ratio.

The timed import includes reading the file whole once (UTF-8 check, line count) as every import
does. The peak memory is this process's: the file is written and read as a stream, so it is the
import's own, and comparing BENCH_SCALE=small with the full size shows whether it stays flat.
"""

import csv
import json
import random
import time
from pathlib import Path
from typing import Iterator

from django.db import connection, transaction

from dossier.bench import measure
from dossier.bench.ceilings import (bare_event, bare_upserts_with_events, clone_event_table, clone_profile_table,
                                    drop_table)
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.seed import (CITIES, EVENT_COLUMNS, FIRST_NAMES, LAST_NAMES, PROFILE_COLUMNS, SEED_TIME, db_time,
                                insert_raw)
from dossier.imports.services import CHUNK_ROWS, create_import_job, plan_for, store_file
from dossier.jobs import engine
from dossier.profiles.changes import new_profile_id

HEADER = ("email", "first_name", "last_name", "city", "zip_code", "country_code", "birth_date", "sex", "loyalty")
OPTIONS = {"identifier": "email", "mapping": {"loyalty": {"target": "attributes.loyalty", "type": "integer"}}}
CHANGED = ("last_name", "city", "loyalty")  # what import-update changes, row by row


def write_file(path: Path, rows: int, *, changed: bool = False, seed: int = 5) -> None:
    """`rows` people as a CSV file, streamed to disk; `changed` moves everyone and changes 3 columns."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for n in range(rows):
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], rng.choice(LAST_NAMES)
            city, _, zip_prefix, country = CITIES[rng.randrange(len(CITIES))]
            birth = f"{1950 + rng.randrange(56)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
            loyalty = rng.randrange(10_000)
            if changed:
                last, city, loyalty = f"{last}-{n % 7}", CITIES[(n + 3) % len(CITIES)][0], loyalty + 1
            writer.writerow((f"person.{n}@bench.example.com", first, last, city, f"{zip_prefix}-{rng.randrange(1000):03d}",
                             country, birth, rng.randrange(3), loyalty))


def bare_rows(path: Path) -> Iterator[list[tuple]]:
    """The file's rows as full profile rows, CHUNK_ROWS at a time, values passed as the file has them."""
    now = db_time(SEED_TIME)
    position = {name: i for i, name in enumerate(PROFILE_COLUMNS)}
    template = [None] * len(PROFILE_COLUMNS)
    for column, value in (("anonymous_type", "recognized"), ("agreement_email", False), ("agreement_sms", False),
                          ("agreement_push", False), ("agreement_web_push", False), ("version", 1),
                          ("created_at", now), ("updated_at", now)):
        template[position[column]] = value
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        chunk = []
        for email, first, last, city, zip_code, country, birth, sex, loyalty in reader:
            row = list(template)
            row[0] = new_profile_id().hex  # ids as the change service makes them
            for column, value in (("email", email), ("first_name", first), ("last_name", last), ("city", city),
                                  ("zip_code", zip_code), ("country_code", country), ("birth_date", birth),
                                  ("sex", int(sex)), ("attributes", json.dumps({"loyalty": int(loyalty)}))):
                row[position[column]] = value
            chunk.append(tuple(row))
            if len(chunk) == CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def bare_inserts(table: str, chunks: Iterator[list[tuple]]) -> float:
    """Seconds to insert each chunk in its own transaction, as the change service writes new rows."""
    started = time.perf_counter()
    columns = ", ".join(PROFILE_COLUMNS)
    with connection.cursor() as cursor:
        for rows in chunks:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(PROFILE_COLUMNS))})", rows)
    return time.perf_counter() - started


def with_events(chunks: Iterator[list[tuple]], first_id: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Each chunk of bare profile rows with one bare `profile.created` event row per profile."""
    position = {name: i for i, name in enumerate(PROFILE_COLUMNS)}
    named = [("email", "email"), ("firstName", "first_name"), ("lastName", "last_name"), ("city", "city"),
             ("zipCode", "zip_code"), ("countryCode", "country_code"), ("birthDate", "birth_date"), ("sex", "sex")]
    now, next_id = db_time(SEED_TIME), first_id
    for rows in chunks:
        events = []
        for row in rows:
            changes = [{"attribute": name, "old": None, "new": row[position[column]]} for name, column in named]
            changes.append({"attribute": "anonymousType", "old": None, "new": "recognized"})
            changes.append({"attribute": "attributes.loyalty", "old": None, "new": json.loads(row[position["attributes"]])["loyalty"]})
            events.append(bare_event(next_id, row[0], "profile.created", now, changes))
            next_id += 1
        yield rows, events


def with_update_events(original: Path, changed: Path, first_id: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Each chunk of the changed file's bare rows with one bare `profile.updated` event row per
    profile, carrying the 3 changes from the original file's values."""
    position = {name: i for i, name in enumerate(PROFILE_COLUMNS)}
    named = [("lastName", "last_name"), ("city", "city")]
    now, next_id = db_time(SEED_TIME), first_id
    for old_rows, rows in zip(bare_rows(original), bare_rows(changed)):
        events = []
        for old, row in zip(old_rows, rows):
            changes = [{"attribute": name, "old": old[position[column]], "new": row[position[column]]}
                       for name, column in named]
            changes.append({"attribute": "attributes.loyalty", "old": json.loads(old[position["attributes"]])["loyalty"],
                            "new": json.loads(row[position["attributes"]])["loyalty"]})
            events.append(bare_event(next_id, row[0], "profile.updated", now, changes))
            next_id += 1
        yield rows, events


def bare_inserts_with_events(table: str, event_table: str, chunks: Iterator[tuple[list[tuple], list[tuple]]]) -> float:
    """Seconds to insert each chunk of profile rows and their event rows in one transaction."""
    started = time.perf_counter()
    for rows, events in chunks:
        with transaction.atomic():
            insert_raw(table, PROFILE_COLUMNS, rows)
            insert_raw(event_table, ("id", *EVENT_COLUMNS), events)
    return time.perf_counter() - started


def run_import(path: Path) -> tuple[float, dict]:
    """Seconds to import the file through the job engine, and the job's summary."""
    started = time.perf_counter()
    import_file = store_file(path.name, path=str(path), created_by="user:bench")
    plan, _ = plan_for(import_file, OPTIONS)
    with transaction.atomic():
        job = create_import_job(import_file, plan, dry_run=False, actor="user:bench")
    job = engine.run(job.id)
    seconds = time.perf_counter() - started
    if job.status != "succeeded":
        raise RuntimeError(f"the import {job.status}: {job.summary.get('error')}")
    return seconds, job.summary


def _measurement(name: str, ctx: BenchContext, rows: int, seconds: float, ceiling_seconds: float, summary: dict,
                 notes: dict) -> Measurement:
    value, ceiling = measure.rate(rows, seconds), measure.rate(rows, ceiling_seconds)
    return Measurement(
        scenario=name, database=ctx.database, size=rows, seconds=round(seconds, 3), rate=value, unit="rows/s",
        ceiling=ceiling, ratio=measure.ratio(value, ceiling), peakMemoryMB=measure.peak_memory_mb(),
        target="ratioWithEvents >= 0.85 and peakMemoryMB < 300" if name == "import-new" else "ratioWithEvents >= 0.85",
        notes={"columns": len(HEADER), "chunk": CHUNK_ROWS, "counts": {k: summary.get(k) for k in
               ("created", "updated", "unchanged", "rejected")}, "ceilingWithEvents": ceiling,
               "ratioWithEvents": measure.ratio(value, ceiling), **notes},
    )


@scenario("import-new")
def import_new(ctx: BenchContext) -> Measurement:
    rows = ctx.size(1_000_000)
    path = Path(ctx.work_dir) / "people.csv"
    write_file(path, rows)
    table, event_table = clone_profile_table(), clone_event_table()
    ceiling_seconds = bare_inserts_with_events(table, event_table, with_events(bare_rows(path), 1))
    drop_table(table)
    drop_table(event_table)
    memory_before = measure.peak_memory_mb()
    seconds, summary = run_import(path)
    if summary.get("created") != rows:
        raise RuntimeError(f"expected {rows} profiles created, got {summary}")
    return _measurement("import-new", ctx, rows, seconds, ceiling_seconds, summary, {
        "fileMB": round(path.stat().st_size / 2**20, 1), "peakMemoryMBBeforeImport": memory_before})


@scenario("import-update")
def import_update(ctx: BenchContext) -> Measurement:
    rows = ctx.size(1_000_000)
    original, changed = Path(ctx.work_dir) / "people.csv", Path(ctx.work_dir) / "people-changed.csv"
    write_file(original, rows)
    write_file(changed, rows, changed=True)
    bare_inserts("profiles_profile", bare_rows(original))
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO profiles_attributedefinition (name, label, type, description, created_at)"
                       " VALUES ('loyalty', 'loyalty', 'integer', '', %s)", [db_time(SEED_TIME)])
    table, event_table = clone_profile_table(), clone_event_table()
    columns = [c if c != "loyalty" else "attributes" for c in CHANGED]
    ceiling_seconds = bare_upserts_with_events(table, event_table, with_update_events(original, changed, 1), columns)
    drop_table(table)
    drop_table(event_table)
    seconds, summary = run_import(changed)
    if summary.get("updated") != rows:
        raise RuntimeError(f"expected {rows} profiles updated, got {summary}")
    return _measurement("import-update", ctx, rows, seconds, ceiling_seconds, summary, {
        "changedColumns": list(CHANGED), "seededWithoutEvents": True})
