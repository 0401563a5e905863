"""Runs advanced by real `dossier worker` processes: restarts, crashes and two workers at once."""

import time

import pytest
from django.db.models import Count
from django_tasks_db.models import DBTaskResult

from dossier.activity.models import Event
from dossier.workflows.models import WorkflowRun
from tests.processes import start_dossier

pytestmark = pytest.mark.django_db(transaction=True)


def start_worker(**env):
    return start_dossier("worker", "--interval", "0.1", "--verbosity", "0", **env)


def stop(worker) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except Exception:
            worker.kill()
            worker.wait()


def wait_until(condition, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.1)


def runs_with(status: str) -> int:
    return WorkflowRun.objects.filter(status=status).count()


def test_a_delay_survives_a_worker_restart(api, make_workflow, runs_of):
    workflow = make_workflow({"name": "welcome later", "trigger": {"event": "signup"},
                              "nodes": [{"type": "delay", "seconds": 2}, {"type": "updateProfile", "addTags": ["welcomed"]}]})
    api.post("/profiles", {"email": "anna@example.com"})
    worker = start_worker()
    try:
        api.post("/events", {"profile": {"email": "anna@example.com"}, "type": "signup"})
        wait_until(lambda: runs_with("waiting") == 1, what="the run to wait")
        worker.kill()
        worker.wait()
        time.sleep(2.5)  # the delay ends while no worker runs
        assert runs_of(workflow["id"])[0]["status"] == "waiting"
        worker = start_worker()
        wait_until(lambda: runs_with("done") == 1, what="the run to finish after the restart")
    finally:
        stop(worker)

    [run] = runs_of(workflow["id"])
    assert [entry["outcome"] for entry in run["log"]] == ["matched", "waiting", "resumed", "updated"]
    assert api.get("/profiles/by-email/anna@example.com").json()["tags"] == ["welcomed"]


def test_a_trigger_whose_task_was_lost_in_a_crash_is_swept_up(api, make_workflow, runs_of):
    workflow = make_workflow({"name": "tagger", "trigger": {"event": "visit"},
                              "nodes": [{"type": "updateProfile", "addTags": ["visitor"]}]})
    api.post("/profiles", {"email": "anna@example.com"})
    api.post("/events", {"profile": {"email": "anna@example.com"}, "type": "visit"})
    DBTaskResult.objects.all().delete()  # the process died after its commit, before queuing the drain

    worker = start_worker()
    try:
        wait_until(lambda: runs_with("done") == 1, timeout=30, what="the sweep to start the run")
    finally:
        stop(worker)

    assert [r["status"] for r in runs_of(workflow["id"])] == ["done"]


def _assert_each_event_ran_once(trigger_type: str, effect_type: str, count: int) -> None:
    assert WorkflowRun.objects.count() == count
    assert not WorkflowRun.objects.values("event_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    effects = Event.objects.filter(type=effect_type).values("caused_by_id").annotate(n=Count("id"))
    assert len(effects) == count and {row["n"] for row in effects} == {1}
    triggers = set(Event.objects.filter(type=trigger_type).values_list("id", flat=True))
    assert {row["caused_by_id"] for row in effects} == triggers


def test_two_workers_never_run_one_run_twice(api, make_workflow):
    make_workflow({"name": "count", "trigger": {"event": "visit"},
                   "nodes": [{"type": "delay", "seconds": 1}, {"type": "addEvent", "eventType": "counted"},
                             {"type": "updateProfile", "addTags": ["counted"]}]})
    emails = [f"p{i}@example.com" for i in range(100)]
    api.post("/profiles/batch", [{"email": email} for email in emails])
    workers = [start_worker(DOSSIER_WORKFLOW_BATCH_SIZE="15") for _ in range(2)]
    try:
        for round_ in range(4):  # four visits per profile, as four batches
            api.post("/events/batch", [{"profile": {"email": email}, "type": "visit", "params": {"round": round_}}
                                       for email in emails])
        wait_until(lambda: runs_with("done") == 400, timeout=90, what="all 400 runs to finish")
    finally:
        for worker in workers:
            stop(worker)

    _assert_each_event_ran_once("visit", "counted", 400)
    tagged = Event.objects.filter(type="profile.updated", source="workflow")
    assert tagged.count() == 100  # the tag is added by the first run of each profile; the others change nothing


def test_a_worker_killed_while_working_loses_and_doubles_nothing(api, make_workflow):
    make_workflow({"name": "note", "trigger": {"event": "visit"},
                   "nodes": [{"type": "addEvent", "eventType": "noted"}, {"type": "updateProfile", "set": {"attributes.visits": "{{ event.params.n }}"}}]})
    api.post("/profiles/batch", [{"email": f"p{i}@example.com"} for i in range(500)])
    worker = start_worker(DOSSIER_WORKFLOW_BATCH_SIZE="50")
    try:
        for start in range(0, 2000, 500):
            api.post("/events/batch", [{"profile": {"email": f"p{i % 500}@example.com"}, "type": "visit", "params": {"n": i}}
                                       for i in range(start, start + 500)])
        wait_until(lambda: runs_with("done") > 0, what="the first runs")
        worker.kill()
        worker.wait()
        assert runs_with("done") < 2000
        worker = start_worker(DOSSIER_WORKFLOW_BATCH_SIZE="50")
        wait_until(lambda: runs_with("done") == 2000, timeout=90, what="all runs after the restart")
    finally:
        stop(worker)

    _assert_each_event_ran_once("visit", "noted", 2000)


def _waiting_drains() -> int:
    return DBTaskResult.objects.ready().filter(task_path="dossier.workflows.tasks.advance_workflows").count()


def test_writes_leave_one_waiting_drain_and_a_rolled_back_write_none(api, make_workflow):
    from django.db import transaction

    from dossier.profiles.changes import ChangeContext
    from dossier.profiles.services import do_upsert_profiles

    make_workflow({"name": "tagger", "trigger": {"event": "profile.updated", "changed": ["city"]},
                   "nodes": [{"type": "updateProfile", "addTags": ["moved"]}]})
    anna = api.post("/profiles", {"email": "anna@example.com"}).json()
    DBTaskResult.objects.all().delete()

    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        do_upsert_profiles([{"email": "anna@example.com", "city": "Oslo"}], ChangeContext(source="api", actor="test"))
        raise Undone
    assert _waiting_drains() == 0  # nothing committed: nothing to drain

    for city in ("Oslo", "Rome", "Lima"):
        assert api.patch(f"/profiles/{anna['id']}", {"city": city}).status_code == 200
    assert _waiting_drains() == 1  # three commits, one drain waiting for all of them
