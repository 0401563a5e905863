"""Workflow definitions through the API: validation naming node and field, versions, the sandbox
refusing hostile templates, and the test endpoint that writes nothing."""

import pytest

from dossier.activity.models import Event
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

SPEC_EXAMPLE = {
    "name": "Newsletter sign-up", "enabled": True,
    "trigger": {"event": "form.submit", "where": [{"param": "formId", "op": "eq", "value": "newsletter"}]},
    "nodes": [
        {"type": "profileFilter", "where": [{"attribute": "countryCode", "op": "eq", "value": "PL"}]},
        {"type": "delay", "seconds": 3600},
        {"type": "updateProfile", "set": {"city": "{{ event.params.city }}", "attributes.segment": "subscriber"},
         "clear": ["phone"], "addTags": ["newsletter"], "removeTags": [], "agreements": {"email": True}},
    ],
}


def create(api, definition):
    response = api.post("/workflows", definition)
    assert response.status_code == 201, response.content
    return response.json()


def details(response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.content
    return {(d["field"], d["code"]) for d in response.json()["error"]["details"]}


def test_the_spec_example_is_saved_as_version_1_and_read_back(api):
    workflow = create(api, SPEC_EXAMPLE)

    assert workflow["version"] == 1 and workflow["enabled"] is True
    assert workflow["nodes"] == SPEC_EXAMPLE["nodes"]
    assert api.get(f"/workflows/{workflow['id']}").json() == workflow
    assert [w["name"] for w in api.get("/workflows").json()["items"]] == ["Newsletter sign-up"]


def test_an_edit_is_a_new_version_and_enabling_is_not(api):
    workflow = create(api, SPEC_EXAMPLE)

    disabled = api.put(f"/workflows/{workflow['id']}", {**workflow, "enabled": False}).json()
    edited = api.put(f"/workflows/{workflow['id']}", {**disabled, "nodes": SPEC_EXAMPLE["nodes"][2:]}).json()

    assert (disabled["version"], disabled["enabled"]) == (1, False)
    assert (edited["version"], edited["enabled"]) == (2, False)
    assert edited["nodes"] == SPEC_EXAMPLE["nodes"][2:]


def test_validation_names_the_node_and_field_of_every_problem(api):
    response = api.post("/workflows", {
        "name": "broken", "surprise": 1,
        "trigger": {"event": "form.submit", "where": [{"param": "formId", "op": "like", "value": "x"}], "changed": ["city"]},
        "nodes": [
            {"type": "profileFilter", "where": [{"attribute": "shoeSize", "op": "eq", "value": 42}]},
            {"type": "delay", "seconds": 61 * 24 * 3600},
            {"type": "updateProfile", "set": {"birthDate": "1850-01-01", "email": "nope", "attributes.9": "x"},
             "clear": ["anonymousType"], "agreements": {"fax": True}, "addTags": [""]},
            {"type": "addEvent", "eventType": "profile.updated"},
            {"type": "sendEmail"},
            {"type": "updateProfile"},
            {"type": "addEvent", "eventType": "profile.deleted"},
        ]})

    assert details(response) == {
        ("surprise", "unknown_field"),
        ("trigger.where[0].op", "invalid_choice"),
        ("trigger.changed", "not_applicable"),
        ("nodes[0].where[0].attribute", "unknown_field"),
        ("nodes[1].seconds", "out_of_range"),
        ("nodes[2].set.birthDate", "out_of_range"),
        ("nodes[2].set.email", "invalid_email"),
        ("nodes[2].set.attributes.9", "invalid_name"),
        ("nodes[2].clear", "required"),
        ("nodes[2].agreements.fax", "unknown_field"),
        ("nodes[2].addTags[0]", "invalid_tag"),
        ("nodes[3].eventType", "reserved"),
        ("nodes[4].type", "invalid_choice"),
        ("nodes[5]", "empty"),
        ("nodes[6].eventType", "reserved"),
    }


@pytest.mark.parametrize("template,message", [
    ("{{ ''.__class__.__mro__ }}", "is private"),
    ("{{ event['__class__'] }}", "'__class__' is private"),
    ("{% for i in range(10) %}x{% endfor %}", "may not use loops"),
    ("{{ event.params.keys() }}", "may not use function calls"),
    ("{{ lipsum }}", "unknown name 'lipsum'"),
    ("{{ event.params.x | attr('y') }}", "unknown filter 'attr'"),
    ("{% set x = 1 %}", "may not use assignments"),
    ("{{ event.params.x", "template syntax error"),
])
def test_hostile_or_broken_templates_are_refused_on_save(api, template, message):
    response = api.post("/workflows", {"name": "hostile", "trigger": {"event": "visit"},
                                       "nodes": [{"type": "updateProfile", "set": {"firstName": template}}]})

    assert details(response) == {("nodes[0].set.firstName", "template_refused")}
    assert message in response.json()["error"]["details"][0]["message"]


def test_the_test_endpoint_shows_what_a_run_would_do_and_writes_nothing(api):
    workflow = create(api, SPEC_EXAMPLE)
    profile = api.post("/profiles", {"email": "anna@example.com", "countryCode": "PL", "phone": "600100200"}).json()
    events_before = Event.objects.count()

    response = api.post(f"/workflows/{workflow['id']}/test", {"event": {
        "type": "form.submit", "params": {"formId": "newsletter", "city": "Gdańsk"}, "profile": {"email": "anna@example.com"}}})

    result = response.json()
    assert response.status_code == 200, response.content
    assert (result["triggered"], result["status"], result["profileId"]) == (True, "done", profile["id"])
    assert [(e["type"], e["outcome"]) for e in result["log"]] == [
        ("profileFilter", "passed"), ("delay", "skipped"), ("updateProfile", "updated")]
    assert {c["attribute"] for c in result["changes"]} == {"city", "phone", "attributes.segment", "agreements.email", "tags"}
    assert Event.objects.count() == events_before
    assert api.get(f"/profiles/{profile['id']}").json()["version"] == 1


def test_the_test_endpoint_takes_unsaved_edits_and_reports_filters_and_triggers(api):
    workflow = create(api, SPEC_EXAMPLE)
    api.post("/profiles", {"email": "hans@example.com", "countryCode": "DE"})
    sample = {"type": "form.submit", "params": {"formId": "newsletter"}, "profile": {"email": "hans@example.com"}}

    filtered = api.post(f"/workflows/{workflow['id']}/test", {"event": sample}).json()
    edited = {**SPEC_EXAMPLE, "nodes": [{"type": "addEvent", "eventType": "welcomed", "params": {"city": "{{ profile.countryCode }}"}}]}
    added = api.post(f"/workflows/{workflow['id']}/test", {"event": sample, "definition": edited}).json()
    other = api.post(f"/workflows/{workflow['id']}/test", {"event": {**sample, "params": {"formId": "other"}}}).json()

    assert (filtered["status"], filtered["reason"]) == ("filtered", "nodes[0] profileFilter: countryCode eq 'PL' is not met")
    assert added["log"][0]["params"] == {"city": "DE"}
    assert added["log"][0]["detail"] == "would add a welcomed event"
    assert (other["triggered"], other["status"]) == (False, None)
    assert not Event.objects.filter(type="welcomed").exists()


def test_the_test_endpoint_without_a_stored_profile_shows_a_new_profile(api):
    workflow = create(api, {**SPEC_EXAMPLE, "nodes": SPEC_EXAMPLE["nodes"][2:]})

    result = api.post(f"/workflows/{workflow['id']}/test", {"event": {
        "type": "form.submit", "params": {"formId": "newsletter", "city": "Gdańsk"}}}).json()

    assert (result["profileFound"], result["status"]) == (False, "done")
    assert {"attribute": "city", "old": None, "new": "Gdańsk", "node": 0} in result["changes"]
    assert not Profile.objects.exists()


def test_a_bad_sample_is_a_422_naming_the_field(api):
    workflow = create(api, SPEC_EXAMPLE)
    response = api.post(f"/workflows/{workflow['id']}/test", {"event": {"type": "!", "params": []}})
    assert details(response) == {("event.type", "invalid_type_name"), ("event.params", "invalid_type")}


def test_workflows_need_the_workflows_scope_and_unknown_ids_are_404(api, make_api):
    workflow = create(api, SPEC_EXAMPLE)
    reader = make_api("profiles:read", "profiles:write")
    assert reader.get("/workflows").status_code == 403
    assert reader.post(f"/workflows/{workflow['id']}/test", {"event": {"type": "x1"}}).status_code == 403
    assert api.get("/workflows/999999").status_code == 404
    assert api.get("/workflows/abc").status_code == 404
    assert api.delete(f"/workflows/{workflow['id']}").status_code == 204
    assert api.get(f"/workflows/{workflow['id']}").status_code == 404


def test_the_runs_list_is_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    from dossier.workflows.engine import process_batch

    workflow = create(api, {"name": "tagger", "enabled": True, "trigger": {"event": "visit"},
                            "nodes": [{"type": "updateProfile", "addTags": ["visitor"]}]})
    api.post("/profiles/batch", [{"email": f"p{i}@example.com"} for i in range(30)])
    api.post("/events/batch", [{"profile": {"email": f"p{i}@example.com"}, "type": "visit"} for i in range(30)])
    process_batch()

    with django_assert_max_num_queries(4):
        response = api.get(f"/workflows/{workflow['id']}/runs?limit=25")

    assert len(response.json()["items"]) == 25 and response.json()["nextCursor"]
    rest = api.get(f"/workflows/{workflow['id']}/runs?limit=25&cursor={response.json()['nextCursor']}").json()
    assert len(rest["items"]) == 5 and rest["nextCursor"] is None
    assert api.get(f"/workflows/{workflow['id']}/runs?status=nonsense").status_code == 422
