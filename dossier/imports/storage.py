"""Where uploaded import files are kept, and for how long.

An upload is spooled by Django to `FILE_UPLOAD_TEMP_DIR` (uploads/incoming, on the data disk, so
keeping it is a rename, not a copy) and kept in uploads/imports as `<uuid><suffix>`. The error
report of each run is written beside it as `<job id>-errors.csv`. A file given to `dossier import`
by its path stays where it is and is never deleted here.

The error report is a copy of the rejected rows, written while the run reads them: it never reads
the upload again and lives as long as its run. So an upload is needed only to start runs and while
they run. It is kept
- while a run over it is queued or running;
- until a real (not dry) run over it ends, whatever the end: succeeded, failed or cancelled, the
  import is over, and importing the data again starts with a new upload;
- else for DOSSIER_UPLOAD_RETENTION_HOURS after it was uploaded or its last dry run ended: the
  mapping page and a dry run's "Start import" start runs over it.

An import's end deletes its upload right after the job's final state commits (`release_after_import`);
the worker's duty `sweep_uploads` deletes the uploads whose retention ran out and whatever a crash
left behind. Deleting is two steps: the row is marked removed under its lock, so no run can start
over it meanwhile (`hold_for_run` takes the same lock), then the file is unlinked after the commit.
"""

import os
import time
import uuid
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.files.move import file_move_safe
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dossier.core.uploads import NoSpaceLeft, is_disk_full
from dossier.imports.models import Import, ImportFile
from dossier.jobs.models import Job

ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)
# A file nothing has written for this long and no row claims was left by a crash: no request
# spools, and no chunk writes, for that long without touching its file.
ABANDONED_AFTER = timedelta(hours=1)
PATHS_PER_QUERY = 500


class UploadRemoved(Exception):
    """A run cannot start: the upload it would read has been deleted."""

    def __init__(self, import_file: ImportFile):
        super().__init__(f"{import_file.name} is no longer kept on the server (an upload is deleted once imported,"
                         f" or {settings.UPLOAD_RETENTION_HOURS} hours after its last use); upload it again.")


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(upload, name: str) -> Path:
    """Keep a received upload under uploads/imports: the spooled file is moved, a small one held
    in memory is written out. NoSpaceLeft, with no partial file left, when the disk is full."""
    suffix = Path(name).suffix.lower()[:10] if Path(name).suffix.isascii() else ""
    destination = None
    try:
        destination = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
        if hasattr(upload, "temporary_file_path"):
            upload.file.flush()
            file_move_safe(upload.temporary_file_path(), str(destination), allow_overwrite=False)
        else:
            with open(destination, "wb") as out:
                for block in upload.chunks():
                    out.write(block)
    except OSError as exc:
        if destination is not None:
            destination.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise NoSpaceLeft(name) from exc
        raise
    return destination


def hold_for_run(import_file: ImportFile) -> None:
    """Lock the upload's row for a run about to be created over it, in the caller's transaction;
    UploadRemoved when its file is gone."""
    removed_at = ImportFile.objects.select_for_update().filter(id=import_file.id).values_list("removed_at", flat=True).get()
    if removed_at is not None:
        raise UploadRemoved(import_file)


def release_after_import(sender, instance: Job, **kwargs) -> None:
    """On a job's save: once a real import has ended and that has committed, delete its upload.

    The engine ends jobs in several places (the last chunk, a cancel, a failure, a cancel of a
    queued job) and knows nothing of uploads; each of them saves the job, so its final save is
    where the imports app learns of the end. A dry run's end deletes nothing: runs may follow it.
    """
    if instance.kind != Job.Kind.IMPORT or instance.status not in Job.FINISHED or instance.params.get("dryRun"):
        return
    file_id = instance.params.get("importFile")
    if file_id:
        # robust: a failure to clean up is logged, it never turns the job's outcome into an error
        transaction.on_commit(lambda: release_upload(file_id), robust=True)


def release_upload(file_id, now: datetime | None = None) -> bool:
    """Delete the upload if no run needs it any more (the rules above); True when it was deleted."""
    now = now or timezone.now()
    with transaction.atomic():
        import_file = ImportFile.objects.select_for_update().filter(id=file_id, removed_at__isnull=True).first()
        if import_file is None or not _kept_here(import_file.path) or _still_needed(import_file, now):
            return False
        import_file.removed_at = now
        import_file.save(update_fields=["removed_at"])
        path = Path(import_file.path)
        transaction.on_commit(lambda: path.unlink(missing_ok=True), robust=True)
    return True


def _kept_here(path: str) -> bool:
    """Whether the file is one Dossier keeps (an upload), not a file `dossier import` was given."""
    return Path(path).parent == upload_dir()


def _still_needed(import_file: ImportFile, now: datetime) -> bool:
    runs = list(import_file.runs.values_list("dry_run", "job__status", "job__finished_at"))
    if any(status in ACTIVE for _, status, _ in runs):
        return True
    if any(not dry_run for dry_run, _, _ in runs):
        return False
    last_used = max([import_file.created_at, *(finished for _, _, finished in runs if finished)])
    return now - last_used < _retention()


def _retention() -> timedelta:
    return timedelta(hours=settings.UPLOAD_RETENTION_HOURS)


def sweep_uploads() -> int:
    """The worker's duty: delete the uploads no run needs any more, and the files a crash left
    behind (a spool or an upload no row claims, an error report whose run is gone). Returns how
    many files went."""
    now = timezone.now()
    released = sum(release_upload(file_id, now) for file_id in _releasable(now))
    return released + _remove_abandoned_files()


def _releasable(now: datetime) -> list:
    """Ids of uploads the rules let go; `release_upload` checks each again under its lock."""
    runs = Import.objects.filter(file=OuterRef("pk"))
    cutoff = now - _retention()
    unused = Q(created_at__lt=cutoff) & ~Exists(runs.filter(job__finished_at__gte=cutoff))
    return list(ImportFile.objects.filter(removed_at__isnull=True, path__startswith=f"{upload_dir()}{os.sep}")
                .filter(~Exists(runs.filter(job__status__in=ACTIVE)))
                .filter(Exists(runs.filter(dry_run=False)) | unused)
                .values_list("id", flat=True))


def _remove_abandoned_files() -> int:
    untouched_since = time.time() - ABANDONED_AFTER.total_seconds()
    spools = _untouched_files(Path(settings.FILE_UPLOAD_TEMP_DIR), untouched_since)
    stale = {str(path): path for path in _untouched_files(upload_dir(), untouched_since)}
    claimed: set[str] = set()
    paths = iter(stale)
    while batch := list(islice(paths, PATHS_PER_QUERY)):
        claimed.update(ImportFile.objects.filter(path__in=batch, removed_at__isnull=True).values_list("path", flat=True))
        claimed.update(Import.objects.filter(error_report__in=batch).values_list("error_report", flat=True))
    orphans = spools + [path for name, path in stale.items() if name not in claimed]
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


def _untouched_files(directory: Path, since: float) -> list[Path]:
    """The files of `directory` last written before `since` (a time.time())."""
    found = []
    for entry in os.scandir(directory) if directory.is_dir() else ():
        try:
            if entry.is_file() and entry.stat().st_mtime < since:
                found.append(Path(entry.path))
        except FileNotFoundError:  # deleted while we looked
            continue
    return found
