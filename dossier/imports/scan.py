"""One read of the whole file before an import writes anything: what no single chunk can know.

- **Date columns** without a format: which order (day/month/year, month/day/year) the column's
  values prove (`dates.DateColumnScan`); a column they leave open is refused with a message that
  asks for the format, before any row is written.
- **Tag columns** without a separator: `;` unless the cells use another one (`,` for Shopify,
  ` ::: ` for Google Contacts), so a file's own habit is read, and shown in the result.
- **Repeated identifiers**: rows naming the same profile are folded, in file order, into one
  write with the last of them (`folding`), so an import writes one event per profile and running
  the same file again changes nothing. The scan keeps a hash of each row's identifier (a set of
  integers, freed when the scan ends) and reads the file again, with offsets, only when one repeats.

The result is a pure function of the file and the plan, so a process that resumes an import
scans again and finds the same: nothing of it needs to be stored.
"""

import csv
import io
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
    """Read the file once for its date orders, tag separators and repeated identifiers; a second
    time, with byte offsets, only when some identifier repeats."""
    by_key = import_file.format == JSONL
    place = (lambda c: c.header) if by_key else (lambda c: c.position)
    date_columns = [(place(c), c.position, DateColumnScan()) for c in plan.columns if c.is_date and not c.date_format]
    tag_columns = [(place(c), c.position, {}) for c in plan.columns if c.target == TAGS and not plan.tag_separator]
    identifier = _identifier_column(plan)
    identifier_at = None if identifier is None else place(plan.columns[identifier])
    key_of = _identifier_key(plan.identifier, plan.phone_region)
    seen: set[int] = set()
    repeated: set[int] = set()
    for row in _rows(import_file):
        cell = row.get if by_key else (lambda at, cells=row: cells[at] if at < len(cells) else None)
        for at, _, scan in date_columns:
            value = cell(at)
            if type(value) is str:
                scan.add(value)
        for at, _, found in tag_columns:
            value = cell(at)
            if type(value) is str:
                for separator in (";", GOOGLE_LABELS, ",", "|"):
                    if separator in value:
                        found[separator] = True
        if identifier_at is not None:
            key = key_of(cell(identifier_at))
            if key is not None:
                digest = hash(key)
                if digest in seen:
                    repeated.add(digest)
                else:
                    seen.add(digest)
    del seen
    result = FileScan()
    for _, position, scan in date_columns:
        order, problem = scan.decision()
        if problem:
            column = plan.columns[position]
            result.problems.append(f"column {column.label} ({column.target}) {problem}; give its format, as in "
                                   f"--date-format '{column.label}=%d/%m/%Y' or the mapping's dateFormat")
        else:
            result.date_orders[position] = order
    for _, position, found in tag_columns:
        result.tag_separators[position] = next((s for s in (";", GOOGLE_LABELS, ",", "|") if s in found), ";")
    if repeated:
        _find_repeats(import_file, identifier_at, key_of, repeated, result)
    return result


def _rows(import_file):
    """The cells (CSV) or values (JSON Lines) of every readable row after the header."""
    if import_file.format == JSONL:
        for record in open_rows(JSONL, import_file.path, "").read(import_file.data_offset, import_file.header_lines):
            if record.values is not None:
                yield record.values
        return
    with open(import_file.path, "rb") as raw:
        raw.seek(import_file.data_offset)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        reader = csv.reader(text, delimiter=import_file.delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:  # the row is reported when the import reads it
                continue
            if row:
                yield row


def _find_repeats(import_file, identifier_at, key_of, repeated: set[int], result: FileScan) -> None:
    """Where the rows whose identifiers repeat are: their lines and byte offsets, in groups. The
    rows are compared again when folded, so a hash that two identifiers share costs a row read
    twice, nothing more."""
    by_key = import_file.format == JSONL
    groups: dict[Any, list[tuple[int, int]]] = {}
    rows = open_rows(import_file.format, import_file.path, import_file.delimiter)
    for record in rows.read(import_file.data_offset, import_file.header_lines):
        if record.blank or record.problem:
            continue
        cells = record.values if by_key else record.cells
        raw = cells.get(identifier_at) if by_key else (cells[identifier_at] if identifier_at < len(cells) else None)
        key = key_of(raw)
        if key is not None and hash(key) in repeated:
            groups.setdefault(key, []).append((record.offset, record.line))
    for places in groups.values():
        if len(places) > 1:
            *earlier, (_, last) = places
            result.folds[last] = earlier
            result.folded_lines.update(line for _, line in earlier)


def _identifier_column(plan: ImportPlan) -> int | None:
    target = ID if plan.identifier == ID else plan.identifier
    return next((c.position for c in plan.columns if c.target == target), None)


def _identifier_key(kind: str, phone_region: str | None):
    """A cell's identifier as the change service will compare it, or None when it names nothing.
    An ASCII email is its own lower case, trimmed: checking its syntax can wait for the import."""
    def key(raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if kind == "email" and type(raw) is str and raw.isascii():
            return raw.strip().lower()
        try:
            if kind == "phone":
                return FIELDS_BY_NAME["phone"].normalize(raw, phone_region)
            return parse_identity(kind, raw).value
        except (InvalidValue, TypeError):
            return None

    return key
