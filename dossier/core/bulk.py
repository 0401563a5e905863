"""Set-wise writes that keep Django's value adaptation but skip per-object model overhead.

`insert_rows` and `update_rows` run one `executemany` per call with values prepared by each
model field's `get_db_prep_save`, so the same code stores UUIDs, dates and JSON correctly on
SQLite and PostgreSQL.
"""

from typing import Any, Iterable, Sequence

from django.db import connection, models

CHUNK = 2000


def _field(model: type[models.Model], attname: str) -> models.Field:
    """A concrete field by attribute name (`company_id` for a foreign key, as in `.values()`)."""
    for f in model._meta.concrete_fields:
        if f.attname == attname:
            return f
    raise LookupError(f"{model.__name__} has no column {attname}")


def _prep(model: type[models.Model], columns: Sequence[str]):
    return [(f, f.get_db_prep_save) for f in (_field(model, c) for c in columns)]


def _prepared(model, columns, rows):
    preps = _prep(model, columns)
    for row in rows:
        yield [prep(value, connection) if value is not None else None for (f, prep), value in zip(preps, row)]


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(_field(model, c).column) for c in columns)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    _executemany(sql, _prepared(model, columns, rows))


def update_rows(model: type[models.Model], columns: Sequence[str], key: str, rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE each row by `key`; a row is the new values of `columns` followed by its key value."""
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(_field(model, c).column)} = %s" for c in columns)
    key_column = connection.ops.quote_name(_field(model, key).column)
    sql = f"UPDATE {table} SET {sets} WHERE {key_column} = %s"
    _executemany(sql, _prepared(model, [*columns, key], rows))


def delete_pairs(model: type[models.Model], first: str, second: str, pairs: Iterable[Sequence[Any]]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    c1 = connection.ops.quote_name(_field(model, first).column)
    c2 = connection.ops.quote_name(_field(model, second).column)
    _executemany(f"DELETE FROM {table} WHERE {c1} = %s AND {c2} = %s", _prepared(model, [first, second], pairs))


def _executemany(sql: str, params: Iterable[list]) -> None:
    batch: list[list] = []
    with connection.cursor() as cursor:
        for row in params:
            batch.append(row)
            if len(batch) >= CHUNK:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


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
