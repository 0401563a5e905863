"""The raw database doing the bare writes (no validation, no diff, no events): SPEC §10's ceilings.

A ceiling runs on a scratch copy of the profile table with the same indexes, so it costs what
writing those rows costs, and the scenario's own data stays as the Dossier path will find it.
"""

import json
import time
from typing import Iterator, Sequence

from django.db import connection, transaction

from dossier.bench.seed import EVENT_COLUMNS, PROFILE_COLUMNS, insert_raw
from dossier.profiles.search import drop_sqlite_index, index_table

PROFILE_INDEXES = (  # (unique?, columns): the indexes the migrated profile table has
    (True, "id"), (True, "email"), (True, "custom_id"), (False, "phone"), (False, "city, created_at, id"), (False, "last_name"),
    (False, "created_at, id"), (False, "updated_at, id"), (False, "company_id"),
)


def clone_profile_table(name: str = "bench_ceiling_profile") -> str:
    """A copy of profiles_profile (rows and indexes, the search index among them) for ceilings to
    write into: keeping the search index current is part of writing a profile."""
    drop_table(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} AS SELECT * FROM profiles_profile")
        for number, (unique, columns) in enumerate(PROFILE_INDEXES):
            kind = "UNIQUE INDEX" if unique else "INDEX"
            cursor.execute(f"CREATE {kind} {name}_{number} ON {name} ({columns})")
    index_table(connection, name, f"{name}_search")
    return name


def clone_tag_link_table(name: str = "bench_ceiling_profiletag") -> str:
    """A copy of profiles_profiletag (rows and its unique pair index) for ceilings to write into."""
    drop_table(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} AS SELECT * FROM profiles_profiletag")
        cursor.execute(f"CREATE UNIQUE INDEX {name}_pair ON {name} (profile_id, tag_id)")
    return name


def clone_event_table(name: str = "bench_ceiling_event") -> str:
    """An empty copy of activity_event with its indexes (the stream's among them), for ceilings
    that also write events."""
    drop_table(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} AS SELECT * FROM activity_event WHERE 1 = 0")
        cursor.execute(f"CREATE UNIQUE INDEX {name}_id ON {name} (id)")
        cursor.execute(f"CREATE INDEX {name}_profile ON {name} (profile_id, id DESC)")
        cursor.execute(f"CREATE INDEX {name}_profile_type ON {name} (profile_id, type, id DESC)")
        cursor.execute(f"CREATE INDEX {name}_job ON {name} (job_id)")
        cursor.execute(f"CREATE INDEX {name}_stream ON {name} (tx, id)")
        if connection.vendor == "postgresql":  # as the real table: the writing transaction's id
            cursor.execute(f"ALTER TABLE {name} ALTER COLUMN tx SET DEFAULT (pg_current_xact_id()::text::bigint)")
    return name


def bare_event(event_id: int, profile_id: str, event_type: str, at: str, changes: list[dict], *,
               source: str = "import") -> tuple:
    """An event row of a ceiling, job-less: `("id", *EVENT_COLUMNS)`."""
    return event_id, profile_id, event_type, at, source, "user:bench", None, None, "", json.dumps({"changes": changes})


def drop_table(name: str) -> None:
    """Drop a scratch table, and on SQLite the search index a profile table's copy has beside it."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        if connection.vendor == "sqlite":
            drop_sqlite_index(cursor, f"{name}_search")


def upsert_sql(table: str, update_columns: Sequence[str], key: str = "email", *, source: str | None = None) -> str:
    """The upsert of full profile rows: one row's values, or (`source`) every row of that table."""
    sets = ", ".join([*(f"{c} = excluded.{c}" for c in update_columns), f"version = {table}.version + 1",
                      "updated_at = excluded.updated_at"])
    columns = ", ".join(PROFILE_COLUMNS)
    rows = f"SELECT {columns} FROM {source}" if source else f"VALUES ({', '.join(['%s'] * len(PROFILE_COLUMNS))})"
    return f"INSERT INTO {table} ({columns}) {rows} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def _upsert_chunk(cursor, table: str, rows: list[tuple], update_columns: Sequence[str], key: str) -> None:
    """Upsert one chunk the fastest bare way each database has: on PostgreSQL COPY into a scratch
    table and one INSERT ... SELECT (what Dossier's own set-wise writes do); on SQLite one prepared
    statement run per row, which is what its set-wise writes do there."""
    if connection.vendor != "postgresql":
        cursor.executemany(upsert_sql(table, update_columns, key), rows)
        return
    scratch = f"{table}_incoming"
    cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS"
                   f" SELECT {', '.join(PROFILE_COLUMNS)} FROM {table} WITH NO DATA")
    insert_raw(scratch, PROFILE_COLUMNS, rows)
    cursor.execute(upsert_sql(table, update_columns, key, source=scratch))


def bare_upserts_with_events(table: str, event_table: str, chunks: Iterator[tuple[list[tuple], list[tuple]]],
                             update_columns: Sequence[str]) -> float:
    """Seconds to upsert each chunk of profile rows and insert their event rows in one transaction."""
    started = time.perf_counter()
    for rows, events in chunks:
        with transaction.atomic(), connection.cursor() as cursor:
            _upsert_chunk(cursor, table, rows, update_columns, "email")
            insert_raw(event_table, ("id", *EVENT_COLUMNS), events)
    return time.perf_counter() - started


def bare_single_updates(table: str, updates: Sequence[tuple[str, str, str]], column: str) -> float:
    """Seconds to run each (value, updated_at, id) as its own committed single-row UPDATE."""
    sql = f"UPDATE {table} SET {column} = %s, version = version + 1, updated_at = %s WHERE id = %s"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for params in updates:
            with transaction.atomic():
                cursor.execute(sql, params)
    return time.perf_counter() - started
