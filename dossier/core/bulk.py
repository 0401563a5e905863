"""Set-wise writes that keep Django's value adaptation but skip per-object model overhead.

`insert_rows` and `update_rows` write a chunk of rows with one statement per chunk (`executemany`,
or COPY for inserts on PostgreSQL), with values prepared as each model field's
`get_db_prep_save` would, so the same code stores UUIDs, dates and JSON correctly on SQLite and
PostgreSQL.

Preparing value by value costs a few Python calls per value, which dominates a bulk import. So
values are prepared column by column: a column whose values all have the type the field stores as
is (text, integers, booleans; UUIDs where the database has a native type) passes through untouched;
UUIDs on SQLite become their hex, JSON goes through the backend's own adapter, and dates and times
are adapted once per distinct value. Any value of another type takes the field's own
`get_db_prep_save`, so the result is always what Django would have sent.
"""

import datetime as dt
import functools
import operator
import uuid
from itertools import chain, islice
from typing import Any, Callable, Iterable, Iterator, Sequence

import orjson
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

CHUNK = 5000
FEW_ROWS = 50  # below this, PostgreSQL updates row by row rather than through a scratch table
INTEGER_TYPES = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                           "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                           "PositiveSmallIntegerField"})


class JsonText(str):
    """A value for a JSON column that is already JSON text: stored as it is.

    For writers that serialize many documents of plain JSON types (see `json_text`).
    """


def json_text(value: Any) -> Any:
    """`value` as JsonText serialized by orjson (ten times the standard library's speed), or as it
    is when orjson refuses it (integers past 64 bits, types it does not know).

    Only for documents whose floats are finite: orjson writes NaN and infinities as null where
    `json.dumps` writes NaN. The change service's documents qualify (number attributes are
    finite by rule, every other value is text, an integer, a boolean or null).
    """
    try:
        return JsonText(orjson.dumps(value).decode())
    except TypeError:
        return value


@functools.cache
def field_of(model: type[models.Model], attname: str) -> models.Field:
    """A concrete field by attribute name (`company_id` for a foreign key, as in `.values()`)."""
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f
    raise LookupError(f"{model.__name__} has no column {attname}")


class _ColumnPreparer:
    """Prepares one column's values as `field.get_db_prep_save` would, a whole column at a time."""

    def __init__(self, field: models.Field):
        self.slow = field.get_db_prep_save
        target = field.target_field if field.is_relation else field
        internal = target.get_internal_type()
        self.types: frozenset = frozenset()
        self.convert: Callable[[Any], Any] | None = None  # applied to values of `types`; None: as they are
        self.distinct = False  # convert each distinct value once (dates and times repeat a lot)
        self.as_is: frozenset = frozenset()  # types `convert` returns unchanged: a column of only these is kept
        if internal in ("CharField", "TextField"):
            self.types = frozenset({str})
        elif internal in INTEGER_TYPES:
            self.types = frozenset({int})
        elif internal == "BooleanField":
            self.types = frozenset({bool})
        elif internal == "UUIDField":
            self.types = frozenset({uuid.UUID})
            if not connection.features.has_native_uuid_field:
                self.convert = operator.attrgetter("hex")
        elif internal == "JSONField":
            adapt, encoder = connection.ops.adapt_json_value, field.encoder
            self.types = frozenset({dict, list, JsonText})
            self.as_is = frozenset({JsonText})
            self.convert = lambda value: value if type(value) is JsonText else adapt(value, encoder)
        elif internal == "DateField" and _adapts_dates_to_iso_text():
            self.types = frozenset({dt.date})  # exactly a date: a datetime takes the field's own path
            self.convert = dt.date.isoformat
        elif internal == "DateField":
            self.types = frozenset({dt.date})
        elif internal == "DateTimeField":
            self.types = frozenset({dt.date, dt.datetime})
            self.convert = lambda value: self.slow(value, connection)
            self.distinct = True

    def prepare(self, values: tuple) -> Sequence:
        kinds = set(map(type, values))
        kinds.discard(type(None))
        if not kinds <= self.types:
            return [None if v is None else self.slow(v, connection) for v in values]
        if self.convert is None or kinds <= self.as_is:
            return values
        if self.distinct:
            table = {v: self.convert(v) for v in set(values) if v is not None}
            table[None] = None
            return list(map(table.__getitem__, values))
        convert = self.convert
        return [None if v is None else convert(v) for v in values]


def _adapts_dates_to_iso_text() -> bool:
    """Whether the backend sends a date as its ISO text (SQLite) rather than as it is (PostgreSQL)."""
    sample = dt.date(2001, 2, 3)
    adapted = connection.ops.adapt_datefield_value(sample)
    if adapted == sample.isoformat():
        return True
    if adapted is not sample:
        raise ImproperlyConfigured(f"unexpected date adaptation by the {connection.vendor} backend: {adapted!r}")
    return False


@functools.cache
def _preparer(model: type[models.Model], attname: str, vendor: str) -> _ColumnPreparer:
    """One preparer per column and database kind: what it holds depends on nothing else."""
    return _ColumnPreparer(field_of(model, attname))


def _preparers(model: type[models.Model], columns: Sequence[str]) -> list[_ColumnPreparer]:
    return [_preparer(model, c, connection.vendor) for c in columns]


def _prepared_chunks(model, columns, rows: Iterable[Sequence[Any]]) -> Iterator[list[tuple]]:
    """The rows in chunks of CHUNK, each value prepared for the database."""
    preparers = _preparers(model, columns)
    iterator = iter(rows)
    while True:
        chunk = list(islice(iterator, CHUNK))
        if not chunk:
            return
        prepared = [p.prepare(values) for p, values in zip(preparers, zip(*chunk))]
        yield list(zip(*prepared))


def _names(model: type[models.Model], columns: Sequence[str]) -> tuple[str, str]:
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(field_of(model, c).column) for c in columns)
    return table, cols


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table, cols = _names(model, columns)
    if connection.vendor == "postgresql":
        _copy(f"COPY {table} ({cols}) FROM STDIN", _prepared_chunks(model, columns, rows))
        return
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    _executemany(sql, _prepared_chunks(model, columns, rows))


def upsert_rows(model: type[models.Model], columns: Sequence[str], conflict: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows, or update the row that already has their `conflict` columns' values."""
    table, cols = _names(model, columns)
    keys = ", ".join(connection.ops.quote_name(field_of(model, c).column) for c in conflict)
    updates = ", ".join(f"{name} = excluded.{name}" for name in
                        (connection.ops.quote_name(field_of(model, c).column) for c in columns if c not in conflict))
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
           f" ON CONFLICT ({keys}) DO UPDATE SET {updates}")
    _executemany(sql, _prepared_chunks(model, columns, rows))


def row_lock_clause() -> str:
    """The clause that locks selected rows for a write that keeps their primary key.

    On PostgreSQL that is FOR NO KEY UPDATE, not FOR UPDATE: writers of a row still queue behind
    one another, but a transaction may insert rows that refer to it meanwhile (an event, a tag
    link or a workflow run of a profile), whose foreign key check takes FOR KEY SHARE on it. With
    FOR UPDATE, tracking events for profiles A and B (key-share A, then wait for B) while a
    writer holds B and waits for A is a deadlock. SQLite locks the database at BEGIN: no clause.
    """
    if connection.features.has_select_for_no_key_update:
        return " FOR NO KEY UPDATE"
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def select_rows(model: type[models.Model], columns: Sequence[str], key: str, keys: Iterable[Any], *,
                lock: bool = False) -> list[dict]:
    """Rows whose `key` is one of `keys`, ordered by it, as `.values(*columns)` would give them.

    The same Python values as the ORM's, without the ORM's per-row and per-parameter cost: keys
    are prepared column-wise (`db_values`), and values converted column-wise (`python_values`).
    With `lock`, the rows are locked for a write (`row_lock_clause`), in key order.
    """
    table, cols = _names(model, columns)
    key_column = connection.ops.quote_name(field_of(model, key).column)
    suffix = row_lock_clause() if lock else ""
    sql = f"SELECT {cols} FROM {table} WHERE {key_column} IN ({{}}) ORDER BY {key_column}{suffix}"
    fetched = fetch_in(sql, sorted(set(db_values(model, key, keys)) - {None}))
    if not fetched:
        return []
    converted = [python_values(model, column, values) for column, values in zip(columns, zip(*fetched))]
    return [dict(zip(columns, values)) for values in zip(*converted)]


def fetch_in(sql: str, keys: Sequence[Any], *, before: Sequence[Any] = ()) -> list[tuple]:
    """All rows of `sql`, whose `{}` is filled with a placeholder per key, CHUNK keys per query;
    `before` are the parameters of the placeholders that come before the `{}`."""
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(keys), CHUNK):
            part = keys[start:start + CHUNK]
            cursor.execute(sql.format(", ".join(["%s"] * len(part))), [*before, *part])
            rows.extend(cursor.fetchall())
    return rows


def execute_in(sql: str, keys: Sequence[Any], *, before: Sequence[Any] = ()) -> None:
    """Run `sql` (an UPDATE or DELETE ... WHERE key IN ({})) for the keys, CHUNK keys a statement."""
    with connection.cursor() as cursor:
        for start in range(0, len(keys), CHUNK):
            part = keys[start:start + CHUNK]
            cursor.execute(sql.format(", ".join(["%s"] * len(part))), [*before, *part])


def db_values(model: type[models.Model], column: str, values: Iterable[Any]) -> Sequence:
    """Values of a column as the database stores them (`get_db_prep_save`), prepared column-wise."""
    return _preparer(model, column, connection.vendor).prepare(tuple(values))


def python_values(model: type[models.Model], column: str, values: Sequence[Any]) -> Sequence:
    """Values read from a column as the ORM returns them: through the converters Django applies,
    run once per distinct value (JSON excepted: each row gets its own object)."""
    field = field_of(model, column)
    expression = field.get_col(model._meta.db_table)
    converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
    if not converters:
        return values

    def convert(value):
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    if field.get_internal_type() == "JSONField":
        return [convert(v) for v in values]
    table = {v: convert(v) for v in set(values)}
    return list(map(table.__getitem__, values))


def update_rows(model: type[models.Model], columns: Sequence[str], key: str, rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE each row by `key`; a row is the new values of `columns` followed by its key value.

    Keys must be unique within a call. On PostgreSQL a chunk of many rows is copied into a
    scratch table and applied with one UPDATE ... FROM, several times faster than a statement per
    row; a few rows (a single PATCH) take a statement each, since making and dropping the scratch
    table costs more than they do.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = [connection.ops.quote_name(field_of(model, c).column) for c in columns]
    key_column = connection.ops.quote_name(field_of(model, key).column)
    sets = ", ".join(f"{c} = %s" for c in quoted)
    by_row = f"UPDATE {table} SET {sets} WHERE {key_column} = %s"
    chunks = _prepared_chunks(model, [*columns, key], rows)
    if connection.vendor != "postgresql":
        _executemany(by_row, chunks)
        return
    first = next(chunks, None)
    if first is None:
        return
    if len(first) < FEW_ROWS:  # chunks are CHUNK rows but the last: a short first one is all there is
        _executemany(by_row, [first])
        return
    _update_from_copy(table, quoted, key_column, chain([first], chunks))


def _update_from_copy(table: str, columns: list[str], key: str, chunks: Iterable[list[tuple]]) -> None:
    scratch = connection.ops.quote_name(f"bulk_update_{uuid.uuid4().hex[:12]}")
    names = ", ".join([*columns, key])
    sets = ", ".join(f"{c} = s.{c}" for c in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        for chunk in chunks:
            with cursor.cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row)
            cursor.execute(f"UPDATE {table} t SET {sets} FROM {scratch} s WHERE t.{key} = s.{key}")
            cursor.execute(f"TRUNCATE {scratch}")
        cursor.execute(f"DROP TABLE {scratch}")


def delete_pairs(model: type[models.Model], first: str, second: str, pairs: Iterable[Sequence[Any]]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    c1 = connection.ops.quote_name(field_of(model, first).column)
    c2 = connection.ops.quote_name(field_of(model, second).column)
    _executemany(f"DELETE FROM {table} WHERE {c1} = %s AND {c2} = %s", _prepared_chunks(model, [first, second], pairs))


def _executemany(sql: str, chunks: Iterable[list[tuple]]) -> None:
    with connection.cursor() as cursor:
        for chunk in chunks:
            cursor.executemany(sql, chunk)


def _copy(sql: str, chunks: Iterable[list[tuple]]) -> None:
    """PostgreSQL's COPY FROM STDIN: the fastest way in, several times an executemany INSERT."""
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for chunk in chunks:
            with cursor.cursor.copy(sql) as copy:
                for row in chunk:
                    copy.write_row(row)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` primary keys of an auto-increment table for rows about to be inserted.

    PostgreSQL draws them from the table's sequence. SQLite has no sequence object, but a write
    transaction there holds the database's only write lock (transaction_mode IMMEDIATE), so the
    ids after the current maximum are ours until commit.
    """
    if count <= 0:
        return []
    assert connection.in_atomic_block, "ids are only reserved inside the transaction that uses them"
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT keeps the highest id ever used in sqlite_sequence: never reuse a deleted id.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
            f" COALESCE((SELECT MAX({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))
