"""`kill -9` of the worker while workflow runs come out of a delay: some resumed, some in the
batch in flight, the rest still waiting. After a restart each run finishes exactly once."""

import time

import pytest
from django.db.models import Count

from dossier.activity.models import Event
from dossier.workflows.models import WorkflowRun
from tests.faults.servers import kill_hard, start_worker, wait_until
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)

PROFILES = 300
DELAY_SECONDS = 2
WORKER_ENV = {"DOSSIER_WORKFLOW_BATCH_SIZE": "10"}  # many small batches: the kill lands between or inside them


def runs_with(status: str) -> int:
    return WorkflowRun.objects.filter(status=status).count()


def sign_up(api, emails: list[str]) -> None:
    """Track a signup of each profile and wait until the worker started their runs."""
    started = WorkflowRun.objects.count()
    response = api.post("/events/batch", [{"profile": {"email": email}, "type": "signup"} for email in emails])
    assert response.status_code == 200, response.content
    wait_until(lambda: WorkflowRun.objects.count() == started + len(emails), what="the runs to start")


def test_runs_coming_out_of_a_delay_when_the_worker_is_killed_each_finish_exactly_once(api, tmp_path):
    workflow = api.post("/workflows", {
        "name": "remind", "enabled": True, "trigger": {"event": "signup"},
        "nodes": [{"type": "delay", "seconds": DELAY_SECONDS}, {"type": "addEvent", "eventType": "reminded"},
                  {"type": "updateProfile", "addTags": ["reminded"]}]}).json()
    emails = [f"p{n}@example.com" for n in range(PROFILES)]
    assert api.post("/profiles/batch", [{"email": email} for email in emails]).status_code == 200
    log = tmp_path / "worker.log"
    worker = start_worker(log, **WORKER_ENV)
    try:
        # Two waves a second apart: when the first comes out of its delay, the second still waits.
        half = PROFILES // 2
        sign_up(api, emails[:half])
        time.sleep(1)
        sign_up(api, emails[half:])
        wait_until(lambda: runs_with("done") > 0, timeout=DELAY_SECONDS + 30, what="the first runs to resume", poll=0.01)
        kill_hard(worker)
        assert 0 < runs_with("done") < PROFILES

        worker = start_worker(log, **WORKER_ENV)
        wait_until(lambda: runs_with("done") == PROFILES, timeout=60, what="every run to finish after the restart")
    finally:
        kill_hard(worker)

    runs = WorkflowRun.objects.filter(workflow_id=workflow["id"])
    assert runs.count() == PROFILES
    assert {tuple(entry["outcome"] for entry in run.log) for run in runs} == {("matched", "waiting", "resumed", "added", "updated")}
    signups = set(Event.objects.filter(type="signup").values_list("id", flat=True))
    reminders = Event.objects.filter(type="reminded").values("caused_by_id").annotate(n=Count("id"))
    assert {row["caused_by_id"] for row in reminders} == signups and {row["n"] for row in reminders} == {1}
    tagged = Event.objects.filter(type="profile.updated", source="workflow").values("profile_id").annotate(n=Count("id"))
    assert len(tagged) == PROFILES and {row["n"] for row in tagged} == {1}
    assert api.get("/profiles?tag=reminded").json()["total"] == PROFILES
    verify = run_dossier("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
