"""One read of the whole file before an import writes anything: what no single chunk can know.

- **Date columns** without a format: which order (day/month/year, month/day/year) the column's
  values prove (`dates.DateColumnScan`); a column they leave open is refused with a message that
  asks for the format, before any row is written.
- **Tag columns** without a separator: `;` unless the cells use another one (`,` for Shopify,
  ` ::: ` for Google Contacts), so a file's own habit is read, and shown in the result.
- **Repeated identifiers**: rows naming the same profile are folded, in file order, into one
  write with the last of them (`folding`), so an import writes one event per profile and running
  the same file again changes nothing. The scan finds them by a hash of each row's normalized
  identifier, in compact arrays: 24 bytes a row, freed when the scan ends.

The result is a pure function of the file and the plan, so a process that resumes an import
scans again and finds the same: nothing of it needs to be stored.
"""

import array
from dataclasses import dataclass, field
from typing import Any

from dossier.imports.dates import ISO, DateColumnScan
from dossier.imports.mapping import ID, TAGS, ImportPlan
from dossier.imports.parsing import JSONL, open_rows
from dossier.profiles.errors import InvalidValue
from dossier.profiles.fields import FIELDS_BY_NAME
from dossier.profiles.services import parse_identity

GOOGLE_LABELS = " ::: "


@dataclass
class FileScan:
    date_orders: dict[int, str] = field(default_factory=dict)  # column position -> order
    tag_separators: dict[int, str] = field(default_factory=dict)
    folds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # last line -> (offset, line) of earlier rows
    folded_lines: set[int] = field(default_factory=set)  # lines written with a later row of their profile
    problems: list[str] = field(default_factory=list)

    def summary(self, plan: ImportPlan) -> dict[str, Any]:
        labels = {c.position: c.label for c in plan.columns}
        return {"dateOrders": {labels[p]: order for p, order in self.date_orders.items() if order != ISO},
                "tagSeparators": {labels[p]: sep for p, sep in self.tag_separators.items()},
                "foldedRows": len(self.folded_lines)}


def scan_file(import_file, plan: ImportPlan) -> FileScan:
    by_key = import_file.format == JSONL
    place = (lambda c: c.header) if by_key else (lambda c: c.position)
    date_columns = {c.position: (place(c), DateColumnScan()) for c in plan.columns if c.is_date and not c.date_format}
    tag_columns = {c.position: (place(c), {}) for c in plan.columns if c.target == TAGS and not plan.tag_separator}
    identifier = _identifier_column(plan)
    identifier_at = None if identifier is None else place(plan.columns[identifier])
    key_of = _identifier_key(plan.identifier, plan.phone_region)
    hashes, lines, offsets = array.array("q"), array.array("q"), array.array("q")
    rows = open_rows(import_file.format, import_file.path, import_file.delimiter)
    for record in rows.read(import_file.data_offset, import_file.header_lines):
        if record.blank or record.problem:
            continue
        row = record.values if by_key else record.cells
        cell = row.get if by_key else (lambda at, cells=row: cells[at] if at < len(cells) else None)
        for at, scan in date_columns.values():
            value = cell(at)
            if type(value) is str:
                scan.add(value)
        for at, seen in tag_columns.values():
            value = cell(at)
            if type(value) is str:
                for separator in (";", GOOGLE_LABELS, ",", "|"):
                    if separator in value:
                        seen[separator] = True
        if identifier_at is not None:
            key = key_of(cell(identifier_at))
            if key is not None:
                hashes.append(hash(key))
                lines.append(record.line)
                offsets.append(record.offset)
    result = FileScan()
    for position, (_, scan) in date_columns.items():
        order, problem = scan.decision()
        if problem:
            column = plan.columns[position]
            result.problems.append(f"column {column.label} ({column.target}) {problem}; give its format, as in "
                                   f"--date-format '{column.label}=%d/%m/%Y' or the mapping's dateFormat")
        else:
            result.date_orders[position] = order
    for position, (_, seen) in tag_columns.items():
        result.tag_separators[position] = next((s for s in (";", GOOGLE_LABELS, ",", "|") if s in seen), ";")
    _find_repeats(hashes, lines, offsets, result)
    return result


def _identifier_column(plan: ImportPlan) -> int | None:
    target = ID if plan.identifier == ID else plan.identifier
    return next((c.position for c in plan.columns if c.target == target), None)


def _identifier_key(kind: str, phone_region: str | None):
    """A cell's identifier as the change service will compare it, or None when it names nothing."""
    def key(raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            if kind == "phone":
                return FIELDS_BY_NAME["phone"].normalize(raw, phone_region)
            return parse_identity(kind, raw).value
        except (InvalidValue, TypeError):
            return None

    return key


def _find_repeats(hashes: array.array, lines: array.array, offsets: array.array, result: FileScan) -> None:
    """Group the rows whose identifiers hash alike; the rows are compared again when folded, so
    a collision of two different identifiers only costs a row read twice."""
    if len(hashes) < 2:
        return
    order = sorted(range(len(hashes)), key=hashes.__getitem__)
    start = 0
    for end in range(1, len(order) + 1):
        if end < len(order) and hashes[order[end]] == hashes[order[start]]:
            continue
        if end - start > 1:
            group = sorted(order[start:end])
            *earlier, last = group
            result.folds[lines[last]] = [(offsets[i], lines[i]) for i in earlier]
            result.folded_lines.update(lines[i] for i in earlier)
        start = end
