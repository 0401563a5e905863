"""POST /profiles/batch-edit: one change applied to a selection of profiles, as a job (SPEC §5)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def batch_edit(api, selection, changes, **extra):
    return api.post("/profiles/batch-edit", {"selection": selection, "changes": changes, **extra})


def test_batch_edit_by_ids_sets_every_kind_of_field_and_writes_one_event_per_profile(api, make_profiles, change_events):
    company = api.post("/companies", {"name": "Acme"}).json()
    a, b, untouched = make_profiles(
        {"email": "a@example.com", "city": "Warsaw", "tags": ["old"], "attributes": {"plan": "free"}},
        {"email": "b@example.com", "city": "Gdańsk", "phone": "+48 500 100 200"},
        {"email": "c@example.com", "city": "Kraków"},
    )

    response = batch_edit(api, {"ids": [a, b]}, {
        "set": {"city": "Poznań", "birthDate": "1990-05-17", "attributes.plan": "pro"},
        "clear": ["phone"],
        "addTags": ["vip"], "removeTags": ["old"],
        "agreements": {"email": True},
        "companyId": company["id"],
    })

    assert response.status_code == 200, response.content
    job = response.json()
    assert (job["kind"], job["status"], job["total"], job["processed"], job["succeeded"], job["failed"]) == (
        "batch_edit", "succeeded", 2, 2, 2, 0)
    assert job["createdBy"].startswith("apikey:") and job["finishedAt"] and job["errors"] == []
    assert job["summary"]["changed"] == 2
    assert job["summary"]["attributes"]["city"] == 2 and job["summary"]["attributes"]["tags"] == 2
    first = api.get(f"/profiles/{a}").json()
    assert (first["city"], first["birthDate"], first["attributes"]["plan"], first["phone"]) == ("Poznań", "1990-05-17", "pro", None)
    assert first["tags"] == ["vip"] and first["agreements"]["email"] is True
    assert first["company"] == {"id": company["id"], "name": "Acme"}
    assert api.get(f"/profiles/{b}").json()["phone"] is None
    assert api.get(f"/profiles/{untouched}").json()["city"] == "Kraków"
    [event] = change_events(a)
    assert (event["source"], event["jobId"], event["actor"]) == ("batch", job["id"], job["createdBy"])
    changes = {c["attribute"]: c for c in event["params"]["changes"]}
    assert changes["city"] == {"attribute": "city", "old": "Warsaw", "new": "Poznań"}
    assert changes["tags"] == {"attribute": "tags", "added": ["vip"], "removed": ["old"]}
    assert changes["agreements.email"] == {"attribute": "agreements.email", "old": False, "new": True}
    assert changes["attributes.plan"] == {"attribute": "attributes.plan", "old": "free", "new": "pro"}
    assert changes["company"]["new"] == {"id": company["id"], "name": "Acme"}
    assert change_events(untouched) == []


def test_batch_edit_keeps_each_attribute_type_clears_attributes_and_replays_from_its_events(api, make_profiles, change_events):
    a, b = make_profiles(
        {"email": "a@example.com", "attributes": {"plan": "free", "vip": False, "score": 1, "ratio": 0.5, "keep": "x"}},
        {"email": "b@example.com", "attributes": {"vip": True, "score": 2}, "tags": ["vip"]},
    )

    job = batch_edit(api, {"ids": [a, b]}, {
        "set": {"attributes.vip": True, "attributes.score": 2, "attributes.ratio": 1.5, "attributes.odd.name-1": "y"},
        "clear": ["attributes.plan"], "addTags": ["vip"], "agreements": {"sms": True},
    }).json()

    assert (job["status"], job["summary"]["changed"]) == ("succeeded", 2), job
    first, second = (api.get(f"/profiles/{pid}").json() for pid in (a, b))
    assert first["attributes"] == {"vip": True, "score": 2, "ratio": 1.5, "keep": "x", "odd.name-1": "y"}
    assert first["attributes"]["vip"] is True and type(first["attributes"]["score"]) is int
    assert second["attributes"] == {"vip": True, "score": 2, "ratio": 1.5, "odd.name-1": "y"}
    assert (first["version"], second["version"]) == (2, 2)
    assert first["tags"] == ["vip"] and second["tags"] == ["vip"]
    [event] = change_events(b)
    assert {c["attribute"] for c in event["params"]["changes"]} == {"attributes.ratio", "attributes.odd.name-1", "agreements.sms"}
    [event] = change_events(a)
    assert {"attribute": "attributes.plan", "old": "free", "new": None} in event["params"]["changes"]
    assert {"attribute": "attributes.vip", "old": False, "new": True} in event["params"]["changes"]
    out = io.StringIO()
    call_command("verify", stdout=out)  # exits 1 when a profile differs from its events
    assert "All profiles match" in out.getvalue()


def test_batch_edit_by_filter_changes_only_the_matching_profiles(api, make_profiles):
    warsaw_vip, warsaw, berlin_vip = make_profiles(
        {"email": "a@example.com", "city": "Warsaw", "tags": ["vip"], "attributes": {"plan": "pro"}},
        {"email": "b@example.com", "city": "Warsaw", "attributes": {"plan": "pro"}},
        {"email": "c@example.com", "city": "Berlin", "tags": ["vip"], "attributes": {"plan": "pro"}},
    )

    response = batch_edit(api, {"filter": {"city": "Warsaw", "tag": "vip", "attributes.plan": "pro"}},
                          {"set": {"attributes.segment": "gold"}})

    assert response.status_code == 200
    assert response.json()["total"] == 1
    assert api.get(f"/profiles/{warsaw_vip}").json()["attributes"]["segment"] == "gold"
    assert "segment" not in api.get(f"/profiles/{warsaw}").json()["attributes"]
    assert "segment" not in api.get(f"/profiles/{berlin_vip}").json()["attributes"]
    assert api.get("/attributes/segment").json()["type"] == "text"


def test_profiles_changed_by_a_job_are_listed_with_the_job_filter(api, make_profiles):
    a, b = make_profiles({"email": "a@example.com"}, {"email": "b@example.com", "city": "Kraków"})
    job = batch_edit(api, {"ids": [a, b]}, {"set": {"city": "Kraków"}}).json()

    listed = api.get(f"/profiles?job={job['id']}").json()

    assert [p["id"] for p in listed["items"]] == [a]
    assert api.get("/profiles?job=not-a-uuid").status_code == 422


def test_an_invalid_change_is_refused_whole_naming_the_field(api, make_profiles):
    [a] = make_profiles({"email": "a@example.com", "city": "Warsaw"})

    response = batch_edit(api, {"ids": [a]}, {"set": {"city": "Poznań", "birthDate": "1990-02-30", "sex": 7}})

    assert response.status_code == 422
    fields = {d["field"]: d["code"] for d in response.json()["error"]["details"]}
    assert fields == {"birthDate": "invalid_date", "sex": "invalid_choice"}
    assert api.get(f"/profiles/{a}").json()["city"] == "Warsaw"
    assert api.get("/jobs").json()["items"] == []


@pytest.mark.parametrize("changes, field", [
    ({}, "changes"),
    ({"set": {"tags": ["x"]}}, "tags"),
    ({"set": {"city": "A"}, "clear": ["city"]}, "city"),
    ({"clear": ["anonymousType"]}, "anonymousType"),
    ({"addTags": "vip"}, "addTags"),
    ({"addTags": ["a"], "removeTags": ["a"]}, "removeTags"),
    ({"agreements": {"fax": True}}, "agreements.fax"),
    ({"companyId": "00000000-0000-0000-0000-000000000001"}, "companyId"),
    ({"rename": {"a": "b"}}, "changes.rename"),
])
def test_bad_changes_are_422_naming_what_is_wrong(api, make_profiles, changes, field):
    [a] = make_profiles({"email": "a@example.com"})
    response = batch_edit(api, {"ids": [a]}, changes)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


@pytest.mark.parametrize("selection, field", [
    ({"filter": {"colour": "red"}}, "colour"),
    ({"filter": {"attributes.nothing": "x"}}, "attributes.nothing"),
    ({"ids": ["abc"]}, "selection.ids[0]"),
    ({"ids": []}, "selection.ids"),
    ({}, "selection"),
    ({"ids": [], "filter": {}}, "selection"),
])
def test_a_bad_selection_is_422_naming_the_parameter(api, selection, field):
    response = batch_edit(api, selection, {"set": {"city": "Poznań"}})
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_a_profile_whose_change_is_invalid_is_skipped_and_reported_while_the_rest_go_on(api, make_profiles, change_events):
    taken, a, b = make_profiles({"email": "taken@example.com"}, {"customId": "A"}, {"customId": "B"})
    missing = "00000000-0000-4000-8000-000000000000"

    job = batch_edit(api, {"ids": [a, b, missing]}, {"set": {"email": "taken@example.com", "city": "Łódź"}}).json()

    assert (job["status"], job["processed"], job["succeeded"], job["failed"]) == ("succeeded", 3, 0, 3)
    assert {(e["profileId"], e["field"], e["code"]) for e in job["errors"]} == {
        (a, "email", "taken"), (b, "email", "taken"), (missing, "id", "not_found")}
    assert change_events(a) == [] and api.get(f"/profiles/{a}").json()["city"] is None

    job = batch_edit(api, {"ids": [taken, a]}, {"set": {"email": "shared@example.com"}}).json()

    assert (job["succeeded"], job["failed"]) == (1, 1)
    assert [(e["field"], e["code"]) for e in job["errors"]] == [("email", "taken")]


def test_dry_run_reports_what_would_change_and_writes_nothing(api, make_profiles, change_events):
    a, b, same = make_profiles({"email": "a@example.com", "city": "Warsaw"}, {"email": "b@example.com"},
                               {"email": "c@example.com", "city": "Poznań", "tags": ["vip"]})

    response = batch_edit(api, {"ids": [a, b, same]}, {"set": {"city": "Poznań", "attributes.tier": 2}, "addTags": ["vip"]},
                          dryRun=True)

    assert response.status_code == 200
    job = response.json()
    assert job["dryRun"] is True
    summary = job["summary"]
    assert summary["changed"] == 3
    assert summary["attributes"] == {"city": 2, "attributes.tier": 3, "tags": 2}
    assert {s["profileId"] for s in summary["sample"]} == {a, b, same}
    assert {"attribute": "city", "old": "Warsaw", "new": "Poznań"} in next(s for s in summary["sample"] if s["profileId"] == a)["changes"]
    assert api.get(f"/profiles/{a}").json()["city"] == "Warsaw"
    assert change_events(a) == [] and change_events(same) == []
    assert api.get("/attributes/tier").status_code == 404
    assert api.get(f"/profiles?job={job['id']}").json()["total"] == 0


def test_a_change_that_changes_nothing_is_counted_unchanged_and_writes_no_event(api, make_profiles, change_events):
    [a] = make_profiles({"email": "a@example.com", "city": "Poznań"})
    job = batch_edit(api, {"ids": [a]}, {"set": {"city": "Poznań"}}).json()
    assert (job["summary"]["unchanged"], job["succeeded"]) == (1, 1)
    assert change_events(a) == []


def test_idempotency_key_starts_one_job(api, make_profiles):
    [a] = make_profiles({"email": "a@example.com", "attributes": {"visits": 1}})
    body = {"selection": {"ids": [a]}, "changes": {"addTags": ["x"]}}
    first = api.post("/profiles/batch-edit", body, headers={"Idempotency-Key": "edit-1"})
    second = api.post("/profiles/batch-edit", body, headers={"Idempotency-Key": "edit-1"})
    assert first.json()["id"] == second.json()["id"]
    assert len(api.get("/jobs").json()["items"]) == 1


def test_queries_do_not_grow_with_the_selection(api, make_profiles):
    make_profiles({"customId": "tagged", "tags": ["t"]})
    small = make_profiles(*({"customId": f"s{n}", "city": "A"} for n in range(20)))
    large = make_profiles(*({"customId": f"l{n}", "city": "B"} for n in range(400)))

    with CaptureQueriesContext(connection) as for_small:
        assert batch_edit(api, {"ids": small}, {"set": {"city": "C"}, "addTags": ["t"]}).status_code == 200
    with CaptureQueriesContext(connection) as for_large:
        assert batch_edit(api, {"ids": large}, {"set": {"city": "D"}, "addTags": ["t"]}).status_code == 200

    assert len(for_large) == len(for_small) <= 30, "\n".join(q["sql"][:150] for q in for_large.captured_queries)


def test_a_read_only_key_may_read_jobs_but_not_start_one(make_api, api, make_profiles):
    [a] = make_profiles({"email": "a@example.com"})
    job = batch_edit(api, {"ids": [a]}, {"set": {"city": "Poznań"}}).json()
    reader = make_api("profiles:read")

    assert batch_edit(reader, {"ids": [a]}, {"set": {"city": "Kraków"}}).status_code == 403
    assert reader.post(f"/jobs/{job['id']}/undo").status_code == 403
    assert reader.get(f"/jobs/{job['id']}").status_code == 200
    assert make_api("events:write").get("/jobs").status_code == 403
    assert api.get("/profiles").json()["items"][0]["city"] == "Poznań"


def test_a_browser_session_needs_the_csrf_token(make_user, make_profiles):
    from django.test import Client

    [a] = make_profiles({"email": "a@example.com"})
    make_user("editor", username="eddie")
    client = Client(enforce_csrf_checks=True)
    client.login(username="eddie", password="a-long-test-passphrase-1")
    body = {"selection": {"ids": [a]}, "changes": {"set": {"city": "Poznań"}}}

    refused = client.post("/api/v1/profiles/batch-edit", body, content_type="application/json")
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.post("/api/v1/profiles/batch-edit", body, content_type="application/json", headers={"X-CSRFToken": token})

    assert refused.status_code == 403, refused.content
    assert accepted.status_code == 200 and accepted.json()["createdBy"] == "user:eddie"
