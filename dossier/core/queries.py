"""Hot-path queries compiled to SQL once per process instead of once per request.

Django turns a queryset into SQL on every evaluation, and for a one-row lookup that compile costs
more than the database does (profiling the API's PATCH path showed the ORM's compiler as its
largest single cost). `CompiledLookup` compiles `model.objects.filter(field=value).values_list(...)`
on first use and afterwards only binds the value, runs the SQL and converts the columns with the
same converters the ORM would apply, so results are identical on SQLite and PostgreSQL.
"""

import threading
from typing import Any, Callable

from django.db import connections, models


class CompiledLookup:
    def __init__(self, model: type[models.Model], field: str, columns: tuple[str, ...],
                 refine: Callable[[models.QuerySet], models.QuerySet] = lambda qs: qs):
        self.model = model
        self.field = model._meta.get_field(field)
        self.lookup = field
        self.columns = columns
        self.refine = refine
        self._compiled: dict[str, tuple[str, int, list, dict]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, sample: Any) -> tuple[str, int, list, dict]:
        queryset = self.refine(self.model.objects.using(alias).filter(**{self.lookup: sample}).values_list(*self.columns))
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        connection = connections[alias]
        bound = self.field.get_db_prep_value(sample, connection, prepared=False)
        positions = [i for i, p in enumerate(params) if p == bound]
        if len(positions) != 1:
            raise ValueError(f"cannot find the one parameter of {sql!r} among {params!r}")
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        return sql, positions[0], list(params), converters

    def rows(self, value: Any, alias: str = "default") -> list[tuple]:
        """The rows whose field equals `value`, as `values_list(*columns)` would give them."""
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias, value)
                self._compiled[alias] = compiled
        sql, position, params, converters = compiled
        connection = connections[alias]  # this thread's connection, not the one that compiled
        params = list(params)
        params[position] = self.field.get_db_prep_value(value, connection, prepared=False)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for column, (functions, expression) in converters.items():
                for convert in functions:
                    row[column] = convert(row[column], expression, connection)
            converted.append(tuple(row))
        return converted
