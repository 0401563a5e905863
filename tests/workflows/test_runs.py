"""Workflow runs, driven end to end: events come in through the API and the hosted form, the
worker (`dossier worker --batch`, in this process) advances the runs, the API shows them."""

import json
import time

import pytest
from django.test import Client

from dossier.activity.models import Event
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)

NEWSLETTER_FORM = {"slug": "newsletter", "name": "Newsletter", "identifier": "email",
                   "fields": [{"name": "email", "target": "email"}, {"name": "x", "target": None}]}
NEWSLETTER_WORKFLOW = {
    "name": "Newsletter sign-up",
    "trigger": {"event": "form.submit", "where": [{"param": "formId", "op": "eq", "value": "newsletter"}]},
    "nodes": [{"type": "updateProfile", "set": {"attributes.signup_note": "{{ event.params.x }}"},
               "addTags": ["newsletter"], "agreements": {"email": True}}],
}


def track(api, email: str, type_: str, **params) -> int:
    response = api.post("/events", {"profile": {"email": email}, "type": type_, "params": params})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_newsletter_form_submitted_as_json_runs_the_workflow(api, make_workflow, run_worker, runs_of):
    api.post("/forms", NEWSLETTER_FORM)
    workflow = make_workflow(NEWSLETTER_WORKFLOW)

    response = Client().post("/f/newsletter", json.dumps({"email": "anna@example.com", "x": "from the shop"}),
                             content_type="application/json")
    run_worker()

    assert response.status_code == 201, response.content
    profile = api.get("/profiles/by-email/anna@example.com").json()
    assert profile["attributes"] == {"signup_note": "from the shop"}
    assert profile["tags"] == ["newsletter"]
    assert profile["agreements"]["email"] is True
    submit = Event.objects.get(type="form.submit")
    update = Event.objects.get(type="profile.updated")
    assert (update.source, update.actor, update.caused_by_id) == ("workflow", f"workflow:{workflow['id']}", submit.id)
    assert update.params["changes"] == [
        {"attribute": "attributes.signup_note", "old": None, "new": "from the shop"},
        {"attribute": "agreements.email", "old": False, "new": True},
        {"attribute": "tags", "added": ["newsletter"], "removed": []},
    ]
    [run] = runs_of(workflow["id"])
    assert (run["status"], run["eventId"], run["version"]) == ("done", submit.id, 1)
    assert [(entry["type"], entry["outcome"]) for entry in run["log"]] == [
        ("trigger", "matched"), ("updateProfile", "updated")]
    assert run["changes"][0] == {"node": 0, "attribute": "attributes.signup_note", "old": None, "new": "from the shop"}


def test_a_workflow_on_city_changes_that_changes_city_runs_once_per_outside_change(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "Shout the city", "trigger": {"event": "profile.updated", "changed": ["city"]},
                              "nodes": [{"type": "updateProfile", "set": {"city": "{{ profile.city | upper }}"}}]})
    profile = api.post("/profiles", {"email": "anna@example.com"}).json()

    api.patch(f"/profiles/{profile['id']}", {"city": "Warsaw"})
    run_worker()
    api.patch(f"/profiles/{profile['id']}", {"firstName": "Anna"})  # not a city change
    run_worker()
    api.patch(f"/profiles/{profile['id']}", {"city": "Kraków"})
    run_worker()

    assert api.get(f"/profiles/{profile['id']}").json()["city"] == "KRAKÓW"
    runs = runs_of(workflow["id"])
    assert [r["status"] for r in runs] == ["done", "suppressed", "done", "suppressed"]
    outside = Event.objects.filter(type="profile.updated", source="api", params__changes__0__attribute="city").order_by("id")
    assert [r["eventId"] for r in runs if r["status"] == "done"] == [e.id for e in outside]
    assert all(r["reason"].startswith("loop:") for r in runs if r["status"] == "suppressed")
    by_workflow = Event.objects.filter(actor=f"workflow:{workflow['id']}").order_by("id")
    assert [e.caused_by_id for e in by_workflow] == [e.id for e in outside]


def test_a_chain_of_workflow_caused_events_stops_at_depth_5(api, make_workflow, run_worker, runs_of):
    steps = [make_workflow({"name": f"step {i}", "trigger": {"event": f"step{i}"},
                            "nodes": [{"type": "addEvent", "eventType": f"step{i + 1}", "params": {"from": "{{ event.type }}"}}]})
             for i in range(6)]
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "step0")
    for _ in range(7):
        run_worker()

    statuses = [[r["status"] for r in runs_of(w["id"])] for w in steps]
    assert statuses == [["done"]] * 5 + [["suppressed"]]
    assert runs_of(steps[5]["id"])[0]["reason"].startswith("depth:")
    assert Event.objects.filter(type="step5").exists() and not Event.objects.filter(type="step6").exists()
    step5 = Event.objects.get(type="step5")
    assert (step5.source, step5.actor, step5.params) == ("workflow", f"workflow:{steps[4]['id']}", {"from": "step4"})


def test_a_workflow_is_not_triggered_again_through_another_workflow(api, make_workflow, run_worker, runs_of):
    ping = make_workflow({"name": "ping", "trigger": {"event": "ping"}, "nodes": [{"type": "addEvent", "eventType": "pong"}]})
    pong = make_workflow({"name": "pong", "trigger": {"event": "pong"}, "nodes": [{"type": "addEvent", "eventType": "ping"}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "ping")
    for _ in range(4):
        run_worker()

    assert [r["status"] for r in runs_of(ping["id"])] == ["done", "suppressed"]
    assert [r["status"] for r in runs_of(pong["id"])] == ["done"]
    assert Event.objects.filter(type="ping").count() == 2


def test_a_template_error_fails_that_run_only_with_the_message(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "divide", "trigger": {"event": "score"},
                              "nodes": [{"type": "updateProfile", "set": {"attributes.share": "{{ event.params.a // event.params.b }}"}}]})
    api.post("/profiles", {"email": "zero@example.com"})
    api.post("/profiles", {"email": "two@example.com"})

    track(api, "zero@example.com", "score", a=10, b=0)
    track(api, "two@example.com", "score", a=10, b=2)
    run_worker()

    failed, done = runs_of(workflow["id"])
    assert failed["status"] == "failed"
    assert "nodes[0].set.attributes.share: template error: ZeroDivisionError" in failed["reason"]
    assert failed["log"][-1]["outcome"] == "failed"
    assert done["status"] == "done"
    assert api.get("/profiles/by-email/two@example.com").json()["attributes"] == {"share": "5"}
    assert api.get("/profiles/by-email/zero@example.com").json()["version"] == 1


def test_a_hostile_lookup_at_run_time_reads_nothing(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "echo", "trigger": {"event": "probe"},
                              "nodes": [{"type": "updateProfile", "set": {"lastName": "x{{ event.params[event.params.k] }}"}}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "probe", k="__class__")
    run_worker()

    assert runs_of(workflow["id"])[0]["status"] == "done"
    assert api.get("/profiles/by-email/anna@example.com").json()["lastName"] == "x"


def test_a_rejected_write_fails_the_run_and_names_the_field(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "birthday", "trigger": {"event": "born"},
                              "nodes": [{"type": "updateProfile", "set": {"birthDate": "{{ event.params.day }}"}}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "born", day="yesterday")
    run_worker()

    [run] = runs_of(workflow["id"])
    assert run["status"] == "failed"
    assert run["reason"].startswith("nodes[0].set.birthDate: must be a date as YYYY-MM-DD")


def test_a_profile_filter_that_is_not_met_ends_the_run_as_filtered_out(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "Poland only", "trigger": {"event": "visit"},
                              "nodes": [{"type": "profileFilter", "where": [{"attribute": "countryCode", "op": "eq", "value": "PL"}]},
                                        {"type": "updateProfile", "addTags": ["visited"]}]})
    api.post("/profiles", {"email": "pl@example.com", "countryCode": "PL"})
    api.post("/profiles", {"email": "de@example.com", "countryCode": "DE"})

    track(api, "pl@example.com", "visit")
    track(api, "de@example.com", "visit")
    run_worker()

    done, filtered = runs_of(workflow["id"])
    assert done["status"] == "done"
    assert (filtered["status"], filtered["reason"]) == ("filtered", "nodes[0] profileFilter: countryCode eq 'PL' is not met")
    assert api.get("/profiles/by-email/de@example.com").json()["tags"] == []


def test_an_event_filter_and_trigger_conditions_pick_the_events(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "big orders", "trigger": {"event": "order", "where": [{"param": "total", "op": "gte", "value": 100}]},
                              "nodes": [{"type": "eventFilter", "where": [{"param": "currency", "op": "in", "value": ["PLN", "EUR"]}]},
                                        {"type": "updateProfile", "addTags": ["big-spender"]}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "order", total="50", currency="PLN")
    track(api, "anna@example.com", "order", total="150", currency="USD")
    track(api, "anna@example.com", "order", total=150, currency="EUR")
    run_worker()

    assert [r["status"] for r in runs_of(workflow["id"])] == ["filtered", "done"]
    assert api.get("/profiles/by-email/anna@example.com").json()["tags"] == ["big-spender"]


def test_a_delay_waits_then_the_run_goes_on_with_the_version_it_started_with(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "later", "trigger": {"event": "signup"},
                              "nodes": [{"type": "delay", "seconds": 1}, {"type": "updateProfile", "set": {"attributes.stage": "v1"}}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "signup")
    run_worker()
    [waiting] = runs_of(workflow["id"])
    edited = api.put(f"/workflows/{workflow['id']}", {**workflow, "nodes": [
        {"type": "delay", "seconds": 1}, {"type": "updateProfile", "set": {"attributes.stage": "v2"}}]})
    time.sleep(1.5)
    run_worker()

    assert waiting["status"] == "waiting" and waiting["resumeAt"]
    assert edited.json()["version"] == 2
    [run] = runs_of(workflow["id"])
    assert (run["status"], run["version"]) == ("done", 1)
    assert [e["outcome"] for e in run["log"]] == ["matched", "waiting", "resumed", "updated"]
    assert api.get("/profiles/by-email/anna@example.com").json()["attributes"] == {"stage": "v1"}


def test_at_most_the_daily_limit_of_runs_per_profile(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "once a day", "maxRunsPerProfilePerDay": 1, "trigger": {"event": "visit"},
                              "nodes": [{"type": "addEvent", "eventType": "greeted"}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "visit")
    track(api, "anna@example.com", "visit")
    run_worker()

    done, limited = runs_of(workflow["id"])
    assert done["status"] == "done"
    assert limited["status"] == "suppressed" and limited["reason"].startswith("limit:")
    assert Event.objects.filter(type="greeted").count() == 1


def test_a_disabled_workflow_starts_nothing_until_enabled(api, make_workflow, run_worker, runs_of):
    workflow = make_workflow({"name": "greeter", "enabled": False, "trigger": {"event": "visit"},
                              "nodes": [{"type": "addEvent", "eventType": "greeted"}]})
    api.post("/profiles", {"email": "anna@example.com"})

    track(api, "anna@example.com", "visit")
    run_worker()
    api.put(f"/workflows/{workflow['id']}", {**workflow, "enabled": True})
    track(api, "anna@example.com", "visit")
    run_worker()

    assert len(runs_of(workflow["id"])) == 1
    assert Event.objects.filter(type="greeted").count() == 1


def test_runs_of_many_events_are_applied_set_wise(api, make_workflow, run_worker, runs_of, django_assert_max_num_queries):
    from dossier.workflows.engine import process_batch

    workflow = make_workflow(NEWSLETTER_WORKFLOW)
    emails = [f"p{i}@example.com" for i in range(60)]
    api.post("/profiles/batch", [{"email": email} for email in emails])
    api.post("/events/batch", [{"profile": {"email": email}, "type": "form.submit",
                                "params": {"formId": "newsletter", "x": str(i)}} for i, email in enumerate(emails)])

    with django_assert_max_num_queries(40):  # the same for 60 events as for 6000: statements per batch
        assert process_batch() == 60

    assert [r["status"] for r in runs_of(workflow["id"])] == ["done"] * 60
    assert Profile.objects.filter(attributes__signup_note="59").exists()
