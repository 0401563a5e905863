"""`dossier bench` as a process: the table, latest.json's shape and a clear refusal of bad input.

The figures themselves are not asserted (timing belongs to `make bench`); a tiny BENCH_SCALE keeps
the run to seconds. The bench runs on the database kind this test session uses.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

FIELDS = {"scenario", "database", "workers", "size", "seconds", "rate", "unit", "ceiling", "ratio", "p50Ms", "p99Ms",
          "peakMemoryMB", "target", "targetMet"}


@pytest.fixture
def bench(tmp_path):
    def run(*args: str, scale: str = "0.001", **extra_env: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("DOSSIER_DATABASE_URL", "DOSSIER_TEST_DB_NAME", "BENCH_PEERS")}
        env.update(DOSSIER_DATA_DIR=str(tmp_path), BENCH_SCALE=scale, DJANGO_SETTINGS_MODULE="dossier.settings", **extra_env)
        if connection.vendor == "postgresql":
            env["DOSSIER_BENCH_POSTGRES_URL"] = os.environ["DOSSIER_DATABASE_URL"]
        return subprocess.run([sys.executable, "-m", "dossier.cli", "bench", *args], env=env, capture_output=True,
                              text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])

    return run


def database_kind() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def test_bench_runs_a_scenario_and_writes_its_figures_to_latest_json(bench, tmp_path):
    result = bench("--scenario", "api-patch", "--database", database_kind())

    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "bench" / "latest.json").read_text())
    assert len(rows) == 1
    row = rows[0]
    assert FIELDS <= row.keys()
    assert row.get("error") is None, row["error"]
    assert (row["scenario"], row["database"], row["size"], row["unit"]) == ("api-patch", database_kind(), 10, "requests/s")
    assert all(isinstance(row[k], (int, float)) and row[k] > 0
               for k in ("seconds", "rate", "ceiling", "ratio", "p50Ms", "p99Ms", "peakMemoryMB"))
    assert row["p50Ms"] <= row["p99Ms"]
    assert row["targetMet"] in (True, False)
    assert row["notes"]["floorRate"] > 0 and row["notes"]["p99VsFloor"] > 0  # the floor measured beside it
    table = result.stdout.splitlines()
    assert any(line.startswith("api-patch") and database_kind() in line for line in table)
    assert "p50 ms" in result.stdout and "met?" in result.stdout


def test_a_scenario_with_worker_counts_gives_a_row_per_count(bench, tmp_path):
    result = bench("--scenario", "workflow-runs", "--database", database_kind())

    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "bench" / "latest.json").read_text())
    assert [row.get("error") for row in rows] == [None] * len(rows)
    expected = [1, 2] if database_kind() == "postgresql" else [1]
    assert [(row["scenario"], row["workers"]) for row in rows] == [("workflow-runs", n) for n in expected]


def test_scenarios_over_the_seeded_profiles_share_one_seeding_per_database(bench, tmp_path):
    result = bench("--scenario", "list-filter", "--scenario", "list-search", "--database", database_kind(), scale="0.002")

    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "bench" / "latest.json").read_text())
    assert [(row["scenario"], row.get("error"), row["size"]) for row in rows] == [
        ("list-filter", None, 2_000), ("list-search", None, 2_000)]
    assert rows[0]["notes"]["seedSeconds"] > 0  # the first one waited for the seeding
    assert "seedSeconds" not in rows[1]["notes"]  # the second started from a copy of it
    assert all(row["p50Ms"] > 0 for row in rows)
    leftovers = sorted(p.name for p in (tmp_path / "bench").glob("*.sqlite3*"))
    assert leftovers == []


def test_peer_rows_come_with_bench_peers_and_import_the_same_file(bench, tmp_path):
    assert "unknown scenario import-new-peer" in bench("--scenario", "import-new-peer", "--database", database_kind()).stderr

    result = bench("--scenario", "import-new-peer", "--database", database_kind(), scale="0.01", BENCH_PEERS="1")

    assert result.returncode == 0, result.stderr
    [row] = json.loads((tmp_path / "bench" / "latest.json").read_text())
    assert row.get("error") is None, row["error"]
    assert (row["scenario"], row["size"], row["unit"]) == ("import-new-peer", 10_000, "rows/s")
    assert row["rate"] > 0 and row["ceiling"] > 0 and row["target"] is None
    assert row["notes"]["peer"].startswith("django-import-export ")


def test_bench_refuses_an_unknown_scenario_and_names_the_known_ones(bench, tmp_path):
    result = bench("--scenario", "no-such-thing", "--database", database_kind())

    assert result.returncode != 0
    assert "unknown scenario no-such-thing" in result.stderr
    assert "api-patch" in result.stderr
    assert not (tmp_path / "bench" / "latest.json").exists()


def test_bench_refuses_a_malformed_scale(bench):
    result = bench("--scenario", "api-patch", scale="huge")

    assert result.returncode != 0
    assert "BENCH_SCALE must be 'small', 'full' or a number" in result.stderr
