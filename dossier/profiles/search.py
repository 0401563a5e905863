"""Substring search over a profile's name, email, phone and customId, backed by a trigram index.

`search=ann` finds `joanna@x.pl` and `Anna`, `767` finds `+48601767123`, whatever the case and
accents (both sides go through `dossier_fold`). The searched text of a profile is its
`SEARCH_COLUMNS` joined by spaces and folded. Each database indexes it its own way:

- PostgreSQL: a `pg_trgm` GIN index on the immutable `dossier_search_text(...)` of the row, which
  the planner uses for `LIKE '%ann%'`.
- SQLite: an FTS5 table with the trigram tokenizer whose content is a view of the folded text,
  kept in step by triggers on the profile table, so every writer (the change service, bulk
  statements, erasure) updates it in the same transaction without knowing it exists. Its rows
  are keyed by the profile row's rowid. A text that matches many profiles is answered in the
  list's order, not by collecting and sorting every match (see `search_condition`).

A trigram index answers only queries of three characters or more; shorter ones match the start
of an identifier or any part of a name without it (the list's old behaviour).

Triggers live with their table: Django remakes an SQLite table to alter it, which drops them and
renumbers rowids. `ensure_search_index` therefore runs after every `migrate` and rebuilds the
index whenever it finds a trigger missing.
"""

import logging
import re

from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, Expression, Func, IntegerField, Q
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Contains, In

from dossier.core.folding import fold

logger = logging.getLogger(__name__)

SEARCH_COLUMNS = ("first_name", "last_name", "display_name", "email", "custom_id", "phone")
MIN_INDEXED = 3
COMMON_MATCHES = 1000  # on SQLite, a text matching this many profiles or more is searched in list order
FTS_TABLE = "profiles_search"
TRIGGERS = tuple(f"{FTS_TABLE}_{event}" for event in ("insert", "delete", "update"))
PG_FUNCTION = "dossier_search_text"
PG_INDEX = "profiles_search_trgm"
_PHONE_LIKE = re.compile(r"^[0-9+()\s.\-/]+$")


def _joined(prefix: str = "") -> str:
    """The profile's searched columns joined by spaces, NULLs as empty text (SQL)."""
    return " || ' ' || ".join(f"coalesce({prefix}{column}, '')" for column in SEARCH_COLUMNS)


def postgresql_function_sql() -> str:
    """`dossier_search_text(...)`: each column folded on its own (the same text as folding them
    joined, since folding goes character by character), so the ASCII ones take the fast way."""
    arguments = ", ".join(f"{column} text" for column in SEARCH_COLUMNS)
    folded = " || ' ' || ".join(f"dossier_fold(coalesce({column}, ''))" for column in SEARCH_COLUMNS)
    return (f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}({arguments}) RETURNS text LANGUAGE sql"
            f" IMMUTABLE PARALLEL SAFE AS $search$ SELECT {folded} $search$")


class SearchText(Func):
    """`dossier_search_text(first_name, ...)`: the folded searched text of a row, on PostgreSQL."""

    function = PG_FUNCTION
    output_field = CharField()

    def __init__(self):
        super().__init__(*SEARCH_COLUMNS)


def search_condition(raw: str) -> Q:
    """The profiles whose searched text holds `raw` (already checked and trimmed)."""
    needles = [fold(raw)]
    digits = re.sub(r"\D", "", raw)
    if _PHONE_LIKE.match(raw) and len(digits) >= MIN_INDEXED and digits != needles[0]:
        needles.append(digits)  # `601 767 123` as the phone is stored: +48601767123
    if len(needles[0]) < MIN_INDEXED:
        return _short_condition(raw)
    if connection.vendor == "postgresql":
        q = Q()
        for needle in needles:
            q |= Q(Contains(SearchText(), needle))
        return q
    return _sqlite_condition(needles)


def _sqlite_condition(needles: list[str]) -> Q:
    """Rows whose rowid the FTS table matches for any of the needles, each taken as a phrase."""
    phrases = " OR ".join('"' + needle.replace('"', '""') + '"' for needle in needles)
    matching = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({matching} LIMIT {COMMON_MATCHES})", [phrases])
        common = cursor.fetchone()[0] >= COMMON_MATCHES
    # A rare text: look its few matches up by rowid, then order them. A common one: walk the
    # list's order and keep the rows that match, which fills a page after a few hundred rows; the
    # unary plus keeps SQLite from driving the query by the long list of matches instead.
    rowid = Func(RowId(), template="+%(expressions)s") if common else RowId()
    return Q(In(rowid, RawSQL(matching, [phrases])))


class RowId(Expression):
    """The hidden rowid of the queried profile row on SQLite, by which the FTS table is keyed."""

    output_field = IntegerField()

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        return Col(query.get_initial_alias(), _ROWID_FIELD, self.output_field)


_ROWID_FIELD = IntegerField()
_ROWID_FIELD.set_attributes_from_name("rowid")


def _short_condition(text: str) -> Q:
    q = Q()
    for column in ("email", "custom_id", "phone"):
        q |= Q(**{f"{column}__istartswith": text})
    for column in ("first_name", "last_name", "display_name"):
        q |= Q(**{f"{column}__icontains": text})
    return q


# --- the index -------------------------------------------------------------------------------

def ensure_search_index(conn=connection) -> None:
    """Create the search index if it is missing (idempotent; cheap when it is there)."""
    if conn.vendor == "postgresql":
        _ensure_postgresql(conn)
    elif conn.vendor == "sqlite":
        _ensure_sqlite(conn)


def drop_search_index(conn=connection) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}(text, text, text, text, text, text)")
        elif conn.vendor == "sqlite":
            drop_sqlite_index(cursor, FTS_TABLE)


def drop_sqlite_index(cursor, name: str) -> None:
    """Drop what `index_table` made under `name` on SQLite (the triggers go with their table too)."""
    for trigger in (f"{name}_insert", f"{name}_delete", f"{name}_update"):
        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"DROP VIEW IF EXISTS {name}_source")


def _ensure_postgresql(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
        if cursor.fetchone():
            return
        cursor.execute(postgresql_function_sql())
        try:
            with transaction.atomic(using=conn.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:  # search still works, by scanning
            logger.warning("substring search is not indexed: the pg_trgm extension cannot be created (%s)", exc)
            return
    index_table(conn, "profiles_profile", PG_INDEX)


def _ensure_sqlite(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)", TRIGGERS)
        if len(cursor.fetchall()) == len(TRIGGERS):
            return
    drop_search_index(conn)
    index_table(conn, "profiles_profile", FTS_TABLE)


def index_table(conn, table: str, name: str) -> None:
    """Give `table` (the profile table, or a copy of it) the search index, named `name`: a GIN
    index on PostgreSQL; on SQLite an FTS5 table `name` over the view `<name>_source`, with
    triggers `<name>_insert`, `_delete` and `_update` (the names TRIGGERS holds for the profile table)."""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(f"CREATE INDEX {name} ON {table} USING gin"
                           f" ({PG_FUNCTION}({', '.join(SEARCH_COLUMNS)}) gin_trgm_ops)")
            return
        new, old = f"dossier_fold({_joined('new.')})", f"dossier_fold({_joined('old.')})"
        cursor.execute(f"CREATE VIEW {name}_source AS SELECT rowid, dossier_fold({_joined()}) AS text FROM {table}")
        cursor.execute(f"CREATE VIRTUAL TABLE {name} USING fts5(text, content='{name}_source',"
                       f" content_rowid='rowid', tokenize='trigram')")
        cursor.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN"
                       f" INSERT INTO {name} (rowid, text) VALUES (new.rowid, {new}); END")
        cursor.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN"
                       f" INSERT INTO {name} ({name}, rowid, text) VALUES ('delete', old.rowid, {old}); END")
        cursor.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(SEARCH_COLUMNS)} ON {table} BEGIN"
                       f" INSERT INTO {name} ({name}, rowid, text) VALUES ('delete', old.rowid, {old});"
                       f" INSERT INTO {name} (rowid, text) VALUES (new.rowid, {new}); END")
        cursor.execute(f"INSERT INTO {name} ({name}) VALUES ('rebuild')")


def ensure_after_migrate(sender, using, **kwargs) -> None:
    """post_migrate receiver: a migration that remade the profile table dropped the triggers."""
    from django.db import connections

    conn = connections[using]
    if "profiles_profile" in conn.introspection.table_names():
        ensure_search_index(conn)
