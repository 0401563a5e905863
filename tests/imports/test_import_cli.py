"""`dossier import FILE ...`: the command-line door, run as a process."""

import time

import pytest

from dossier.activity.models import Event
from dossier.jobs.models import Job
from dossier.profiles.models import Profile
from tests.imports import corpus
from tests.imports.conftest import csv_bytes
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def write(tmp_path):
    def write_file(content: bytes, name: str = "people.csv") -> str:
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write_file


def test_cli_imports_reports_rejected_rows_and_exits_0(write):
    path = write(corpus.INVALID_CELLS)

    result = run_dossier("import", path, "--identifier", "email", "--map", "score=attributes.score:integer",
                         "--add-tag", "cli", "--actor", "user:maria", "--invalid-values", "rejectRow")

    assert result.returncode == 0, result.stderr
    assert "created 1, updated 0, unchanged 0, skipped 0, rejected 2" in result.stdout
    assert "row 3 (rejected): email: is not a valid email address" in result.stdout
    report = result.stdout.split("rows with problems, as uploaded, with their errors: ")[1].split()[0]
    assert open(report).read().splitlines()[0] == "row,column,error,email,birthDate,sex,score"
    profile = Profile.objects.get()
    assert (profile.email, list(profile.tags.values_list("name", flat=True))) == ("good@example.com", ["cli"])
    event = Event.objects.get()
    assert (event.source, event.actor, event.job.kind) == ("import", "user:maria", "import")


def test_cli_dry_run_writes_nothing(write):
    result = run_dossier("import", write(corpus.mixed_rows(5)), "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "\nDry run of people.csv: 5 rows" in result.stdout
    assert "values that would change: " in result.stdout and "city 5" in result.stdout
    assert Profile.objects.count() == 0 and Event.objects.count() == 0


def test_cli_update_only_and_clearing_empty_cells(write, api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw", "lastName": "Gone"})

    result = run_dossier("import", write(csv_bytes("email,city,lastName", "old@example.com,Oslo,", "new@example.com,Rome,X")),
                         "--no-create", "--empty-cells", "clear")

    assert result.returncode == 0, result.stderr
    assert "updated 1, unchanged 0, skipped 1" in result.stdout
    old = Profile.objects.get()
    assert (old.city, old.last_name) == ("Oslo", None)


@pytest.mark.parametrize("content, args, message", [
    (corpus.LATIN1, (), "line 3 has a byte (0xE1) that is not UTF-8"),
    (b"", (), "the file is empty"),
    (csv_bytes("email,city", "a@example.com,Oslo"), ("--map", "planet=city"), "mapping.planet: the file has no column 'planet'"),
    (csv_bytes("email,city", "a@example.com,Oslo"), ("--map", "city"), "--map takes COLUMN=VALUE"),
    (csv_bytes("city", "Oslo"), (), "identifier: no column is mapped to the identifier email"),
])
def test_cli_exits_2_on_an_unusable_file_or_arguments(write, content, args, message):
    result = run_dossier("import", write(content), *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert Job.objects.count() == 0 and Profile.objects.count() == 0


def test_cli_missing_file_exits_2(tmp_path):
    result = run_dossier("import", str(tmp_path / "nope.csv"))

    assert result.returncode == 2 and "no such file" in result.stderr


def test_cli_imports_100000_rows(write):
    path = write(corpus.mixed_rows(100_000, bad_every=10_000))

    started = time.monotonic()
    result = run_dossier("import", path, "--map", "loyalty=attributes.loyalty:integer", timeout=600)
    seconds = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert "created 99,990, updated 0, unchanged 0, skipped 0, rejected 10" in result.stdout, result.stdout
    assert Profile.objects.count() == 99_990
    assert Event.objects.count() == 99_990
    assert seconds < 300
