"""Import use cases: keep an upload, start a run over it, run it chunk by chunk, report rejects.

Every door (the UI, `dossier import`, `POST /api/v1/imports`) stores the file with
`store_file`, validates options with `mapping.parse_options` and calls `do_start_import`; the
job engine then calls `ImportKind.run_chunk` until the file is read. Each chunk reads the next
rows after the cursor, turns them into writes and hands them to the change service in one go,
inside the engine's transaction: the profiles, their events, the counters and the cursor commit
together, so a killed worker resumes at the first row that did not commit.

The error report is a file beside the upload. It is not transactional, so the cursor also
records how many of its bytes belong to committed chunks: a chunk that runs again first cuts
the report back to that length, and no rejected row is reported twice.
"""

import csv
import datetime as dt
import gc
import io
import json
from collections import Counter
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from dossier.activity import event_types
from dossier.jobs import engine
from dossier.jobs.models import Job
from dossier.imports.folding import FOLDED, fold, split_unrelated
from dossier.imports.mapping import ImportPlan, parse_options
from dossier.imports.rows import RowParser
from dossier.imports.scan import FileScan, scan_file
from dossier.imports.models import Import, ImportFile
from dossier.imports.parsing import CSV, JSONL, Record, inspect_file, open_rows, read_chunk
from dossier.imports.storage import hold_for_run, keep_upload, upload_dir
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import UNIQUE_COLUMNS, ChangeContext, WriteItem, WriteResult, apply_writes
from dossier.profiles.errors import FieldError

CHUNK_ROWS = 5000
INLINE_ROWS = 1000  # a run this small finishes within the request that starts it
MAX_ERRORS = 1000  # problems kept on the job; the error report has them all
SAMPLE_CHANGES = 20  # changes shown as before -> after, by a dry run above all
STATUSES = ("created", "updated", "unchanged", "skipped", "rejected", FOLDED)
ROW_REJECTED, VALUE_SKIPPED = "rowRejected", "valueSkipped"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def store_file(name: str, *, upload=None, path: str | None = None, created_by: str) -> ImportFile:
    """Keep the file (an upload is moved under the data directory, a local path used where it is),
    inspect it, and record it; FileRejected when it cannot be imported, NoSpaceLeft when the disk
    is full. A kept upload that ends up unrecorded is deleted."""
    if upload is not None:
        path = str(keep_upload(upload, name))
    try:
        info = inspect_file(path)
        return ImportFile.objects.create(
            name=name[:255], path=path, size=info.size, sha256=info.sha256, format=info.format, encoding=info.encoding,
            delimiter=info.delimiter, columns=info.columns, sample=_json_safe(info.sample),
            data_offset=info.data_offset, header_lines=info.header_lines, lines=info.lines, created_by=created_by)
    except BaseException:
        if upload is not None:
            Path(path).unlink(missing_ok=True)
        raise


def plan_for(import_file: ImportFile, options: Any) -> tuple[ImportPlan, bool]:
    """The options checked against the file: (plan, dryRun), or OptionsRejected listing every problem."""
    return parse_options(options, import_file.columns, typed_values=import_file.format == JSONL,
                         sample=import_file.sample)


def estimated_rows(import_file: ImportFile) -> int:
    return max(0, import_file.lines - import_file.header_lines)


def create_import_job(import_file: ImportFile, plan: ImportPlan, *, dry_run: bool, actor: str, user=None) -> Job:
    """The run's job and its import record, neither run nor queued yet (`dossier import` runs it itself);
    UploadRemoved when the file is no longer kept."""
    hold_for_run(import_file)
    job = Job.objects.create(kind=Job.Kind.IMPORT, created_by=actor, created_by_user=user,
                             total=estimated_rows(import_file),
                             params={"dryRun": dry_run, "file": import_file.name, "importFile": str(import_file.id)})
    Import.objects.create(job=job, file=import_file, options=plan.as_json(), dry_run=dry_run)
    return job


def do_start_import(import_file: ImportFile, plan: ImportPlan, *, dry_run: bool, actor: str, user=None) -> Job:
    """Start a run: within the request for a small file (the caller gets the finished job), else
    queued for `dossier worker` in the transaction that creates the job."""
    with transaction.atomic():
        job = create_import_job(import_file, plan, dry_run=dry_run, actor=actor, user=user)
        if job.total > INLINE_ROWS:
            engine.enqueue(job)
            return job
    return engine.run(job.id)


class ImportKind:
    """The `import` job kind: each chunk is the next CHUNK_ROWS rows of the file.

    Before the first chunk a process runs, `prepare` reads the whole file once (`scan`): the
    orders of its date columns, its tag separators and the rows that name the same profile. A
    date column that cannot be read without a format refuses the import before anything is
    written.

    The parsed cells of the job this process runs are remembered from chunk to chunk, as long as
    nothing they depend on changed: the attribute registry, and the day (a birth date "in the
    future" today is valid tomorrow).

    A dry run writes nothing, so a chunk cannot see the profiles earlier chunks would have created
    or renamed: the identifiers they would have written are remembered instead, and a later row
    naming one counts as an update (or a conflict), as it would in the real run. They live in this
    process only; a dry run resumed by another process starts again from the first row, which
    costs nothing but time since it wrote nothing.
    """

    def __init__(self):
        self._caches: tuple[tuple, dict[str, dict]] = ((), {})
        self._dry_run_identities: tuple[Any, dict[tuple[str, Any], Any]] = (None, {})
        self._scan: tuple[Any, FileScan | None] = (None, None)

    def _cell_caches(self, job: Job, registry: AttributeRegistry) -> dict[str, dict]:
        key = (job.id, dt.date.today(), sorted(registry.types.items()))
        if self._caches[0] != key:
            self._caches = (key, {})
        return self._caches[1]

    def prepare(self, job: Job) -> None:
        """Scan the file (outside any transaction: it takes seconds on a large file, and must not
        hold SQLite's write lock meanwhile); JobRefused when a date column needs its format."""
        if self._scan[0] == job.id:
            return
        run = Import.objects.select_related("file").get(job_id=job.id)
        plan = ImportPlan.from_json(run.options)
        scan = scan_file(run.file, plan)
        if scan.problems:
            raise engine.JobRefused("the import cannot start: " + "; ".join(scan.problems))
        self._scan = (job.id, scan)

    def run_chunk(self, job: Job) -> bool:
        # A chunk builds a few hundred thousand small objects that all live until it ends; the
        # cyclic garbage collector would scan them again and again for nothing (a quarter of the
        # chunk's time). Reference counting frees them; any cycle is collected after the chunk.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run_chunk(job)
        finally:
            if collecting:
                gc.enable()

    def _run_chunk(self, job: Job) -> bool:
        run = Import.objects.select_related("file").get(job_id=job.id)
        import_file = run.file
        plan = ImportPlan.from_json(run.options)
        self.prepare(job)
        scan = self._scan[1]
        if run.dry_run and self._dry_run_identities[0] != job.id:
            _restart(job)
            self._dry_run_identities = (job.id, {})
        state = job.state or {"offset": import_file.data_offset, "line": import_file.header_lines, "reportBytes": 0}
        if not job.state:
            job.summary["scan"] = scan.summary(plan)
        rows = open_rows(import_file.format, import_file.path, import_file.delimiter)
        chunk = read_chunk(rows, state["offset"], state["line"], import_file.size, CHUNK_ROWS)
        registry = AttributeRegistry.load(declared=plan.declared_types())
        parser = RowParser(plan, registry, from_text=import_file.format == CSV, by_key=import_file.format == JSONL,
                           caches=self._cell_caches(job, registry), date_orders=scan.date_orders,
                           tag_separators=scan.tag_separators)
        records: dict[int, Record] = {}
        for record in chunk.records:
            if record.blank or record.line in scan.folded_lines:  # folded rows are read with their profile's last row
                continue
            for offset, line in scan.folds.get(record.line, ()):
                records[line] = read_chunk(open_rows(import_file.format, import_file.path, import_file.delimiter),
                                           offset, line - 1, import_file.size, 1).records[0]
            records[record.line] = record
        items, settled = _folded_items(parser.items(records.values()), scan)
        ctx = ChangeContext(source=event_types.SOURCE_IMPORT, actor=job.created_by, job_id=job.id)
        results = apply_writes(items, ctx, registry=registry, dry_run=run.dry_run) if items else []
        if run.dry_run:
            _count_as_earlier_chunks_left_them(items, results, self._dry_run_identities[1])
        results = sorted(results + settled, key=lambda r: r.index)
        problems = _tally(job, results, parser)
        report_bytes = state["reportBytes"]
        if problems:
            report_bytes = _append_report(run, [(records[line], found) for line, found in problems], report_bytes, parser)
        job.state = {"offset": chunk.offset, "line": chunk.line, "reportBytes": report_bytes}
        if chunk.at_end:
            job.total = job.processed
        return chunk.at_end


def _folded_items(items: list[WriteItem], scan: FileScan) -> tuple[list[WriteItem], list[WriteResult]]:
    """The chunk's items with each group of rows naming one profile folded into its last row's
    place; and the results of the rows folded away or rejected on the way."""
    if not scan.folds:
        return items, []
    by_line = {item.index: item for item in items}
    folded: list[WriteItem] = []
    settled: list[WriteResult] = []
    taken: set[int] = set()
    for item in items:
        earlier = scan.folds.get(item.index)
        if earlier is None:
            continue
        same, unrelated = split_unrelated([by_line[line] for _, line in earlier] + [item])
        write, results = fold(same)
        if write is not None:
            folded.append(write)
        settled += results
        taken.update(i.index for i in same)
        taken.difference_update(i.index for i in unrelated)
    kept = [item for item in items if item.index not in taken] + folded
    return sorted(kept, key=lambda i: i.index), settled


def _restart(job: Job) -> None:
    job.state = None
    job.summary = {}
    job.processed = job.succeeded = job.failed = 0
    job.errors = []


def _count_as_earlier_chunks_left_them(items: list[WriteItem], results: list[WriteResult],
                                       owners: dict[tuple[str, Any], Any]) -> None:
    """Correct a dry-run chunk's results by the identifiers earlier chunks would have written
    (`owners`: identifier -> the profile that would hold it), and add this chunk's.

    A creation, or a skip for want of a profile, under an identifier an earlier chunk would have
    written becomes the update it will be; a row giving a profile an identifier another one would
    hold is rejected, as the real run will.
    """
    for item, result in zip(items, results):
        owner = result.id
        if item.identity is not None and (item.identity.kind, item.identity.value) in owners:
            owner = owners[(item.identity.kind, item.identity.value)]
            if result.status == "created" or (result.status == "skipped" and result.errors[0].code == "not_found"):
                result.status, result.id, result.errors, result.http_status = "updated", owner, [], 200
        if result.status not in ("created", "updated"):
            continue
        written = [(kind, item.write.columns[column]) for kind, column in UNIQUE_COLUMNS.items()
                   if item.write.columns.get(column) is not None]
        taken = [key for key in written if owners.get(key, owner) != owner]
        if taken:
            kind, value = taken[0]
            result.status, result.changes, result.http_status = "rejected", [], 409
            result.errors = [FieldError(kind, "taken", "another profile already has this identifier", value)]
            continue
        owners.update(dict.fromkeys(written, owner))


def _tally(job: Job, results: list[WriteResult], parser: RowParser) -> list[tuple[int, list[tuple[str, FieldError]]]]:
    """Add a chunk's results to the job's counters, samples and listed problems; return each
    row's problems, in file order: (line, [(action, error)]) with action `rowRejected` or
    `valueSkipped`."""
    summary = job.summary
    statuses = Counter(r.status for r in results)
    for status in STATUSES:
        summary[status] = summary.get(status, 0) + statuses.get(status, 0)
    attributes = Counter(summary.get("attributes", {}))
    attributes.update(map(itemgetter("attribute"), chain.from_iterable(r.changes for r in results)))
    summary["attributes"] = dict(attributes)
    sample = summary.setdefault("sample", [])
    for result in results:
        if len(sample) >= SAMPLE_CHANGES:
            break
        if result.changes and result.status in ("created", "updated"):
            sample.append({"row": result.index, "profileId": str(result.id), "status": result.status,
                           "changes": json.loads(json.dumps(result.changes, cls=DjangoJSONEncoder))})
    job.processed += len(results)
    job.succeeded += statuses["created"] + statuses["updated"] + statuses["unchanged"] + statuses[FOLDED]
    job.failed += statuses["rejected"]
    problems = []
    for result in results:
        found = [(ROW_REJECTED, e) for e in result.errors] if result.status == "rejected" else []
        found += [(ROW_REJECTED if result.status == "rejected" else VALUE_SKIPPED, e) for e in result.warnings]
        if not found:
            continue
        summary["valuesSkipped"] = summary.get("valuesSkipped", 0) + sum(action == VALUE_SKIPPED for action, _ in found)
        problems.append((result.index, found))
        for action, error in found:
            if len(job.errors) >= MAX_ERRORS:
                break
            entry = {"row": result.index, "column": parser.column_of(error.field), "action": action, **error.as_dict()}
            job.errors.append(json.loads(json.dumps(entry, cls=DjangoJSONEncoder)))
    return problems


def neutralize(cell: Any) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP's advice: prefix a quote)."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


ACTION_WORDS = {ROW_REJECTED: "row rejected", VALUE_SKIPPED: "value left out"}


def problem_text(action: str, error: FieldError) -> str:
    where = f" ({error.field})" if error.field and error.code not in ("unreadable", "ragged_row") else ""
    return f"{ACTION_WORDS[action]}{where}: {error.message}"


def _append_report(run: Import, problems: list[tuple[Record, list[tuple[str, FieldError]]]], committed: int,
                   parser: RowParser) -> int:
    """Write each row with problems, as uploaded, after its row number, the columns at fault and
    the problems (each once), past the report's committed length; return its new length. Fixed
    and uploaded again, the report is an import of its own: the rows' cells come last, in order."""
    if not run.error_report:
        run.error_report = str(upload_dir() / f"{run.job_id}-errors.csv")
        run.save(update_fields=["error_report"])
    path = Path(run.error_report)
    with open(path, "r+b" if path.exists() else "w+b") as raw:
        raw.truncate(committed)
        raw.seek(committed)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        is_csv = run.file.format == CSV
        if committed == 0:
            writer.writerow(map(neutralize, ["row", "column", "error", *(run.file.columns if is_csv else ["line"])]))
        for record, found in problems:
            cells = (record.cells or []) if is_csv else [record.raw]
            columns = dict.fromkeys(parser.column_of(error.field) for _, error in found if error.field)
            errors = "; ".join(problem_text(action, error) for action, error in found)
            writer.writerow(map(neutralize, [record.line, "; ".join(columns), errors, *cells]))
        text.flush()
        size = raw.tell()
        text.detach()
    return size


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))

