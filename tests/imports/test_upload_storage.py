"""How long uploaded import files are kept: until the import over them ends, or for the retention
period when only dry runs used them; what a crash leaves behind is swept by `dossier worker`.

These tests commit (the upload is deleted after the job's end commits) and run real processes.
"""

import csv
import io
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dossier.imports.models import Import, ImportFile
from dossier.jobs.models import Job
from tests.imports import corpus
from tests.imports.conftest import csv_bytes
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)

UPLOADS = Path(settings.MEDIA_ROOT) / "imports"
SPOOL = Path(settings.FILE_UPLOAD_TEMP_DIR)
TWO_HOURS_AGO = time.time() - 2 * 3600
ONE_HOUR = {"DOSSIER_UPLOAD_RETENTION_HOURS": "1"}
WITH_REJECTS = {"invalidValues": "rejectRow", "mapping": {"score": {"target": "attributes.score", "type": "integer"}}}  # of corpus.INVALID_CELLS


def kept_file(import_id: str) -> ImportFile:
    return Import.objects.select_related("file").get(job_id=import_id).file


def uploaded_path(import_file: ImportFile) -> Path:
    path = Path(import_file.path)
    assert path.parent == UPLOADS  # an upload, not a file given by its path
    return path


def run_worker_once(**env: str) -> None:
    """`dossier worker --batch`: its duties run once at start, then it works off the queue and exits."""
    result = run_dossier("worker", "--batch", **env)
    assert result.returncode == 0, result.stdout + result.stderr


def file_written_at(path: Path, when: float, content: bytes = b"x") -> Path:
    path.write_bytes(content)
    os.utime(path, (when, when))
    return path


@pytest.fixture
def editor_client(client, make_user):
    client.force_login(make_user("editor"))
    return client


def test_dossier_creates_the_upload_spool_directory_under_its_data_directory_at_start(tmp_path):
    data_dir = tmp_path / "fresh"

    result = run_dossier("check", DOSSIER_DATA_DIR=str(data_dir))

    assert result.returncode == 0, result.stderr
    assert (data_dir / "uploads" / "incoming").is_dir()
    assert SPOOL == Path(settings.DATA_DIR) / "uploads" / "incoming"


def test_a_large_upload_is_moved_from_the_spool_into_the_uploads_and_leaves_no_spool_file(upload):
    rows = [f"person{n}@example.com,Person {n:07d},Warsaw" for n in range(60_000)]  # past the 2 MB held in memory
    content = csv_bytes("email,first_name,city", *rows)
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    spooled_before = set(SPOOL.iterdir())

    body = upload(content, {"identifier": "email", "dryRun": True}).json()

    assert body["status"] == "queued"
    assert uploaded_path(kept_file(body["id"])).read_bytes() == content
    assert set(SPOOL.iterdir()) == spooled_before


def test_an_import_deletes_its_upload_when_it_succeeds_and_keeps_its_error_report(upload):
    body = upload(corpus.INVALID_CELLS, WITH_REJECTS).json()

    assert body["status"] == "succeeded" and body["counts"]["rejected"] == 2
    import_file = kept_file(body["id"])
    assert import_file.removed_at is not None
    assert not Path(import_file.path).exists()
    report = Import.objects.get(job_id=body["id"]).error_report
    rows = list(csv.reader(io.StringIO(Path(report).read_text())))
    assert [row[0] for row in rows] == ["row", "3", "4"]
    assert rows[0][:3] == ["row", "column", "error"]


def test_a_cancelled_import_deletes_its_upload(upload, api):
    body = upload(corpus.mixed_rows(1500)).json()
    assert body["status"] == "queued"
    path = uploaded_path(kept_file(body["id"]))
    assert path.exists()

    response = api.post(f"/jobs/{body['id']}/cancel")

    assert response.json()["status"] == "cancelled"
    assert not path.exists()
    assert kept_file(body["id"]).removed_at is not None


def test_an_import_that_failed_marks_its_upload_removed_so_no_run_starts_over_it_again(upload):
    body = upload(corpus.mixed_rows(1500)).json()
    path = uploaded_path(kept_file(body["id"]))
    path.unlink()  # the file vanished while the import waited for a worker

    run_worker_once()

    job = Job.objects.get(id=body["id"])
    assert job.status == "failed" and "FileNotFoundError" in job.summary["error"]
    assert kept_file(body["id"]).removed_at is not None


def test_a_dry_run_keeps_the_upload_for_the_import_that_follows_which_deletes_it(editor_client):
    response = editor_client.post("/imports/", {"file": SimpleUploadedFile("people.csv", csv_bytes(
        "email,first_name", "ann@example.com,Ann"))})
    mapping_page = response["Location"]
    response = editor_client.post(mapping_page, {"identifier": "email", "target-0": "email", "target-1": "firstName",
                                                 "create_new": "on", "action": "dry-run"})
    dry_run_id = response["Location"].split("/")[-2]
    path = uploaded_path(kept_file(dry_run_id))
    assert Job.objects.get(id=dry_run_id).status == "succeeded"
    assert path.exists()

    response = editor_client.post(f"/imports/{dry_run_id}/start/")

    import_id = response["Location"].split("/")[-2]
    assert Job.objects.get(id=import_id).status == "succeeded"
    assert not path.exists()
    page = editor_client.get(f"/imports/{dry_run_id}/").content.decode()
    assert "no longer kept" in page and "Start import" not in page
    again = editor_client.post(f"/imports/{dry_run_id}/start/")
    assert again.status_code == 410 and "people.csv is no longer kept on the server" in again.content.decode()
    assert Job.objects.filter(kind="import").count() == 2
    assert editor_client.get(mapping_page).status_code == 410


def test_cli_import_leaves_the_file_it_was_given_where_it_is(tmp_path):
    given = tmp_path / "people.csv"
    given.write_bytes(csv_bytes("email,first_name", "ann@example.com,Ann"))

    result = run_dossier("import", str(given), "--identifier", "email")

    assert result.returncode == 0, result.stderr
    assert given.read_bytes() == csv_bytes("email,first_name", "ann@example.com,Ann")
    assert ImportFile.objects.get().removed_at is None


def test_worker_deletes_uploads_unused_past_the_retention_and_keeps_those_still_needed(upload, editor_client):
    def uploaded(name: str) -> ImportFile:
        editor_client.post("/imports/", {"file": SimpleUploadedFile(name, csv_bytes("email", "a@example.com"))})
        return ImportFile.objects.get(name=name)

    long_ago = timezone.now() - timedelta(hours=2)
    abandoned, fresh = uploaded("abandoned.csv"), uploaded("fresh.csv")
    ImportFile.objects.filter(id=abandoned.id).update(created_at=long_ago)
    old_dry_run = upload(csv_bytes("email", "b@example.com"), {"dryRun": True}, name="old-dry-run.csv").json()["id"]
    recent_dry_run = upload(csv_bytes("email", "c@example.com"), {"dryRun": True}, name="recent-dry-run.csv").json()["id"]
    ImportFile.objects.filter(runs__job_id__in=[old_dry_run, recent_dry_run]).update(created_at=long_ago)
    Job.objects.filter(id=old_dry_run).update(finished_at=long_ago)
    in_progress = upload(corpus.mixed_rows(1500), name="in-progress.csv").json()["id"]
    ImportFile.objects.filter(runs__job_id=in_progress).update(created_at=long_ago)
    # another worker holds the import: this one leaves it alone
    Job.objects.filter(id=in_progress).update(status="running", heartbeat_at=timezone.now() + timedelta(hours=1))

    run_worker_once(**ONE_HOUR)

    def kept(import_file: ImportFile) -> bool:
        import_file.refresh_from_db()
        assert Path(import_file.path).exists() == (import_file.removed_at is None)
        return import_file.removed_at is None

    assert not kept(abandoned)
    assert kept(fresh)
    assert not kept(kept_file(old_dry_run))
    assert kept(kept_file(recent_dry_run))
    assert kept(kept_file(in_progress))


def test_worker_deletes_files_a_crash_left_behind_once_untouched_for_an_hour(upload):
    body = upload(corpus.INVALID_CELLS, WITH_REJECTS).json()
    report = Path(Import.objects.get(job_id=body["id"]).error_report)
    os.utime(report, (TWO_HOURS_AGO, TWO_HOURS_AGO))
    orphan_upload = file_written_at(UPLOADS / "0123456789abcdef0123456789abcdef.csv", TWO_HOURS_AGO)
    orphan_report = file_written_at(UPLOADS / "00000000-0000-0000-0000-000000000000-errors.csv", TWO_HOURS_AGO)
    being_written = file_written_at(UPLOADS / "fedcba9876543210fedcba9876543210.csv", time.time())
    old_spool = file_written_at(SPOOL / "tmpold.upload.csv", TWO_HOURS_AGO)
    live_spool = file_written_at(SPOOL / "tmplive.upload.csv", time.time())

    run_worker_once()

    assert not orphan_upload.exists() and not orphan_report.exists() and not old_spool.exists()
    assert being_written.exists() and live_spool.exists()
    assert report.exists()  # its import is still there
    being_written.unlink()
    live_spool.unlink()
