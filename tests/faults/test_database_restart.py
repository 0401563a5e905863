"""PostgreSQL restarts under a running `dossier worker`: one while it runs a batch edit, which
still ends with exactly the result of an uninterrupted run (each selected profile changed once,
with one event); one while it waits for work, after which the same worker runs the undo.

The test restarts a private cluster (`postgres_cluster.py`), never the shared one. It needs no
test database of its own, so it runs once per `make test`: in the SQLite leg.
"""

import json
import os
import subprocess
from pathlib import Path

import psycopg
import pytest
import requests

from tests.faults.postgres_cluster import PrivateCluster, why_no_private_cluster
from tests.faults.servers import WebServer, kill_hard, start_worker, wait_until
from tests.processes import run_dossier

SELECTED = 2000
CHUNK = "20"  # 100 chunks: the restart lands in the middle of the job

NO_CLUSTER = why_no_private_cluster()

pytestmark = [
    pytest.mark.skipif(NO_CLUSTER is not None, reason=f"no private PostgreSQL cluster can be made: {NO_CLUSTER}"),
    pytest.mark.skipif(bool(os.environ.get("DOSSIER_DATABASE_URL")),
                       reason="brings its own PostgreSQL cluster, so it runs once per `make test`: in the SQLite leg"),
]


@pytest.fixture
def cluster():
    cluster = PrivateCluster()
    try:
        yield cluster.start()
    finally:
        cluster.destroy()


class Api:
    """The HTTP API of a running server; answers that fail while the database is away are retried."""

    def __init__(self, server: WebServer, key: str):
        self.base = f"{server.url}/api/v1"
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, path: str, body) -> requests.Response:
        data = None if body is None else json.dumps(body)
        return requests.post(f"{self.base}{path}", data=data, headers=self.headers, timeout=120)

    def get(self, path: str) -> dict:
        def answer():
            try:
                response = requests.get(f"{self.base}{path}", headers=self.headers, timeout=30)
            except requests.ConnectionError:
                return None
            return response.json() if response.status_code == 200 else None

        return wait_until(answer, timeout=60, what=f"GET {path} to answer", poll=0.2)


def wait_for_end(api: Api, job_id: str, worker: subprocess.Popen, log: Path) -> dict:
    def finished():
        assert worker.poll() is None, "the worker died with its database connection:\n" + log.read_text()
        job = api.get(f"/jobs/{job_id}")
        return job if job["status"] not in ("queued", "running") else None

    return wait_until(finished, timeout=120, what=f"job {job_id} to end", poll=0.2)


def changes_by_job(cluster: PrivateCluster) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    """Profiles per city, and how many profiles have n profile.updated events of a job."""
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as db:
        cities = dict(db.execute("SELECT city, count(*) FROM profiles_profile GROUP BY city").fetchall())
        per_profile = db.execute("SELECT job_id::text, n, count(*) FROM (SELECT profile_id, job_id, count(*) AS n"
                                 " FROM activity_event WHERE type = 'profile.updated' GROUP BY profile_id, job_id) AS t"
                                 " GROUP BY job_id, n").fetchall()
    return cities, {(job, n): profiles for job, n, profiles in per_profile}


def test_a_batch_edit_survives_a_postgresql_restart_and_changes_each_profile_once(cluster, tmp_path):
    env = {"DOSSIER_DATABASE_URL": cluster.url, "DOSSIER_DATA_DIR": str(tmp_path / "data")}
    migrate = run_dossier("migrate", "--verbosity", "0", **env)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    created = run_dossier("apikey", "create", "faults", "--scopes", "admin", **env)
    assert created.returncode == 0, created.stderr
    server = WebServer(**env).start()
    log = tmp_path / "worker.log"
    worker = None
    try:
        api = Api(server, created.stdout.strip().splitlines()[-1])
        for start in range(0, 2 * SELECTED, 1000):
            batch = [{"customId": f"p{n}", "city": "Warsaw" if n % 2 == 0 else "Gdańsk"} for n in range(start, start + 1000)]
            assert api.post("/profiles/batch", batch).status_code == 200
        response = api.post("/profiles/batch-edit", {"selection": {"filter": {"city": "Warsaw"}},
                                                     "changes": {"set": {"city": "Poznań"}, "addTags": ["moved"]}})
        assert response.status_code == 202, response.text
        edit_id = response.json()["id"]

        worker = start_worker(log, DOSSIER_JOB_CHUNK_SIZE=CHUNK, **env)
        wait_until(lambda: api.get(f"/jobs/{edit_id}")["processed"] > 0, what="the job's first chunk")
        assert api.get(f"/jobs/{edit_id}")["processed"] < SELECTED
        cluster.restart()
        edit = wait_for_end(api, edit_id, worker, log)
        edited = changes_by_job(cluster)

        cluster.restart()  # again, while the worker waits for tasks: the same worker runs the next job
        response = api.post(f"/jobs/{edit_id}/undo", None)
        assert response.status_code == 202, response.text
        undo = wait_for_end(api, response.json()["id"], worker, log)
        undone = changes_by_job(cluster)
    finally:
        if worker is not None:
            kill_hard(worker)
        server.stop()

    output = log.read_text()
    assert f"job {edit_id}: database connection lost" in output, "the first restart did not reach the job"
    assert "dossier worker: database connection lost" in output, "the second restart did not reach the idle worker"
    assert (edit["status"], edit["processed"], edit["succeeded"], edit["failed"]) == ("succeeded", SELECTED, SELECTED, 0), edit
    assert edit["summary"]["changed"] == SELECTED
    assert edited == ({"Poznań": SELECTED, "Gdańsk": SELECTED}, {(edit_id, 1): SELECTED})
    assert (undo["status"], undo["succeeded"], undo["failed"]) == ("succeeded", SELECTED, 0), undo
    assert undone == ({"Warsaw": SELECTED, "Gdańsk": SELECTED}, {(edit_id, 1): SELECTED, (undo["id"], 1): SELECTED})
    verify = run_dossier("verify", **env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
