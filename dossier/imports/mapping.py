"""Import options: which column goes where, how rows find their profile, what empty and invalid
cells mean.

`parse_options` validates the options of an import against the file's columns (every problem
listed, as for any write) and returns the resolved `ImportPlan`. Columns are addressed by
position, so a file whose header repeats a name is never refused: a mapping names a column by
its header, or by `#N` (1-based) when the header repeats. Columns the options do not mention are
mapped by their header (`dossier.imports.headers`), and every column that will not be imported
carries the reason, so the CLI, the API and the mapping page can say what is left out.
`RowParser` (in `rows`) then turns each row into a `WriteItem` for the change service.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from dossier.imports.dates import check_format
from dossier.imports.headers import NOT_IMPORTED, alias_of, attribute_name_for, header_key
from dossier.profiles.attributes import TYPES, check_attribute_name
from dossier.profiles.changes import ALWAYS, IF_EMPTY, NEVER
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME, IDENTIFIER_FIELDS, RESERVED_NAMES, normalize_country
from dossier.profiles.models import AttributeDefinition, Profile
from dossier.profiles.writes import normalize_tag

POLICIES = (ALWAYS, IF_EMPTY, NEVER)
LEAVE, CLEAR = "leave", "clear"
SKIP_VALUE, REJECT_ROW = "skipValue", "rejectRow"
IGNORE, TAGS, ID, COMPANY = "ignore", "tags", "id", "company"
TAG_SEPARATORS = (";", ",", "|")
OPTION_KEYS = ("identifier", "mapping", "emptyCells", "createNew", "addTags", "dryRun", "invalidValues",
               "tagSeparator", "phoneRegion", "dateFormats", "keepUnmapped")
AUTO, MAPPED, KEPT = "auto", "mapped", "kept"  # how a column's target was chosen
DATE_TARGETS_TYPES = ("date", "datetime")
ID_HEADERS = ("id", "profileid", "dossierid")


@dataclass
class ColumnMapping:
    position: int  # 0-based place in the file (JSON Lines: in the keys of its first records)
    header: str
    target: str  # a field path (firstName, attributes.NAME, agreements.email, companyId), company, tags, id or ignore
    type: str | None = None  # custom attributes: the attribute's type
    policy: str = ALWAYS
    date_format: str | None = None  # strptime format given for a date column
    source: str = AUTO
    reason: str = ""  # why an ignored column is not imported

    @property
    def label(self) -> str:
        """How a person names the column: its header, or its number when it has none."""
        return self.header or f"#{self.position + 1}"

    @property
    def is_date(self) -> bool:
        return self.target == "birthDate" or (self.target.startswith("attributes.") and self.type in DATE_TARGETS_TYPES)


@dataclass
class ImportPlan:
    """Resolved options: stored with the import and shown back by the API."""

    identifier: str
    columns: list[ColumnMapping]
    empty_cells: str = LEAVE
    create_new: bool = True
    add_tags: list[str] = field(default_factory=list)
    invalid_values: str = SKIP_VALUE
    tag_separator: str | None = None  # None: found from the file's tag cells (`;` unless they use another)
    phone_region: str | None = None
    keep_unmapped: bool = False

    def as_json(self) -> dict:
        return {
            "identifier": self.identifier,
            "columns": [{"column": c.position + 1, "header": c.header, "target": c.target, "type": c.type,
                         "policy": c.policy, "dateFormat": c.date_format, "source": c.source, "reason": c.reason}
                        for c in self.columns],
            "emptyCells": self.empty_cells,
            "createNew": self.create_new,
            "addTags": self.add_tags,
            "invalidValues": self.invalid_values,
            "tagSeparator": self.tag_separator,
            "phoneRegion": self.phone_region,
            "keepUnmapped": self.keep_unmapped,
        }

    @classmethod
    def from_json(cls, data: dict) -> "ImportPlan":
        if "columns" in data:
            columns = [ColumnMapping(c["column"] - 1, c["header"], c["target"], c.get("type"), c.get("policy", ALWAYS),
                                     c.get("dateFormat"), c.get("source", AUTO), c.get("reason", "")) for c in data["columns"]]
        else:  # stored before columns were addressed by position: the mapping listed every column in order
            columns = [ColumnMapping(position, name, spec["target"], spec.get("type"), spec.get("policy", ALWAYS))
                       for position, (name, spec) in enumerate(data["mapping"].items())]
        return cls(data["identifier"], columns, data["emptyCells"], data["createNew"], data["addTags"],
                   data.get("invalidValues", REJECT_ROW if "columns" not in data else SKIP_VALUE),
                   data.get("tagSeparator"), data.get("phoneRegion"), data.get("keepUnmapped", False))

    def declared_types(self) -> dict[str, str]:
        return {c.target[len("attributes."):]: c.type for c in self.columns if c.target.startswith("attributes.") and c.type}

    def imported(self) -> list[ColumnMapping]:
        return [c for c in self.columns if c.target != IGNORE]

    def describe(self) -> list[str]:
        """One line per column: where it goes, or why it is not imported (the CLI prints these)."""
        lines = []
        for column in self.columns:
            where = f"{column.position + 1:>3}  {column.label}"
            if column.target == IGNORE:
                lines.append(f"{where}  -> not imported: {column.reason or 'ignored'}")
                continue
            notes = []
            if column.target == self.identifier or (column.target == ID and self.identifier == ID):
                notes.append("identifier")
            if column.type and column.target.startswith("attributes."):
                notes.append(column.type)
            if column.policy != ALWAYS:
                notes.append(f"policy {column.policy}")
            if column.date_format:
                notes.append(f"dates as {column.date_format}")
            if column.target == TAGS and self.tag_separator:
                notes.append(f"separated by {self.tag_separator!r}")
            if column.source == KEPT:
                notes.append("kept: --keep-unmapped")
            lines.append(f"{where}  -> {column.target}" + (f" ({', '.join(notes)})" if notes else ""))
        return lines


class OptionsRejected(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def parse_options(data: Any, columns: list[str], *, typed_values: bool = False,
                  sample: list[list[Any]] | None = None) -> tuple[ImportPlan, bool]:
    """(the plan, dryRun) from the options of an import; OptionsRejected lists every problem.

    A new custom attribute takes the type the mapping gives; without one it is text for a CSV
    file, and inferred from the first value for JSON Lines (`typed_values`), as in the API.
    `sample` (the file's first rows) tells whether an `Id` column holds Dossier's profile ids.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise OptionsRejected([FieldError("options", "invalid_type", "the options must be a JSON object", None)])
    errors = [FieldError(k, "unknown_field", f"the options are {', '.join(OPTION_KEYS)}", data[k]) for k in data if k not in OPTION_KEYS]
    mapping = data.get("mapping") or {}
    if not isinstance(mapping, dict):
        errors.append(FieldError("mapping", "invalid_type", "must be an object of column: target", mapping))
        mapping = {}
    keep_unmapped = _flag(data, "keepUnmapped", False, errors)
    plan_columns = resolve_columns(mapping, columns, typed_values=typed_values, sample=sample or [],
                                   keep_unmapped=keep_unmapped, errors=errors)
    identifier = data.get("identifier")
    if identifier == ID and ID not in (c.target for c in plan_columns):
        _name_profiles_by_id_column(plan_columns)
    targets = [c.target for c in plan_columns]
    identifier = identifier or default_identifier(targets)
    if identifier not in IDENTIFIER_FIELDS:
        errors.append(FieldError("identifier", "invalid_choice", f"the identifier is one of {', '.join(IDENTIFIER_FIELDS)}", identifier))
    elif identifier not in targets:
        errors.append(FieldError("identifier", "not_mapped", f"no column is mapped to the identifier {identifier}", identifier))
    for column in plan_columns:
        if column.target == ID and identifier != ID:
            if column.source == AUTO:
                column.target, column.reason = IGNORE, "holds Dossier profile ids; choose the identifier id to name profiles by them"
            else:
                errors.append(FieldError("mapping", "id_not_identifier", "a column mapped to id names the profile: choose id as the identifier, or ignore the column", ID))
    _date_formats(data.get("dateFormats"), plan_columns, columns, errors)
    empty_cells = _choice(data, "emptyCells", LEAVE, (LEAVE, CLEAR), errors)
    invalid_values = _choice(data, "invalidValues", SKIP_VALUE, (SKIP_VALUE, REJECT_ROW), errors)
    tag_separator = data.get("tagSeparator")
    if tag_separator is not None and tag_separator not in TAG_SEPARATORS:
        errors.append(FieldError("tagSeparator", "invalid_choice", f"tags are separated by one of {' '.join(TAG_SEPARATORS)}", tag_separator))
    phone_region = _phone_region(data.get("phoneRegion"), errors)
    create_new = _flag(data, "createNew", True, errors)
    dry_run = _flag(data, "dryRun", False, errors)
    add_tags = _add_tags(data.get("addTags") or [], errors)
    if errors:
        raise OptionsRejected(errors)
    plan = ImportPlan(identifier, plan_columns, empty_cells, create_new, add_tags, invalid_values, tag_separator,
                      phone_region, keep_unmapped)
    return plan, dry_run


def resolve_columns(mapping: dict, columns: list[str], attributes: dict | None = None, *, typed_values: bool = False,
                    sample: list[list[Any]] = (), keep_unmapped: bool = False,
                    errors: list[FieldError] | None = None) -> list[ColumnMapping]:
    """Every column of the file with its target: as `mapping` says, else by its header, else
    with the reason it is not imported. Without `errors`, problems of the mapping are dropped
    (the mapping page shows the suggestion for a file before anything is chosen)."""
    errors = [] if errors is None else errors
    if attributes is None:
        attributes = {name: (type_, label) for name, type_, label in AttributeDefinition.objects.values_list("name", "type", "label")}
    default_type = None if typed_values else "text"
    plan_columns = [ColumnMapping(position, header, IGNORE) for position, header in enumerate(columns)]
    for key, spec in mapping.items():
        position = _position_of(key, columns, errors)
        if position is not None:
            plan_columns[position] = _mapped_column(position, columns[position], key, spec, attributes, default_type, errors)
    _auto_map(plan_columns, attributes, default_type, list(sample))
    _check_targets(plan_columns, errors)
    if keep_unmapped:
        _keep_unmapped(plan_columns, attributes)
    return plan_columns


def _name_profiles_by_id_column(columns: list[ColumnMapping]) -> None:
    """The identifier `id` was asked for: an auto-mapped column headed `id` holds Dossier's ids,
    whatever the first rows looked like."""
    for column in columns:
        if column.source == AUTO and header_key(column.header) in ID_HEADERS:
            column.target, column.reason = ID, ""
            return


def default_identifier(targets: list[str]) -> str:
    return next((kind for kind in ("email", "customId", "id", "phone") if kind in targets), "email")


def _position_of(key: Any, columns: list[str], errors: list[FieldError]) -> int | None:
    """The column a mapping key names: `#N`, or a header that appears once."""
    if isinstance(key, str) and key.startswith("#") and key[1:].isdigit():
        number = int(key[1:])
        if 1 <= number <= len(columns):
            return number - 1
        errors.append(FieldError(f"mapping.{key}", "unknown_column", f"the file has columns #1 to #{len(columns)}", key))
        return None
    places = [position for position, header in enumerate(columns) if header == key]
    if not places:
        places = [position for position, header in enumerate(columns) if header.lower() == str(key).lower()]
    if not places:
        errors.append(FieldError(f"mapping.{key}", "unknown_column", f"the file has no column '{key}'", key))
        return None
    if len(places) > 1:
        numbers = " and ".join(f"#{p + 1}" for p in places)
        errors.append(FieldError(f"mapping.{key}", "ambiguous_column", f"the header '{key}' names columns {numbers}: map them by number", key))
        return None
    return places[0]


def _mapped_column(position: int, header: str, key: str, spec: Any, attributes: dict, default_type: str | None,
                   errors: list[FieldError]) -> ColumnMapping:
    where = f"mapping.{key}"
    if spec is None:
        return ColumnMapping(position, header, IGNORE, source=MAPPED, reason="ignored by the mapping")
    if isinstance(spec, str):
        spec = {"target": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("target", IGNORE) or IGNORE, str):
        errors.append(FieldError(where, "invalid_type", "a column maps to a target name or {target, type, policy, dateFormat}", spec))
        return ColumnMapping(position, header, IGNORE, source=MAPPED)
    unknown = set(spec) - {"target", "type", "policy", "dateFormat"}
    if unknown:
        errors.append(FieldError(where, "unknown_field", "a column mapping has target, type, policy and dateFormat", sorted(unknown)))
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
        known = attributes.get(attribute, (None, ""))[0]
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
                                 "a column maps to a profile field, attributes.NAME, agreements.CHANNEL, company, companyId, "
                                 "tags, id or ignore", target))
        target = IGNORE
    column = ColumnMapping(position, header, target, type_, policy, source=MAPPED,
                           reason="ignored by the mapping" if target == IGNORE else "")
    date_format = spec.get("dateFormat")
    if date_format is not None:
        _set_date_format(column, date_format, f"{where}.dateFormat", errors)
    return column


def _known_target(target: str) -> bool:
    if target in FIELDS_BY_NAME or target in (IGNORE, TAGS, ID, COMPANY, "companyId"):
        return True
    return target.startswith("agreements.") and target[len("agreements."):] in AGREEMENT_CHANNELS


def _auto_map(columns: list[ColumnMapping], attributes: dict, default_type: str | None, sample: list[list[Any]]) -> None:
    """Map the columns the options left out by their headers; the best-ranked column of each
    target fills it, and every other column says why it is not imported."""
    first_of: dict[str, int] = {}
    by_attribute_label = {header_key(label or name): name for name, (_, label) in attributes.items()}
    by_attribute_label.update({header_key(name): name for name in attributes})
    candidates: list[tuple[int, int, str]] = []  # (rank, position, target)
    for column in columns:
        header = column.header.strip()
        repeated = first_of.setdefault(header.lower(), column.position) if header else None
        if column.source != AUTO:
            continue
        if not header:
            column.reason = f"has no header; map it by number (#{column.position + 1})"
            continue
        if repeated != column.position:
            column.reason = (f"repeats the header of column #{repeated + 1}; map it by number "
                             f"(#{column.position + 1}) to import it")
            continue
        target, rank = _target_of_header(header, column.position, attributes, by_attribute_label, sample)
        if target is None:
            column.reason = NOT_IMPORTED.get(header_key(header), "no profile field matches this header")
            continue
        candidates.append((rank, column.position, target))
    filled = {c.target: c for c in columns if c.source == MAPPED and c.target not in (IGNORE, TAGS)}
    for rank, position, target in sorted(candidates):
        column = columns[position]
        if target != TAGS and target in filled:
            winner = filled[target]
            column.reason = f"column #{winner.position + 1} ({winner.label}) fills {target}"
            continue
        column.target = target
        if target.startswith("attributes."):
            column.type = attributes.get(target[len("attributes."):], (None, ""))[0] or default_type
        filled.setdefault(target, column)


def _target_of_header(header: str, position: int, attributes: dict, by_attribute_label: dict[str, str],
                      sample: list[list[Any]]) -> tuple[str | None, int]:
    if header.startswith("attributes."):
        return header, 0
    if header.startswith("agreements.") and header[len("agreements."):] in AGREEMENT_CHANNELS:
        return header, 0
    key = header_key(header)
    if header in FIELDS_BY_NAME:
        return header, 1
    if key in ID_HEADERS and _holds_profile_ids([row[position] for row in sample if position < len(row)]):
        return ID, 0
    alias = alias_of(header)
    if alias is not None:
        return alias
    if key in by_attribute_label:
        return f"attributes.{by_attribute_label[key]}", 0
    return None, 0


def _holds_profile_ids(values: list[Any]) -> bool:
    """Whether the sample's values of a column are ids of stored profiles (all UUIDs, most of them
    stored): only then does an `Id` column name Dossier's profiles; a foreign system's ids (even
    UUIDs, such as Synerise's) are its customId."""
    texts = [v for v in values if isinstance(v, str) and v.strip()]
    if not texts:
        return False
    try:
        ids = {uuid.UUID(text.strip()) for text in texts}
    except ValueError:
        return False
    return 2 * Profile.objects.filter(id__in=ids).count() >= len(ids)


def _check_targets(columns: list[ColumnMapping], errors: list[FieldError]) -> None:
    mapped: dict[str, list[ColumnMapping]] = {}
    for column in columns:
        if column.source == MAPPED and column.target not in (IGNORE, TAGS):
            mapped.setdefault(column.target, []).append(column)
    for target, group in mapped.items():
        if len(group) > 1:
            names = ", ".join(c.label for c in group)
            errors.append(FieldError("mapping", "duplicate_target", f"columns {names} all map to {target}", target))


def _keep_unmapped(columns: list[ColumnMapping], attributes: dict) -> None:
    """Turn each column left out into a text custom attribute named after its header."""
    taken = {c.target[len("attributes."):] for c in columns if c.target.startswith("attributes.")}
    for column in columns:
        if column.target != IGNORE or column.source == MAPPED:
            continue
        name = attribute_name_for(column.header) or f"column{column.position + 1}"
        if name in RESERVED_NAMES or name in taken:
            name = f"{name}{column.position + 1}"
        try:
            check_attribute_name(name)
        except InvalidValue:
            name = f"column{column.position + 1}"
        known = attributes.get(name, (None, ""))[0]
        column.target, column.type, column.source, column.reason = f"attributes.{name}", known or "text", KEPT, ""
        taken.add(name)


def _date_formats(raw: Any, plan_columns: list[ColumnMapping], headers: list[str], errors: list[FieldError]) -> None:
    """`dateFormats`: {column header, #N or target: strptime format}."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        errors.append(FieldError("dateFormats", "invalid_type", "must be an object of column: format, such as "
                                 '{"Birthday": "%m/%d/%Y"}', raw))
        return
    for key, fmt in raw.items():
        where = f"dateFormats.{key}"
        column = next((c for c in plan_columns if c.target == key and c.target != IGNORE), None)
        if column is None:
            problems: list[FieldError] = []
            position = _position_of(key, headers, problems)
            if position is None:
                errors.append(FieldError(where, "unknown_column", f"no column or imported field is named '{key}'", key))
                continue
            column = plan_columns[position]
        _set_date_format(column, fmt, where, errors)


def _set_date_format(column: ColumnMapping, fmt: Any, where: str, errors: list[FieldError]) -> None:
    problem = check_format(fmt)
    if problem:
        errors.append(FieldError(where, "invalid_format", problem, fmt))
    elif not column.is_date and column.target != IGNORE:
        errors.append(FieldError(where, "not_a_date", f"column {column.label} goes to {column.target}, which holds no date", fmt))
    else:
        column.date_format = fmt


def _phone_region(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        return normalize_country(raw)
    except InvalidValue as exc:
        errors.append(FieldError("phoneRegion", exc.code, exc.message, raw))
        return None


def _choice(data: dict, key: str, default: str, choices: tuple[str, ...], errors: list[FieldError]) -> str:
    value = data.get(key, default)
    if value not in choices:
        errors.append(FieldError(key, "invalid_choice", f"{key} is {' or '.join(choices)}", value))
        return default
    return value


def _flag(data: dict, key: str, default: bool, errors: list[FieldError]) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        errors.append(FieldError(key, "invalid_boolean", "must be true or false", value))
        return default
    return value


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
