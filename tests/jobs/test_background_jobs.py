"""Large batch edits run in `dossier worker`: crash safety, cancel, a selection fixed at the start."""

import time

import pytest

from tests.processes import run_dossier, start_dossier

pytestmark = pytest.mark.django_db(transaction=True)

MATCHING = 1200  # above the size that runs inline in the request
CHUNK = "5"


@pytest.fixture
def warsaw_and_gdansk(make_profiles):
    """MATCHING profiles in Warsaw and as many in Gdańsk; returns the Warsaw ids."""
    ids = make_profiles(*({"customId": f"p{n}", "city": "Warsaw" if n % 2 == 0 else "Gdańsk"} for n in range(2 * MATCHING)))
    return ids[0::2]


@pytest.fixture
def workers():
    started = []

    def start(**env):
        process = start_dossier("worker", "--interval", "0.05", **{"DOSSIER_JOB_CHUNK_SIZE": CHUNK, **env})
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def start_edit(api, **filters):
    response = api.post("/profiles/batch-edit", {"selection": {"filter": filters or {"city": "Warsaw"}},
                                                 "changes": {"set": {"city": "Poznań", "attributes.score": 1}, "addTags": ["vip"]}})
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["total"], job["processed"]) == ("queued", MATCHING, 0)
    return job


def wait_for(api, job, condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = api.get(f"/jobs/{job['id']}").json()
        if condition(current):
            return current
        time.sleep(0.005)
    raise AssertionError(f"job never reached the state wanted: {current}")


def test_a_worker_killed_mid_job_and_restarted_finishes_with_exactly_the_uninterrupted_result(api, warsaw_and_gdansk, workers):
    job = start_edit(api)
    worker = workers()
    wait_for(api, job, lambda j: j["processed"] > 0)
    worker.kill()  # SIGKILL: no clean-up, the chunk in flight is lost with its transaction
    worker.wait(timeout=10)
    interrupted = api.get(f"/jobs/{job['id']}").json()
    assert interrupted["status"] == "running" and 0 < interrupted["processed"] < MATCHING

    workers(DOSSIER_JOB_LEASE_SECONDS="1")
    done = wait_for(api, job, lambda j: j["status"] not in ("queued", "running"))

    assert (done["status"], done["processed"], done["succeeded"], done["failed"]) == ("succeeded", MATCHING, MATCHING, 0)
    assert (done["summary"]["changed"], done["summary"].get("unchanged", 0)) == (MATCHING, 0)
    assert done["summary"]["attributes"] == {"city": MATCHING, "attributes.score": MATCHING, "tags": MATCHING}
    assert api.get(f"/profiles?job={job['id']}").json()["total"] == MATCHING
    assert api.get("/profiles?city=Poznań&tag=vip&attributes.score=1").json()["total"] == MATCHING
    assert api.get("/profiles?city=Warsaw").json()["total"] == 0
    for profile_id in warsaw_and_gdansk[::100]:
        events = api.get(f"/profiles/{profile_id}/events?type=profile.updated").json()["items"]
        assert [e["jobId"] for e in events] == [job["id"]]
    verify = run_dossier("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_cancel_stops_a_running_job_after_its_current_chunk(api, warsaw_and_gdansk, workers):
    job = start_edit(api)
    workers(DOSSIER_JOB_CHUNK_SIZE="2")
    wait_for(api, job, lambda j: j["processed"] > 0)

    response = api.post(f"/jobs/{job['id']}/cancel")

    assert response.status_code == 200 and response.json()["cancelRequested"] is True
    cancelled = wait_for(api, job, lambda j: j["status"] not in ("queued", "running"))
    assert cancelled["status"] == "cancelled"
    assert 0 < cancelled["processed"] < MATCHING and cancelled["processed"] % 2 == 0
    assert api.get(f"/profiles?job={job['id']}").json()["total"] == cancelled["processed"]
    assert api.get("/profiles?city=Poznań").json()["total"] == cancelled["processed"]
    assert api.post(f"/jobs/{job['id']}/cancel").status_code == 409


def test_a_queued_job_cancelled_never_runs(api, warsaw_and_gdansk):
    job = start_edit(api)

    cancelled = api.post(f"/jobs/{job['id']}/cancel").json()
    assert run_dossier("worker", "--batch").returncode == 0

    assert (cancelled["status"], cancelled["processed"]) == ("cancelled", 0)
    assert api.get(f"/jobs/{job['id']}").json()["status"] == "cancelled"
    assert api.get("/profiles?city=Warsaw").json()["total"] == MATCHING


def test_the_filter_is_evaluated_once_when_the_job_is_created(api, warsaw_and_gdansk, make_profiles):
    job = start_edit(api)
    [late] = make_profiles({"customId": "late", "city": "Warsaw"})
    moved = warsaw_and_gdansk[0]
    api.patch(f"/profiles/{moved}", {"city": "Berlin"})

    assert run_dossier("worker", "--batch", DOSSIER_JOB_CHUNK_SIZE="500").returncode == 0

    done = api.get(f"/jobs/{job['id']}").json()
    assert (done["status"], done["processed"], done["succeeded"]) == ("succeeded", MATCHING, MATCHING)
    assert api.get(f"/profiles/{late}").json()["city"] == "Warsaw"
    assert api.get(f"/profiles/{moved}").json()["city"] == "Poznań"
    listed = api.get("/jobs?kind=batch_edit&status=succeeded").json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_undo_of_a_large_job_runs_in_the_worker_and_restores_every_profile(api, warsaw_and_gdansk):
    job = start_edit(api)
    assert run_dossier("worker", "--batch", DOSSIER_JOB_CHUNK_SIZE="500").returncode == 0

    response = api.post(f"/jobs/{job['id']}/undo")
    assert response.status_code == 202 and response.json()["total"] == MATCHING
    assert run_dossier("worker", "--batch", DOSSIER_JOB_CHUNK_SIZE="500").returncode == 0

    undo = api.get(f"/jobs/{response.json()['id']}").json()
    assert (undo["status"], undo["succeeded"], undo["failed"], undo["summary"]["restored"]) == ("succeeded", MATCHING, 0, MATCHING)
    assert api.get("/profiles?city=Warsaw").json()["total"] == MATCHING
    assert api.get("/profiles?tag=vip").json()["total"] == 0
    verify = run_dossier("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
