"""`dossier import FILE`: import profiles from a CSV or JSON Lines file, with a progress bar.

The import runs in this process, through the same job as from the UI or the API (so it shows in
the jobs list and can be undone). Exit status: 0 when the import ran, rejected rows included
(they are reported, with the error report's path); 1 when the job failed; 2 when the file or the
arguments cannot be used.
"""

import getpass
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection, transaction
from tqdm import tqdm

from dossier.imports.mapping import POLICIES, REJECT_ROW, SKIP_VALUE, TAG_SEPARATORS, OptionsRejected
from dossier.imports.parsing import FileRejected
from dossier.imports.services import STATUSES, create_import_job, plan_for, store_file
from dossier.jobs import engine
from dossier.jobs.models import Job
from dossier.profiles.labels import attribute_definitions, describe_change, path_labels

POLL_SECONDS = 0.5


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        column, sep, target = value.partition("=")
        if not sep or not column:
            raise CommandError(f"{what} takes COLUMN=VALUE, got {value!r}", returncode=2)
        pairs[column] = target
    return pairs


def _change_text(change: dict) -> str:
    return f"{change['label']}: {change['old']} -> {change['new']}"


class Command(BaseCommand):
    help = "Import profiles from a CSV or JSON Lines file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a CSV (UTF-8; , ; tab or | delimited; with a header) or JSON Lines file")
        parser.add_argument("--identifier", choices=("email", "customId", "id", "phone"),
                            help="the field that names each row's profile (default: email, else customId, id, phone)")
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=TARGET[:TYPE]",
                            help="map a column, by its header or its number (#5): a field (firstName), "
                                 "attributes.NAME[:TYPE], agreements.CHANNEL, tags, company (by name), companyId, id "
                                 "or ignore; the other columns are matched by their headers")
        parser.add_argument("--date-format", action="append", default=[], metavar="COLUMN=FORMAT",
                            help="how a date column is written, as strptime reads it: Birthday=%%m/%%d/%%Y (without "
                                 "one, ISO dates, or the order the column's values prove)")
        parser.add_argument("--invalid-values", choices=(SKIP_VALUE, REJECT_ROW), default=SKIP_VALUE,
                            help="an invalid cell: leave that value out and import the rest of the row (skipValue, "
                                 "the default), or reject the row (rejectRow); an invalid identifier always rejects it")
        parser.add_argument("--tag-separator", choices=TAG_SEPARATORS,
                            help="what separates tags in a cell (default: ; unless the file uses , or |)")
        parser.add_argument("--phone-region", metavar="COUNTRY",
                            help="the country of phones written without a country code, for rows with no country")
        parser.add_argument("--keep-unmapped", action="store_true",
                            help="keep the columns that match no field as text custom attributes")
        parser.add_argument("--policy", action="append", default=[], metavar="COLUMN=POLICY",
                            help=f"when a column may overwrite a value: {', '.join(POLICIES)} (default always)")
        parser.add_argument("--dry-run", action="store_true", help="count what would change; write nothing")
        parser.add_argument("--empty-cells", choices=("leave", "clear"), default="leave",
                            help="what an empty cell does (default: leave the value as it is)")
        parser.add_argument("--no-create", action="store_true", help="only update: rows that match no profile are skipped")
        parser.add_argument("--add-tag", action="append", default=[], metavar="TAG", help="a tag added to every imported profile")
        parser.add_argument("--actor", default=f"user:{getpass.getuser()}", help="who the change records name (default user:<login>)")

    def handle(self, *args, **options):
        path = Path(options["file"]).resolve()
        if not path.is_file():
            raise CommandError(f"{options['file']}: no such file", returncode=2)
        try:
            import_file = store_file(path.name, path=str(path), created_by=options["actor"])
        except FileRejected as exc:
            raise CommandError(f"{path.name}: {exc}", returncode=2) from None
        except OSError as exc:
            raise CommandError(f"{path.name}: {exc.strerror}", returncode=2) from None
        try:
            plan, dry_run = plan_for(import_file, self._options(options))
        except OptionsRejected as exc:
            import_file.delete()
            problems = "\n".join(f"  {e.field}: {e.message}" for e in exc.errors)
            raise CommandError(f"the options cannot be used:\n{problems}", returncode=2) from None
        self.stdout.write(f"{path.name}: {len(plan.imported())} of {len(plan.columns)} columns imported, "
                          f"profiles identified by {plan.identifier}")
        for line in plan.describe():
            self.stdout.write(line)
        with transaction.atomic():
            job = create_import_job(import_file, plan, dry_run=dry_run, actor=options["actor"])
        job = self._run_with_progress(job)
        self._summary(job)
        if job.status == Job.Status.FAILED:
            raise CommandError(f"the import failed: {job.summary.get('error')}", returncode=1)

    @staticmethod
    def _options(options: dict) -> dict:
        mapping: dict = {}
        for column, target in _pairs(options["map"], "--map").items():
            name, _, type_ = target.partition(":")
            mapping[column] = {"target": name, "type": type_} if type_ else name
        for column, policy in _pairs(options["policy"], "--policy").items():
            spec = mapping.get(column)
            spec = {"target": spec} if isinstance(spec, str) else spec or {}
            if "target" not in spec:
                raise CommandError(f"--policy {column}: map the column with --map first", returncode=2)
            mapping[column] = {**spec, "policy": policy}
        date_formats = _pairs(options["date_format"], "--date-format")
        data = {"mapping": mapping, "emptyCells": options["empty_cells"], "createNew": not options["no_create"],
                "addTags": options["add_tag"], "dryRun": options["dry_run"], "invalidValues": options["invalid_values"],
                "keepUnmapped": options["keep_unmapped"]}
        if date_formats:
            data["dateFormats"] = date_formats
        if options["tag_separator"]:
            data["tagSeparator"] = options["tag_separator"]
        if options["phone_region"]:
            data["phoneRegion"] = options["phone_region"]
        if options["identifier"]:
            data["identifier"] = options["identifier"]
        return data

    def _run_with_progress(self, job: Job) -> Job:
        """Run the job in a thread of this process while this one draws its progress from the database."""
        failure: list[BaseException] = []

        def work():
            try:
                engine.run(job.id)
            except BaseException as exc:  # shown by the main thread, which owns the terminal
                failure.append(exc)
            finally:
                connection.close()

        worker = threading.Thread(target=work, name="dossier-import")
        worker.start()
        bar = tqdm(total=max(job.total, 1), unit=" rows", unit_scale=True, dynamic_ncols=True, file=self.stderr._out,
                   desc="dry run" if job.params.get("dryRun") else "importing", disable=None)
        try:
            while worker.is_alive():
                worker.join(POLL_SECONDS)
                self._advance(bar, job.id)
        except KeyboardInterrupt:
            engine.request_cancel(Job.objects.get(id=job.id))
            self.stderr.write("\nstopping after the current chunk...")
            worker.join()
        finally:
            job = self._advance(bar, job.id)
            bar.close()
            close_old_connections()
        if failure:
            raise failure[0]
        return job

    @staticmethod
    def _advance(bar: tqdm, job_id) -> Job:
        job = Job.objects.get(id=job_id)
        if job.is_finished:
            bar.total = max(job.processed, 1)
        bar.update(job.processed - bar.n)
        return job

    def _summary(self, job: Job) -> None:
        run = job.import_run
        counts = job.summary
        seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else 0
        rate = f" ({job.processed / seconds:,.0f} rows/s)" if seconds else ""
        verb = "Dry run of" if run.dry_run else "Imported"
        self.stdout.write(f"{verb} {run.file.name}: {job.processed:,} rows in {seconds:.1f} s{rate}, {job.status}")
        self.stdout.write("  " + ", ".join(f"{status} {counts.get(status, 0):,}" for status in STATUSES))
        attributes = counts.get("attributes") or {}
        if attributes:
            self.stdout.write("  values " + ("that would change" if run.dry_run else "changed") + ": "
                              + ", ".join(f"{name} {n:,}" for name, n in sorted(attributes.items())))
        scan = counts.get("scan") or {}
        for column, order in scan.get("dateOrders", {}).items():
            self.stdout.write(f"  dates of {column} read as {order} (what its values show)")
        for column, separator in scan.get("tagSeparators", {}).items():
            self.stdout.write(f"  tags of {column} separated by {separator!r}")
        if counts.get("folded"):
            self.stdout.write(f"  {counts['folded']:,} rows folded into a later row naming the same profile")
        if counts.get("valuesSkipped"):
            self.stdout.write(f"  {counts['valuesSkipped']:,} invalid values left out of rows that were imported")
        if run.dry_run and counts.get("sample"):
            self.stdout.write("  sample changes:")
            labels = path_labels(attribute_definitions())
            for sample in counts["sample"]:
                changes = "; ".join(_change_text(describe_change(change, labels)) for change in sample["changes"])
                self.stdout.write(f"    row {sample['row']} ({sample['status']}): {changes}")
        if run.error_report:
            self.stdout.write(f"  rows with problems, as uploaded, with their errors: {run.error_report}")
            for error in job.errors[:5]:
                where = error["column"] or error["field"]
                verb = "rejected" if error.get("action", "rowRejected") == "rowRejected" else "value left out"
                self.stdout.write(f"    row {error['row']} ({verb}): {where + ': ' if where else ''}{error['message']}")
        self.stdout.write(f"  job {job.id}" + ("" if run.dry_run else f" (undo: dossier's jobs page or POST /api/v1/jobs/{job.id}/undo)"))
