"""Reading an import file: what it is (inspection) and its rows, streamed from a byte offset.

Inspection reads the whole file once, in blocks, to prove it is UTF-8 (naming the line of the
first byte that is not) and to count its lines for progress; it parses only the first records,
to detect the delimiter and read the header. Rows are then read straight from disk, one chunk at
a time, from the byte offset where the last committed chunk ended: memory stays flat whatever
the file's size, and a restarted import resumes exactly where it stopped.
"""

import codecs
import csv
import hashlib
import json
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterator

from dossier.core.jsonvalues import check_json
from dossier.profiles.writes import flatten_profile_json

CSV, JSONL = "csv", "jsonl"
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
BOM = codecs.BOM_UTF8
BLOCK = 1 << 20
SNIFF_BYTES = 256 * 1024
SNIFF_RECORDS = 50
SAMPLE_ROWS = 5
JSONL_HEADER_LINES = 1000
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

csv.field_size_limit(16 * 1024 * 1024)  # a cell past the rules' limits is a row error, not a reader crash


class FileRejected(Exception):
    """The file cannot be imported at all; the message says why and where."""


@dataclass
class FileInfo:
    format: str
    encoding: str  # utf-8, or utf-8-sig when the file starts with a byte order mark
    delimiter: str
    columns: list[str]
    sample: list[list[Any]]
    data_offset: int  # byte offset of the first row after the header
    header_lines: int  # lines up to the end of the header (rows are numbered by line from there)
    lines: int  # number of lines in the file, for progress estimates
    size: int
    sha256: str


@dataclass(slots=True)
class Record:
    """One row of the file: where it starts, its cells (CSV) or values (JSON Lines), or why it is broken."""

    line: int
    cells: list[str] | None = None
    offset: int = 0  # byte offset where the record starts, to read it again on its own
    values: dict[str, Any] | None = None
    raw: str = ""
    problem: str = ""
    blank: bool = False


def inspect_file(path: str) -> FileInfo:
    """Check the file is usable and learn its format, delimiter, header and first rows."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head.strip():
        raise FileRejected("the file is empty; it needs a header row naming its columns")
    if head.startswith(UTF16_BOMS):
        raise FileRejected("the file is UTF-16 (its byte order mark says so); save it as UTF-8 and upload it again")
    size, lines, digest = _check_utf8(path)
    encoding = "utf-8-sig" if head.startswith(BOM) else "utf-8"
    start = len(BOM) if encoding == "utf-8-sig" else 0
    text = head[start:].decode("utf-8", errors="ignore")
    if text.lstrip().startswith("{"):
        info = _inspect_jsonl(path, start, encoding, size, lines)
    else:
        info = _inspect_csv(text, start, encoding, size, lines, complete=len(head) == size)
    info.sha256 = digest
    return info


def _check_utf8(path: str) -> tuple[int, int, str]:
    """(size, lines, SHA-256) of a file that is UTF-8 throughout; otherwise FileRejected naming the line."""
    size = lines = 0
    pending = last = b""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            digest.update(block)
            data = pending + block
            try:
                _, consumed = codecs.utf_8_decode(data, "strict", not block)
            except UnicodeDecodeError as exc:
                line = lines + data.count(b"\n", 0, exc.start) + 1
                byte = data[exc.start]
                raise FileRejected(
                    f"the file is not UTF-8: line {line} has a byte (0x{byte:02X}) that is not UTF-8; "
                    "save the file as UTF-8 (with or without BOM) and upload it again") from None
            lines += data.count(b"\n", 0, consumed)
            size += len(block)
            last = block[-1:] or last
            pending = data[consumed:]
            if not block:
                break
    return size, lines + (last not in (b"\n", b"")), digest.hexdigest()


def _inspect_csv(text: str, offset: int, encoding: str, size: int, lines: int, *, complete: bool) -> FileInfo:
    if "\x00" in text:
        raise FileRejected("the file holds NUL bytes: it is not a text file (CSV or JSON Lines)")
    if not complete:
        text = text[: text.rfind("\n") + 1]  # never parse a record cut by the sample's end
    delimiter = detect_delimiter(text)
    rows = CsvRows(None, delimiter)
    records = rows.read_text(text)
    header = next((r for r in records if not r.blank), None)
    if header is None:
        raise FileRejected("the file has no header row naming its columns")
    if header.problem:
        raise FileRejected(f"line {header.line}: the header row cannot be read: {header.problem}")
    header_lines = rows.line
    header_bytes = len("".join(rows.consumed_lines[:header_lines]).encode("utf-8"))
    columns = [c.strip() for c in header.cells]  # repeated or empty names are reported by the mapping, not refused
    sample = [r.cells for r in islice((r for r in records if not r.blank and not r.problem), SAMPLE_ROWS)]
    return FileInfo(CSV, encoding, delimiter, columns, sample, offset + header_bytes, header_lines, lines, size, "")


def split_lines(text: str) -> Iterator[str]:
    """Lines ending at "\\n" only, as reading the file's bytes splits them (unlike str.splitlines)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def detect_delimiter(text: str) -> str:
    """The candidate that splits the first records into the most columns, consistently."""
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        widths = _record_widths(text, delimiter)
        if not widths or widths[0] < 2:
            continue
        score = (sum(w == widths[0] for w in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _record_widths(text: str, delimiter: str) -> list[int]:
    """The cell counts of the first records; a record the csv module cannot read ends the sample
    (reading the rows reports it, with its line)."""
    widths = []
    try:
        for row in islice(csv.reader(split_lines(text), delimiter=delimiter), SNIFF_RECORDS):
            if row:
                widths.append(len(row))
    except csv.Error:
        pass
    return widths


def _inspect_jsonl(path: str, offset: int, encoding: str, size: int, lines: int) -> FileInfo:
    columns: dict[str, None] = {}
    sample = []
    for record in islice(JsonLinesRows(path).read(offset, 0), JSONL_HEADER_LINES):
        if record.values is None:
            continue
        # The keys become the file's columns and the first rows its preview, both stored as JSON:
        # a key the database cannot keep refuses the file; such a value only keeps its row out of
        # the preview (reading the rows rejects it).
        key_problems = check_json(dict.fromkeys(record.values))
        if key_problems:
            raise FileRejected(f"line {record.line}: {key_problems[0].message}")
        columns.update(dict.fromkeys(record.values))
        if len(sample) < SAMPLE_ROWS and not check_json(record.values):
            sample.append(record.values)
    if not columns:
        raise FileRejected("the file holds no JSON object: JSON Lines need one object per line")
    names = list(columns)
    return FileInfo(JSONL, encoding, "", names, [[row.get(c) for c in names] for row in sample], offset, 0, lines, size, "")


# --- reading rows ----------------------------------------------------------------------------

class CsvRows:
    """CSV records read from a byte offset; `offset` and `line` follow the last record read."""

    def __init__(self, path: str | None, delimiter: str):
        self.path = path
        self.delimiter = delimiter
        self.offset = 0
        self.line = 0
        self.consumed_lines: list[str] = []

    def read(self, offset: int, line: int) -> Iterator[Record]:
        self.offset, self.line = offset, line
        with open(self.path, "rb") as f:
            f.seek(offset)
            yield from self._records(self._file_lines(f))

    def _file_lines(self, f) -> Iterator[str]:
        for raw in f:
            self.offset += len(raw)
            self.line += 1
            yield raw.decode("utf-8")

    def read_text(self, text: str) -> Iterator[Record]:
        """Records of an in-memory sample (inspection), keeping the lines read in `consumed_lines`."""
        def lines():
            for piece in split_lines(text):
                self.line += 1
                self.consumed_lines.append(piece)
                yield piece

        return self._records(lines())

    def _records(self, lines: Iterator[str]) -> Iterator[Record]:
        reader = csv.reader(lines, delimiter=self.delimiter)
        while True:
            start, offset = self.line + 1, self.offset  # the reader asks for a record's lines as it reads it
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(start, problem=f"the row cannot be read as CSV: {exc}")
                continue
            if not cells or not any(cells):
                yield Record(start, blank=True)
            else:
                yield Record(start, cells=cells, offset=offset)


class JsonLinesRows:
    """JSON Lines records read from a byte offset: one object per line, flattened to field paths."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0
        self.line = 0

    def read(self, offset: int, line: int) -> Iterator[Record]:
        self.offset, self.line = offset, line
        with open(self.path, "rb") as f:
            f.seek(offset)
            for raw in f:
                offset = self.offset
                self.offset += len(raw)
                self.line += 1
                text = raw.decode("utf-8").strip()
                if not text:
                    yield Record(self.line, blank=True)
                    continue
                record = self._record(self.line, text)
                record.offset = offset
                yield record

    @staticmethod
    def _record(line: int, text: str) -> Record:
        try:
            data = json.loads(text)
        except ValueError as exc:
            return Record(line, raw=text, problem=f"the line is not valid JSON: {exc}")
        except RecursionError:
            return Record(line, raw=text, problem="the line nests too deeply")
        if not isinstance(data, dict):
            return Record(line, raw=text, problem="the line is not a JSON object")
        values, tag_ops, errors = flatten_profile_json(data)
        if "id" in data:
            values["id"] = data["id"]
        if errors:
            return Record(line, raw=text, problem="; ".join(f"{e.field}: {e.message}" for e in errors))
        for key in ("tags", "addTags"):
            if key in tag_ops:
                values[key] = tag_ops[key]
        return Record(line, values=values, raw=text)


def open_rows(info_format: str, path: str, delimiter: str):
    return JsonLinesRows(path) if info_format == JSONL else CsvRows(path, delimiter)


@dataclass
class Chunk:
    records: list[Record] = field(default_factory=list)
    offset: int = 0
    line: int = 0
    at_end: bool = False


def read_chunk(rows: CsvRows | JsonLinesRows, offset: int, line: int, size: int, limit: int) -> Chunk:
    """Up to `limit` records from `offset`, and where the next chunk starts."""
    chunk = Chunk()
    reader = rows.read(offset, line)
    try:
        for record in reader:
            chunk.records.append(record)
            if len(chunk.records) >= limit:
                break
        else:
            chunk.at_end = True
    finally:
        reader.close()
    chunk.offset, chunk.line = rows.offset, rows.line
    chunk.at_end = chunk.at_end or chunk.offset >= size
    return chunk
