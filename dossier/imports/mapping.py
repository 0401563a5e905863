"""Import options: which column goes where, how rows find their profile, what empty cells mean.

`parse_options` validates the options of an import against the file's columns (every problem
listed, as for any write) and returns the resolved `ImportPlan`; columns the options do not
mention are mapped by header name (`first_name`, `First Name` and `firstName` all mean
`firstName`). `RowParser` then turns each row into a `WriteItem` for the change service, every
cell passing the same rules as the API (`parse_value`, the per-value step of `parse_write`).
"""

import re
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Callable, Iterable

from dossier.profiles.attributes import TYPES, check_attribute_name
from dossier.profiles.changes import ALWAYS, IF_EMPTY, NEVER, Identity, WriteItem
from dossier.imports.parsing import Record
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME, IDENTIFIER_FIELDS
from dossier.profiles.models import AttributeDefinition
from dossier.profiles.services import parse_identity
from dossier.profiles.writes import UNSET, ProfileWrite, normalize_tag, parse_value, parse_write

POLICIES = (ALWAYS, IF_EMPTY, NEVER)
LEAVE, CLEAR = "leave", "clear"
IGNORE, TAGS, ID = "ignore", "tags", "id"
OPTION_KEYS = ("identifier", "mapping", "emptyCells", "createNew", "addTags", "dryRun")
TAG_SEPARATOR = ";"
CACHE_LIMIT = 20_000  # distinct values remembered per column
# Header spellings that mean a standard field, beyond the field's own name in any case or style.
HEADER_ALIASES = {
    "emailaddress": "email", "mail": "email", "phonenumber": "phone", "mobile": "phone", "tel": "phone",
    "zip": "zipCode", "postcode": "zipCode", "postalcode": "zipCode", "country": "countryCode",
    "gender": "sex", "dateofbirth": "birthDate", "birthday": "birthDate", "dob": "birthDate",
    "externalid": "customId", "customidentify": "customId", "avatar": "avatarUrl", "tag": TAGS, "addtags": TAGS,
}


def header_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


STANDARD_BY_KEY = {header_key(name): name for name in FIELDS_BY_NAME} | HEADER_ALIASES | {
    TAGS: TAGS, ID: ID, "companyid": "companyId",
    **{header_key(f"agreement {channel}"): f"agreements.{channel}" for channel in AGREEMENT_CHANNELS},
}


@dataclass
class ColumnMapping:
    name: str  # the header, as in the file
    target: str  # a field path (firstName, attributes.NAME, agreements.email, companyId), tags, id or ignore
    type: str | None = None  # custom attributes: the attribute's type
    policy: str = ALWAYS


@dataclass
class ImportPlan:
    """Resolved options: stored with the import and shown back by the API."""

    identifier: str
    columns: list[ColumnMapping]
    empty_cells: str = LEAVE
    create_new: bool = True
    add_tags: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "identifier": self.identifier,
            "mapping": {c.name: {"target": c.target, "type": c.type, "policy": c.policy} for c in self.columns},
            "emptyCells": self.empty_cells,
            "createNew": self.create_new,
            "addTags": self.add_tags,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ImportPlan":
        columns = [ColumnMapping(name, **spec) for name, spec in data["mapping"].items()]
        return cls(data["identifier"], columns, data["emptyCells"], data["createNew"], data["addTags"])

    def declared_types(self) -> dict[str, str]:
        return {c.target[len("attributes."):]: c.type for c in self.columns if c.target.startswith("attributes.") and c.type}


class OptionsRejected(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def auto_target(name: str, attributes: dict[str, str]) -> str:
    """The target a column maps to by its header alone; `ignore` when nothing matches."""
    if name.startswith("attributes."):
        return name
    if name.startswith("agreements.") and name[len("agreements."):] in AGREEMENT_CHANNELS:
        return name
    key = header_key(name)
    if key in STANDARD_BY_KEY:
        return STANDARD_BY_KEY[key]
    if name in attributes:
        return f"attributes.{name}"
    return IGNORE


def default_identifier(targets: list[str]) -> str:
    return next((kind for kind in ("email", "customId", "id", "phone") if kind in targets), "email")


def parse_options(data: Any, columns: list[str], *, typed_values: bool = False) -> tuple[ImportPlan, bool]:
    """(the plan, dryRun) from the options of an import; OptionsRejected lists every problem.

    A new custom attribute takes the type the mapping gives; without one it is text for a CSV
    file, and inferred from the first value for JSON Lines (`typed_values`), as in the API.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise OptionsRejected([FieldError("options", "invalid_type", "the options must be a JSON object", None)])
    errors = [FieldError(k, "unknown_field", f"the options are {', '.join(OPTION_KEYS)}", data[k]) for k in data if k not in OPTION_KEYS]
    attributes = dict(AttributeDefinition.objects.values_list("name", "type"))
    mapping = data.get("mapping") or {}
    if not isinstance(mapping, dict):
        errors.append(FieldError("mapping", "invalid_type", "must be an object of column: target", mapping))
        mapping = {}
    for name in mapping:
        if name not in columns:
            errors.append(FieldError(f"mapping.{name}", "unknown_column", f"the file has no column '{name}'", name))
    default_type = None if typed_values else "text"
    plan_columns = [_column(name, mapping.get(name, auto_target(name, attributes)), attributes, default_type, errors)
                    for name in columns]
    targets = [c.target for c in plan_columns]
    for target in set(targets) - {IGNORE, TAGS}:
        if targets.count(target) > 1:
            names = [c.name for c in plan_columns if c.target == target]
            errors.append(FieldError("mapping", "duplicate_target", f"columns {', '.join(names)} all map to {target}", target))
    identifier = data.get("identifier") or default_identifier(targets)
    if identifier not in IDENTIFIER_FIELDS:
        errors.append(FieldError("identifier", "invalid_choice", f"the identifier is one of {', '.join(IDENTIFIER_FIELDS)}", identifier))
    elif identifier not in targets:
        errors.append(FieldError("identifier", "not_mapped", f"no column is mapped to the identifier {identifier}", identifier))
    if ID in targets and identifier != ID:
        errors.append(FieldError("mapping", "id_not_identifier", "a column mapped to id names the profile: choose id as the identifier, or ignore the column", ID))
    empty_cells = data.get("emptyCells", LEAVE)
    if empty_cells not in (LEAVE, CLEAR):
        errors.append(FieldError("emptyCells", "invalid_choice", "emptyCells is leave or clear", empty_cells))
    flags = {}
    for key, default in (("createNew", True), ("dryRun", False)):
        flags[key] = data.get(key, default)
        if not isinstance(flags[key], bool):
            errors.append(FieldError(key, "invalid_boolean", "must be true or false", flags[key]))
    add_tags = _add_tags(data.get("addTags") or [], errors)
    if errors:
        raise OptionsRejected(errors)
    plan = ImportPlan(identifier, plan_columns, empty_cells, flags["createNew"], add_tags)
    return plan, flags["dryRun"]


def _column(name: str, spec: Any, attributes: dict[str, str], default_type: str | None,
            errors: list[FieldError]) -> ColumnMapping:
    where = f"mapping.{name}"
    if spec is None:
        return ColumnMapping(name, IGNORE)
    if isinstance(spec, str):
        spec = {"target": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("target", IGNORE) or IGNORE, str):
        errors.append(FieldError(where, "invalid_type", "a column maps to a target name or {target, type, policy}", spec))
        return ColumnMapping(name, IGNORE)
    unknown = set(spec) - {"target", "type", "policy"}
    if unknown:
        errors.append(FieldError(where, "unknown_field", "a column mapping has target, type and policy", sorted(unknown)))
    target = spec.get("target") or IGNORE
    policy = spec.get("policy") or ALWAYS
    if policy not in POLICIES:
        errors.append(FieldError(f"{where}.policy", "invalid_choice", f"the policy is one of {', '.join(POLICIES)}", policy))
    type_ = spec.get("type")
    if target.startswith("attributes."):
        attribute = target[len("attributes."):]
        try:
            check_attribute_name(attribute)
        except InvalidValue as exc:
            errors.append(FieldError(f"{where}.target", exc.code, exc.message, target))
        known = attributes.get(attribute)
        if type_ is not None and type_ not in TYPES:
            errors.append(FieldError(f"{where}.type", "invalid_choice", f"the type is one of {', '.join(TYPES)}", type_))
        elif known and type_ and type_ != known:
            errors.append(FieldError(f"{where}.type", "type_mismatch", f"the attribute {attribute} is {known}; it cannot be imported as {type_}", type_))
        type_ = known or type_ or default_type
    elif type_ is not None:
        errors.append(FieldError(f"{where}.type", "not_applicable", "only custom attributes take a type", type_))
        type_ = None
    elif not _known_target(target):
        errors.append(FieldError(f"{where}.target", "unknown_target",
                                 "a column maps to a profile field, attributes.NAME, agreements.CHANNEL, companyId, tags, id or ignore", target))
        target = IGNORE
    return ColumnMapping(name, target, type_, policy)


def _known_target(target: str) -> bool:
    if target in FIELDS_BY_NAME or target in (IGNORE, TAGS, ID, "companyId"):
        return True
    return target.startswith("agreements.") and target[len("agreements."):] in AGREEMENT_CHANNELS


def _add_tags(raw: Any, errors: list[FieldError]) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        errors.append(FieldError("addTags", "invalid_type", "must be a list of tag names", raw))
        return []
    tags = []
    for value in raw:
        try:
            tags.append(normalize_tag(value))
        except InvalidValue as exc:
            errors.append(FieldError("addTags", exc.code, exc.message, value))
    return sorted(set(tags))


# --- rows -> writes ----------------------------------------------------------------------------

SLOTS = COLUMNS_SLOT, ATTRIBUTES_SLOT, AGREEMENTS_SLOT, COMPANY_SLOT = range(4)
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
    normalize: Callable[[Any], Any] | None = None  # a standard field's normalizer
    scratch: ProfileWrite = field(default_factory=ProfileWrite)  # where a cell is parsed before it is read back


class RowParser:
    """Turns rows into WriteItems, each cell read as `parse_write` reads a value.

    A cell's outcome depends on its column and text only, so it is computed once per distinct
    value: cities, names, dates and codes repeat, and a bulk import then costs a dict lookup per
    cell instead of a normalizer call. The caches are handed in by the caller (they outlive one
    chunk) and each holds at most CACHE_LIMIT values, so memory stays bounded.
    """

    def __init__(self, plan: ImportPlan, registry, *, from_text: bool, positions: dict[str, Any],
                 caches: dict[str, CellCache] | None = None):
        self.plan = plan
        self.registry = registry
        self.from_text = from_text
        self.clear = plan.empty_cells == CLEAR
        self.width = len(positions)
        self.known_keys = set(positions)
        self.policies = {c.target: c.policy for c in plan.columns if c.policy != ALWAYS}
        self.add_tags = set(plan.add_tags)
        self.caches = {} if caches is None else caches
        self.cells: list[_CellColumn] = []
        self.tag_columns: list[tuple[Any, str, dict]] = []
        self.id_column = None
        for column in plan.columns:
            position = positions[column.name]
            if column.target == IGNORE:
                continue
            if column.target == TAGS:
                self.tag_columns.append((position, column.name, self.caches.setdefault(column.name, CellCache()).values))
            elif column.target == ID:
                self.id_column = (position, column.name)
            else:
                self.cells.append(self._cell_column(position, column))
        self.identifier_column = next((c for c in self.cells if c.is_identifier), None)
        self.slot_columns = [[c for c in self.cells if c.slot == slot] for slot in SLOTS]

    def _cell_column(self, position: Any, column: ColumnMapping) -> _CellColumn:
        target = column.target
        is_identifier = target == self.plan.identifier
        cache = self.caches.setdefault(column.name, CellCache())
        if target in FIELDS_BY_NAME:
            spec = FIELDS_BY_NAME[target]
            return _CellColumn(position, column.name, target, COLUMNS_SLOT, spec.column, spec.clearable, is_identifier, cache,
                               spec.normalize)
        if target.startswith("attributes."):
            return _CellColumn(position, column.name, target, ATTRIBUTES_SLOT, target[len("attributes."):], True, False, cache)
        if target.startswith("agreements."):
            return _CellColumn(position, column.name, target, AGREEMENTS_SLOT, target[len("agreements."):], False, False, cache)
        return _CellColumn(position, column.name, target, COMPANY_SLOT, None, True, False, cache)

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
        """The write a row asks for; a row with any invalid cell carries every problem and no write."""
        write = ProfileWrite()
        errors: list[FieldError] = []
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
                errors.extend(outcome)
            elif column.slot == COMPANY_SLOT:
                write.company_id = outcome
            else:
                slots[column.slot][column.key] = outcome
                if column.is_identifier:
                    identity_value = outcome
        return self._finished(index, row, is_dict, write, errors, identity_value)

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
        # The common row, whose tags and identity need nothing but the identifier's value, is
        # finished here; `_finished` does the same, and more, for the others.
        kind, add_tags, create, policies = self.plan.identifier, self.add_tags, self.plan.create_new, self.policies
        simple = not self.tag_columns and kind != ID
        items = []
        for index, (line, row, columns, attributes, agreements, company, identifier) in enumerate(
                zip(lines, rows, *slot_rows, identifiers)):
            if index in rejected:
                items.append(self.item(line, row))
                continue
            keys = slot_keys
            if index in skipping:
                keys, (columns, attributes, agreements, company) = _without_skipped(
                    slot_keys, (columns, attributes, agreements, company))
            write = ProfileWrite(dict(zip(keys[COLUMNS_SLOT], columns)),
                                 dict(zip(keys[ATTRIBUTES_SLOT], attributes)) if attributes else {},
                                 None, set(add_tags), set(),
                                 dict(zip(keys[AGREEMENTS_SLOT], agreements)) if agreements else {},
                                 company[0] if company else UNSET)
            identity_value = None if identifier is _SKIP else identifier
            if simple and identity_value is not None:
                items.append(WriteItem(line, Identity(kind, identity_value), write, create=create, policies=policies))
            else:
                items.append(self._finished(line, row, False, write, [], identity_value))
        return items

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
                  identity_value: Any) -> WriteItem:
        write.add_tags = self._tags(row, is_dict, errors)
        identity = self._identity(row, is_dict, identity_value, errors)
        if errors:
            return WriteItem(index, None, ProfileWrite(), errors=errors)
        return WriteItem(index, identity, write, create=self.plan.create_new, policies=self.policies)

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
        if raw is None or (type(raw) is str and (not raw or raw.isspace())):  # _empty(raw), inlined: it runs per cell
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
        return (write.columns, write.attributes, write.agreements)[column.slot][column.key]

    def _tags(self, row: list | dict, is_dict: bool, errors: list[FieldError]) -> set[str]:
        tags = set(self.add_tags)
        for position, name, cache in self.tag_columns:
            raw = row.get(position) if is_dict else row[position]
            if _empty(raw):
                continue
            key = raw if type(raw) is str else None
            outcome = cache.get(key) if key is not None else None
            if outcome is None:
                names = [part for part in raw.split(TAG_SEPARATOR) if part.strip()] if isinstance(raw, str) else raw
                if not isinstance(names, list):
                    names = [names]
                write, problems = parse_write({}, registry=self.registry, add_tags=names)
                outcome = (write.add_tags, [FieldError(TAGS, p.code, p.message, p.value) for p in problems])
                if key is not None and len(cache) < CACHE_LIMIT:
                    cache[key] = outcome
            tags |= outcome[0]
            errors.extend(outcome[1])
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
                return column.name
        if path == TAGS and self.tag_columns:
            return self.tag_columns[0][1]
        return path


def _without_skipped(slot_keys: list[list], slot_values: list[tuple]) -> tuple[list[list], list[list]]:
    """The keys and values of each slot, without the empty cells that leave their value as it is."""
    kept = [[(key, value) for key, value in zip(keys, values) if value is not _SKIP]
            for keys, values in zip(slot_keys, slot_values)]
    return [[key for key, _ in pairs] for pairs in kept], [[value for _, value in pairs] for pairs in kept]


def _empty(raw: Any) -> bool:
    return raw is None or (type(raw) is str and (not raw or raw.isspace()))
