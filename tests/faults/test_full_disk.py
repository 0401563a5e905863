"""The disk fills while a file is uploaded (issue 7): the client gets 507 Insufficient Storage (the
error envelope from the API, a readable page from the UI), no import record and no partial file are
left, and the server goes on serving; once space is freed the same upload works.

The server's data directory is a 2 MB tmpfs, so its disk really fills: writes fail with ENOSPC.
Mounting needs root; without it the tests are skipped, saying so.
"""

import os
import subprocess
from pathlib import Path

import pytest
import requests

from dossier.accounts.services import do_create_api_key
from dossier.imports.models import ImportFile
from dossier.jobs.models import Job
from tests.faults.servers import WebServer

pytestmark = pytest.mark.django_db(transaction=True)

DISK_BYTES = 2 * 1024 * 1024
SPOOLED = 3 * 1024 * 1024  # past the 2 MB an upload may hold in memory: spooled to the disk as it arrives
IN_MEMORY = 512 * 1024  # held in memory while the request is read, written out when kept
PASSWORD = "a-long-test-passphrase-1"


def people_csv(size: int) -> bytes:
    lines, length, n = ["email,first_name,city"], 0, 0
    while length < size:
        lines.append(f"person.{n}@example.com,Person {n},Warsaw")
        length += len(lines[-1]) + 1
        n += 1
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
                                 capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount command to make a small disk with")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill: {mounted.stderr.strip()}")
    yield mount_point
    # lazily: a killed server process that has not quite gone yet would make the disk busy
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


@pytest.fixture
def server(small_disk):
    server = WebServer(DOSSIER_DATA_DIR=str(small_disk)).start()
    yield server
    server.stop()


@pytest.fixture
def api_key(db) -> str:
    return do_create_api_key("full-disk", ["admin"])[1]


def post_import(server: WebServer, key: str, content: bytes, **headers: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/imports", headers={"Authorization": f"Bearer {key}", **headers},
                         files={"file": ("people.csv", content, "text/csv")}, timeout=60)


def upload_files(disk: Path) -> list[Path]:
    """Every file under the uploads directory: spools and kept uploads."""
    return [path for path in (disk / "uploads").rglob("*") if path.is_file()]


def fill(disk: Path, leave: int) -> Path:
    """A ballast file that leaves only `leave` bytes free."""
    ballast = disk / "ballast"
    stats = os.statvfs(disk)
    ballast.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - leave))
    return ballast


def assert_nothing_left(disk: Path) -> None:
    assert upload_files(disk) == []
    assert ImportFile.objects.count() == 0 and Job.objects.count() == 0


def assert_still_serving(server: WebServer, key: str) -> None:
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    small = post_import(server, key, people_csv(1000))
    assert small.status_code == 200 and small.json()["status"] == "succeeded", small.text


def test_api_upload_that_fills_the_disk_as_it_arrives_is_a_507_that_leaves_nothing_behind(server, small_disk, api_key):
    response = post_import(server, api_key, people_csv(SPOOLED))

    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert error["message"].startswith("there is no space left on the server's disk to keep people.csv")
    assert_nothing_left(small_disk)
    assert_still_serving(server, api_key)


def test_api_upload_held_in_memory_that_does_not_fit_is_a_507_and_the_same_request_works_once_space_is_freed(
        server, small_disk, api_key):
    content = people_csv(IN_MEMORY)
    ballast = fill(small_disk, leave=64 * 1024)

    response = post_import(server, api_key, content, **{"Idempotency-Key": "full-disk-retry"})

    assert response.status_code == 507 and response.json()["error"]["code"] == "insufficient_storage"
    assert_nothing_left(small_disk)
    ballast.unlink()
    retry = post_import(server, api_key, content, **{"Idempotency-Key": "full-disk-retry"})
    assert retry.status_code == 202 and retry.json()["status"] == "queued", retry.text  # over 1000 rows: queued
    assert "Idempotent-Replayed" not in retry.headers


def test_ui_upload_that_fills_the_disk_shows_a_readable_error_and_leaves_nothing_behind(
        server, small_disk, api_key, make_user):
    make_user("editor", username="uploader", password=PASSWORD)
    browser = requests.Session()
    browser.get(f"{server.url}/login/", timeout=10)
    login = browser.post(f"{server.url}/login/", timeout=10, allow_redirects=False, data={
        "username": "uploader", "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"]})
    assert login.status_code == 302

    response = browser.post(f"{server.url}/imports/", timeout=60, data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                            files={"file": ("people.csv", people_csv(SPOOLED), "text/csv")})

    assert response.status_code == 507
    assert "The upload failed: there is no space left on the server&#x27;s disk to keep people.csv" in response.text
    assert "Try again once space has been freed." in response.text
    assert_nothing_left(small_disk)
    assert browser.get(f"{server.url}/imports/", timeout=10).status_code == 200
    assert_still_serving(server, api_key)
