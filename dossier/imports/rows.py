"""Rows to writes: each cell of an import read by the same rules as the API's values.

`RowParser` turns the rows of a chunk into `WriteItem`s for the change service. A cell's outcome
depends on its column and text only (a phone: and on its row's country), so it is computed once
per distinct value: cities, names, dates and codes repeat, and a bulk import then costs a dict
lookup per cell instead of a normalizer call.

An invalid cell, by the plan's `invalidValues`: `skipValue` leaves that cell out and lists it in
the item's warnings (the rest of the row is imported); `rejectRow` rejects the whole row. An
invalid or empty identifier always rejects its row. Each problem is listed once.
"""

import csv
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Callable, Iterable

from dossier.imports.dates import EMPTY_DATES, ISO, read_date, read_datetime
from dossier.imports.mapping import (CLEAR, COMPANY, ID, IGNORE, REJECT_ROW, TAGS, ColumnMapping, ImportPlan)
from dossier.imports.parsing import Record
from dossier.profiles.changes import ALWAYS, Identity, WriteItem
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import FIELDS_BY_NAME, normalize_birth_date
from dossier.profiles.services import parse_identity
from dossier.profiles.writes import UNSET, ProfileWrite, parse_phone, parse_value, parse_write

DEFAULT_TAG_SEPARATOR = ";"
CACHE_LIMIT = 20_000  # distinct values remembered per column
SLOTS = COLUMNS_SLOT, ATTRIBUTES_SLOT, AGREEMENTS_SLOT, COMPANY_SLOT, COMPANY_NAME_SLOT = range(5)
_SKIP = object()  # the outcome of an empty cell that leaves the value as it is
_UNKNOWN = object()  # a cell whose outcome is not cached


class _Rejected(list):
    """The outcome of an invalid cell: its problems (a list type of its own, unlike any value)."""


@dataclass(slots=True)
class CellCache:
    """The outcomes of one column's cells by their text: values (or _SKIP), and problems apart.

    Kept apart, a whole column of cells is looked up in `values` at once. Each holds at most
    CACHE_LIMIT texts, the first ones seen: the frequent ones, as a rule.
    """

    values: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)

    def remember(self, raw: str, outcome: Any) -> None:
        store = self.problems if type(outcome) is _Rejected else self.values
        if len(store) < CACHE_LIMIT:
            store[raw] = outcome


@dataclass(slots=True)
class _CellColumn:
    position: Any  # index of the cell (CSV) or key of the value (JSON Lines)
    name: str
    path: str
    slot: int
    key: Any
    clearable: bool
    is_identifier: bool
    cache: CellCache
    normalize: Callable[[Any], Any] | None = None  # a standard field's normalizer (or a date column's reader)
    empty_texts: frozenset = frozenset()  # texts that mean an empty cell here (Outlook's 0/0/00 date)
    scratch: ProfileWrite = field(default_factory=ProfileWrite)  # where a cell is parsed before it is read back


def split_tags(raw: str, separator: str) -> list[str]:
    """A tag cell's names: Mailchimp's quoted list (`"buyers","vip"`) or names between separators,
    blanks trimmed and empty names dropped."""
    text = raw.strip()
    if text.startswith('"') and text.endswith('"') and len(text) > 1:
        try:
            names = next(csv.reader([text], skipinitialspace=True))
        except (csv.Error, StopIteration):
            names = text.split(separator)
    else:
        names = text.split(separator)
    return [name.strip() for name in names if name.strip()]


class RowParser:
    """Turns rows into WriteItems, each cell read as `parse_write` reads a value.

    The caches are handed in by the caller (they outlive one chunk) and each holds at most
    CACHE_LIMIT values, so memory stays bounded. `date_orders` and `tag_separators` are what the
    scan of the whole file found (`dossier.imports.scan`), by column position.
    """

    def __init__(self, plan: ImportPlan, registry, *, from_text: bool, by_key: bool,
                 caches: dict[str, CellCache] | None = None, date_orders: dict[int, str] | None = None,
                 tag_separators: dict[int, str] | None = None):
        self.plan = plan
        self.registry = registry
        self.from_text = from_text
        self.clear = plan.empty_cells == CLEAR
        self.skip_invalid = plan.invalid_values != REJECT_ROW
        self.width = len(plan.columns)
        self.known_keys = {c.header for c in plan.columns}
        self.policies = {c.target: c.policy for c in plan.columns if c.policy != ALWAYS}
        self.add_tags = set(plan.add_tags)
        self.phone_region = plan.phone_region
        self.caches = {} if caches is None else caches
        self.date_orders = date_orders or {}
        self.cells: list[_CellColumn] = []
        self.tag_columns: list[tuple[Any, str, str, dict]] = []
        self.id_column = None
        self.phone_column: tuple[Any, str, dict] | None = None
        self.country_column: _CellColumn | None = None
        for column in plan.columns:
            position = column.header if by_key else column.position
            if column.target == IGNORE:
                continue
            if column.target == TAGS:
                separator = plan.tag_separator or (tag_separators or {}).get(column.position) or DEFAULT_TAG_SEPARATOR
                self.tag_columns.append((position, column.label, separator, self._cache(column).values))
            elif column.target == ID:
                self.id_column = (position, column.label)
            elif column.target == "phone" and plan.identifier != "phone":
                self.phone_column = (position, column.label, self._cache(column).values)
            else:
                cell = self._cell_column(position, column)
                self.cells.append(cell)
                if column.target == "countryCode":
                    self.country_column = cell
        self.identifier_column = next((c for c in self.cells if c.is_identifier), None)
        self.slot_columns = [[c for c in self.cells if c.slot == slot] for slot in SLOTS]

    def _cache(self, column: ColumnMapping) -> CellCache:
        return self.caches.setdefault(f"#{column.position}", CellCache())

    def _cell_column(self, position: Any, column: ColumnMapping) -> _CellColumn:
        target = column.target
        is_identifier = target == self.plan.identifier
        cache = self._cache(column)
        order = self.date_orders.get(column.position, ISO)
        if target in FIELDS_BY_NAME:
            spec = FIELDS_BY_NAME[target]
            normalize = spec.normalize
            if target == "birthDate":  # ISO, named months (29 Jan 1933), Outlook's empty 0/0/00 too
                normalize = _birth_date_reader(order, column.date_format)
            return _CellColumn(position, column.label, target, COLUMNS_SLOT, spec.column, spec.clearable, is_identifier,
                               cache, normalize, EMPTY_DATES if column.is_date else frozenset())
        if target.startswith("attributes."):
            name = target[len("attributes."):]
            normalize = None
            if column.is_date:
                normalize = self._date_attribute_reader(name, column.type, order, column.date_format)
            return _CellColumn(position, column.label, target, ATTRIBUTES_SLOT, name, True, False, cache, normalize,
                               EMPTY_DATES if column.is_date else frozenset())
        if target.startswith("agreements."):
            return _CellColumn(position, column.label, target, AGREEMENTS_SLOT, target[len("agreements."):], False, False, cache)
        if target == COMPANY:
            return _CellColumn(position, column.label, target, COMPANY_NAME_SLOT, None, True, False, cache)
        return _CellColumn(position, column.label, target, COMPANY_SLOT, None, True, False, cache)

    def _date_attribute_reader(self, name: str, type_: str, order: str, fmt: str | None) -> Callable[[Any], Any]:
        registry = self.registry

        def read(raw: Any) -> Any:
            if not isinstance(raw, str):
                return registry.coerce(name, raw)
            value = (read_datetime(raw, order=order, fmt=fmt) if type_ == "datetime"
                     else read_date(raw, order=order, fmt=fmt, birth_date=False))
            return _SKIP if value is None else registry.coerce(name, value)

        return read

    def items(self, records: Iterable[Record]) -> list[WriteItem]:
        """The writes of a chunk's records, in order, blank records left out.

        The rows of a CSV file are read column by column (`_csv_items`); a JSON Lines record, or a
        row whose cells do not match the header's columns, is read alone (`item`).
        """
        items: list[WriteItem | None] = []
        regular: list[tuple[int, int, list[str]]] = []  # (place in items, line, cells) of full-width CSV rows
        for record in records:
            if record.blank:
                continue
            if record.problem:
                items.append(WriteItem(record.line, None, ProfileWrite(), errors=[FieldError("", "unreadable", record.problem)]))
            elif record.values is None and len(record.cells) == self.width:
                regular.append((len(items), record.line, record.cells))
                items.append(None)
            else:
                items.append(self.item(record.line, record.cells if record.values is None else record.values))
        if regular:
            places, lines, rows = zip(*regular)
            for place, item in zip(places, self._csv_items(lines, rows)):
                items[place] = item
        return items

    def item(self, index: int, row: list | dict) -> WriteItem:
        """The write a row asks for; with `rejectRow` a row with any invalid cell carries every
        problem and no write, with `skipValue` the invalid cells are left out and listed."""
        write = ProfileWrite()
        errors: list[FieldError] = []
        warnings: list[FieldError] = []
        slots = (write.columns, write.attributes, write.agreements)
        is_dict = isinstance(row, dict)
        if not is_dict and len(row) != self.width:
            error = FieldError("", "ragged_row", f"the row has {len(row)} cells, the header has {self.width}", len(row))
            return WriteItem(index, None, write, errors=[error])
        if is_dict and not row.keys() <= self.known_keys:
            for key in sorted(row.keys() - self.known_keys):
                errors.append(FieldError(key, "unknown_column", "this key is not among the columns read from the first "
                                         "lines of the file, so it has no mapping", row[key]))
        identity_value = None
        cell = row.get if is_dict else row.__getitem__
        for column in self.cells:
            outcome = self._cached_outcome(column, cell(column.position))
            if outcome is _SKIP:
                continue
            if type(outcome) is _Rejected:
                (warnings if self.skip_invalid and not column.is_identifier else errors).extend(outcome)
            elif column.slot == COMPANY_SLOT:
                write.company_id = outcome
            elif column.slot == COMPANY_NAME_SLOT:
                self._set_company_name(write, outcome)
            else:
                slots[column.slot][column.key] = outcome
                if column.is_identifier:
                    identity_value = outcome
        self._phone(row, is_dict, write, errors, warnings)
        return self._finished(index, row, is_dict, write, errors, identity_value, warnings)

    def _csv_items(self, lines: tuple[int, ...], rows: tuple[list[str], ...]) -> list[WriteItem]:
        """The writes of full-width CSV rows, read column by column.

        Each column's cells are looked up in its cache in one pass, and only the texts not seen
        before are parsed. A row whose cells are all valid is then assembled from those values,
        each slot's dict at once, as `item` would build it; a row with an invalid cell is left to
        `item`, which lists its problems in column order.
        """
        cells_at = list(zip(*rows))
        rejected: set[int] = set()  # rows with an invalid cell
        skipping: set[int] = set()  # rows with an empty cell that leaves its value as it is
        outcomes: dict[int, list] = {}  # id of a _CellColumn -> the outcome of each row's cell
        for column in self.cells:
            cells = cells_at[column.position]
            if column.is_identifier:  # identifiers seldom repeat: not cached
                values = [self._outcome(column, raw) for raw in cells]
                self._complete(column, cells, values, rejected)
            else:
                values = list(map(column.cache.values.get, cells, repeat(_UNKNOWN)))
                if _UNKNOWN in values:
                    self._complete(column, cells, values, rejected)
            if _SKIP in values:
                skipping.update(index for index, value in enumerate(values) if value is _SKIP)
            outcomes[id(column)] = values
        slot_keys = [[c.key for c in columns] for columns in self.slot_columns]
        slot_rows = [zip(*[outcomes[id(c)] for c in columns]) if columns else repeat(())
                     for columns in self.slot_columns]
        identifiers = outcomes[id(self.identifier_column)] if self.identifier_column else repeat(_SKIP)
        # The common row, whose tags, phone and identity need nothing but the identifier's value,
        # is finished here; `_finished` does the same, and more, for the others.
        kind, add_tags, create, policies = self.plan.identifier, self.add_tags, self.plan.create_new, self.policies
        simple = not self.tag_columns and kind != ID and self.phone_column is None
        items = []
        for index, (line, row, columns, attributes, agreements, company, company_name, identifier) in enumerate(
                zip(lines, rows, *slot_rows, identifiers)):
            if index in rejected:
                items.append(self.item(line, row))
                continue
            keys = slot_keys
            if index in skipping:
                keys, (columns, attributes, agreements, company, company_name) = _without_skipped(
                    slot_keys, (columns, attributes, agreements, company, company_name))
            write = ProfileWrite(dict(zip(keys[COLUMNS_SLOT], columns)),
                                 dict(zip(keys[ATTRIBUTES_SLOT], attributes)) if attributes else {},
                                 None, set(add_tags), set(),
                                 dict(zip(keys[AGREEMENTS_SLOT], agreements)) if agreements else {},
                                 company[0] if company else UNSET)
            if company_name:
                self._set_company_name(write, company_name[0])
            identity_value = None if identifier is _SKIP else identifier
            if simple and identity_value is not None:
                items.append(WriteItem(line, Identity(kind, identity_value), write, create=create, policies=policies,
                                       skip_invalid_values=self.skip_invalid))
            else:
                errors: list[FieldError] = []
                warnings: list[FieldError] = []
                self._phone(row, False, write, errors, warnings)
                items.append(self._finished(line, row, False, write, errors, identity_value, warnings))
        return items

    @staticmethod
    def _set_company_name(write: ProfileWrite, outcome: Any) -> None:
        if outcome is None:
            write.company_id = None
        else:
            write.company_name = outcome

    def _phone(self, row: list | dict, is_dict: bool, write: ProfileWrite, errors: list[FieldError],
               warnings: list[FieldError]) -> None:
        """Read the row's phone in the row's own country (already read into `write`), else the
        import's phoneRegion, else the default region."""
        if self.phone_column is None:
            return
        position, name, cache = self.phone_column
        raw = row.get(position) if is_dict else row[position]
        if raw is None or (type(raw) is str and (not raw or raw.isspace())):
            if self.clear:
                write.columns["phone"] = None
            return
        country = write.columns.get("country_code")
        key = (raw, country) if type(raw) is str else None
        outcome = cache.get(key) if key is not None else None
        if outcome is None:
            scratch = ProfileWrite()
            try:
                parse_phone(scratch, raw, country, self.phone_region)
                outcome = (scratch.columns.get("phone", UNSET), scratch.national_phone)
            except InvalidValue as exc:
                outcome = _Rejected([FieldError("phone", exc.code, exc.message, raw)])
            if key is not None and len(cache) < CACHE_LIMIT:
                cache[key] = outcome
        if type(outcome) is _Rejected:
            (warnings if self.skip_invalid else errors).extend(outcome)
            return
        value, national = outcome
        if value is not UNSET:
            write.columns["phone"] = value
        write.national_phone = national

    def _complete(self, column: _CellColumn, cells: tuple[str, ...], values: list, rejected: set[int]) -> None:
        """Fill in the outcomes `values` lacks (the cache's misses), and note the rows of invalid cells."""
        cache = column.cache
        for index, value in enumerate(values):
            if value is _UNKNOWN:
                raw = cells[index]
                value = cache.problems.get(raw, _UNKNOWN)
                if value is _UNKNOWN:
                    value = self._outcome(column, raw)
                    cache.remember(raw, value)
                values[index] = value
            if type(value) is _Rejected:
                rejected.add(index)

    def _finished(self, index: int, row: list | dict, is_dict: bool, write: ProfileWrite, errors: list[FieldError],
                  identity_value: Any, warnings: list[FieldError]) -> WriteItem:
        write.add_tags = self._tags(row, is_dict, warnings if self.skip_invalid else errors)
        identity = self._identity(row, is_dict, identity_value, errors)
        if errors:
            return WriteItem(index, None, ProfileWrite(), errors=errors + warnings)
        return WriteItem(index, identity, write, create=self.plan.create_new, policies=self.policies,
                         skip_invalid_values=self.skip_invalid, warnings=warnings)

    def _cached_outcome(self, column: _CellColumn, raw: Any) -> Any:
        if type(raw) is not str or column.is_identifier:  # identifiers seldom repeat
            return self._outcome(column, raw)
        cache = column.cache
        outcome = cache.values.get(raw, _UNKNOWN)
        if outcome is _UNKNOWN:
            outcome = cache.problems.get(raw, _UNKNOWN)
        if outcome is _UNKNOWN:
            outcome = self._outcome(column, raw)
            cache.remember(raw, outcome)
        return outcome

    def _outcome(self, column: _CellColumn, raw: Any) -> Any:
        """The cell's value, its problems (_Rejected), or _SKIP for an empty cell that leaves the value as it is."""
        if raw is None or (type(raw) is str and (not raw or raw.isspace() or raw in column.empty_texts)):
            if not (self.clear and column.clearable and not column.is_identifier):
                return _SKIP
            raw = None
        write = column.scratch
        try:
            if raw is not None and column.normalize is not None:
                return column.normalize(raw)  # what parse_value does with a standard field's value
            parse_value(write, column.path, raw, self.registry, self.from_text and raw is not None)
        except InvalidValue as exc:
            return _Rejected([FieldError(column.path, exc.code, exc.message, raw)])
        if column.slot == COMPANY_SLOT:
            return write.company_id
        if column.slot == COMPANY_NAME_SLOT:
            name, write.company_name, write.company_id = write.company_name, UNSET, UNSET
            return None if name is UNSET else name
        return (write.columns, write.attributes, write.agreements)[column.slot][column.key]

    def _tags(self, row: list | dict, is_dict: bool, problems: list[FieldError]) -> set[str]:
        tags = set(self.add_tags)
        for position, name, separator, cache in self.tag_columns:
            raw = row.get(position) if is_dict else row[position]
            if _empty(raw):
                continue
            key = raw if type(raw) is str else None
            outcome = cache.get(key) if key is not None else None
            if outcome is None:
                names = split_tags(raw, separator) if isinstance(raw, str) else raw
                if not isinstance(names, list):
                    names = [names]
                write, found = parse_write({}, registry=self.registry, add_tags=names)
                outcome = (write.add_tags, [FieldError(TAGS, p.code, p.message, p.value) for p in found])
                if key is not None and len(cache) < CACHE_LIMIT:
                    cache[key] = outcome
            tags |= outcome[0]
            problems.extend(outcome[1])
        return tags

    def _identity(self, row: list | dict, is_dict: bool, value: Any, errors: list[FieldError]) -> Identity | None:
        kind = self.plan.identifier
        if kind == ID:
            position, name = self.id_column
            raw = row.get(position) if is_dict else row[position]
            if _empty(raw):
                errors.append(FieldError(ID, "required", f"the identifier column '{name}' is empty", None))
                return None
            try:
                return parse_identity(ID, raw)
            except InvalidValue as exc:
                errors.append(FieldError(ID, exc.code, exc.message, raw))
                return None
        if value is None:
            if not any(e.field == kind for e in errors):
                name = self.identifier_column.name
                errors.append(FieldError(kind, "required", f"the identifier column '{name}' is empty", None))
            return None
        return Identity(kind, value)

    def column_of(self, path: str) -> str:
        """The column a field path came from, for error messages that name what the user sees."""
        for column in self.plan.columns:
            if column.target == path:
                return column.label
        if path == TAGS and self.tag_columns:
            return self.tag_columns[0][1]
        return path


def _birth_date_reader(order: str, fmt: str | None) -> Callable[[Any], Any]:
    def read(raw: Any) -> Any:
        if not isinstance(raw, str):
            return normalize_birth_date(raw)
        date = read_date(raw, order=order, fmt=fmt, birth_date=True)
        return _SKIP if date is None else normalize_birth_date(date)  # an empty date written as one (0/0/00)

    return read


def _without_skipped(slot_keys: list[list], slot_values: list[tuple]) -> tuple[list[list], list[list]]:
    """The keys and values of each slot, without the empty cells that leave their value as it is."""
    kept = [[(key, value) for key, value in zip(keys, values) if value is not _SKIP]
            for keys, values in zip(slot_keys, slot_values)]
    return [[key for key, _ in pairs] for pairs in kept], [[value for _, value in pairs] for pairs in kept]


def _empty(raw: Any) -> bool:
    return raw is None or (type(raw) is str and (not raw or raw.isspace()))

