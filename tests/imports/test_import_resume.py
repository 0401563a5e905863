"""A worker killed mid-import: the restarted import ends exactly as an uninterrupted one would."""

import csv
import time

import pytest

from dossier.activity.models import Event
from dossier.imports.models import Import
from dossier.jobs.models import Job
from dossier.profiles.models import Profile
from tests.imports import corpus
from tests.processes import run_dossier, start_dossier

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 40_000
BAD_EVERY = 1_000


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry run"])
def test_kill_9_of_the_worker_mid_import_then_restart_gives_the_uninterrupted_result(upload, dry_run):
    # The last row names a profile of the first chunk: it is folded into that row's write, also by
    # a worker that resumes the import (its own scan of the file finds the same).
    renamed = b"person.0@example.com,Renamed,Surname0,Warsaw,PL,1950-01-10,0,0,vip\n"
    body = upload(corpus.mixed_rows(ROWS, bad_every=BAD_EVERY) + renamed, {"dryRun": dry_run}).json()
    assert body["status"] == "queued"
    job_id = body["id"]

    worker = start_dossier("worker", "--interval", "0.05")
    try:
        wait_for(lambda: Job.objects.get(id=job_id).state.get("offset"), 120, "the first chunk to commit")
    finally:
        worker.kill()
        worker.wait()
    interrupted = Job.objects.get(id=job_id)
    assert interrupted.status == Job.Status.RUNNING and 0 < interrupted.processed < ROWS

    time.sleep(1.2)  # the killed worker's lease runs out
    result = run_dossier("worker", "--batch", "--interval", "0.05", DOSSIER_JOB_LEASE_SECONDS="1", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr

    job = Job.objects.get(id=job_id)
    bad = ROWS // BAD_EVERY
    assert job.status == Job.Status.SUCCEEDED
    assert (job.summary["created"], job.summary["updated"], job.summary["folded"], job.summary["rejected"],
            job.processed) == (ROWS - bad, 0, 1, bad, ROWS + 1)
    written = 0 if dry_run else ROWS - bad
    assert Profile.objects.count() == written
    assert Event.objects.filter(job_id=job_id, type="profile.created").count() == written
    assert Event.objects.count() == written
    if not dry_run:
        assert Profile.objects.get(email="person.0@example.com").first_name == "Renamed"
    with open(Import.objects.get(job_id=job_id).error_report, newline="") as report:
        rows = [int(row["row"]) for row in csv.DictReader(report)]
    assert rows == [n + 2 for n in range(ROWS) if n % BAD_EVERY == BAD_EVERY - 1]
    verify = run_dossier("verify")
    assert verify.returncode == 0, verify.stdout
