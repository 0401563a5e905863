"""Batch edit writes set-wise (one UPDATE per chunk), PATCH writes through the general path: the
same change on twin profiles must leave the same values, versions and change records either way,
and undo must take the set-wise job back exactly."""

import pytest

pytestmark = pytest.mark.django_db

CHANGES = {"set": {"attributes.segment": "mobile", "attributes.score": 50, "city": "Gdańsk"},
           "clear": ["attributes.legacy"], "addTags": ["campaign"], "removeTags": ["old"],
           "agreements": {"sms": True}}
PATCH = {"attributes": {"segment": "mobile", "score": 50, "legacy": None}, "city": "Gdańsk",
         "addTags": ["campaign"], "removeTags": ["old"], "agreements": {"sms": True}}
# Twins differ only in their email and in the group tag that selects one side.
STATES = [
    {},
    {"city": "Gdańsk", "attributes": {"segment": "mobile", "score": 50}, "tags": ["campaign"],
     "agreements": {"sms": True}},  # already as the change wants it: no write, no event
    {"city": "Sopot", "attributes": {"score": 49, "legacy": "x"}, "tags": ["old", "vip"]},
    {"attributes": {"segment": "web", "plan": "pro"}, "tags": ["campaign"]},
    {"city": "Gdańsk", "agreements": {"sms": True}, "tags": ["old"]},
    {"firstName": "Anna", "attributes": {"score": 7}},
]
COMPARED = ("city", "attributes", "tags", "agreements", "version", "firstName", "anonymousType")


@pytest.fixture
def twins(api, make_profiles):
    for name, kind in (("segment", "text"), ("score", "integer"), ("legacy", "text"), ("plan", "text")):
        response = api.post("/attributes", {"name": name, "label": name.title(), "type": kind})
        assert response.status_code == 201, response.content
    made = {}
    for side in ("setwise", "patched"):
        made[side] = make_profiles(*[
            {**state, "email": f"{side}{n}@example.com", "tags": [*state.get("tags", []), side]}
            for n, state in enumerate(STATES)])
    return made


def _state(api, profile_id):
    profile = api.get(f"/profiles/{profile_id}").json()
    state = {key: profile[key] for key in COMPARED}
    state["tags"] = sorted(set(state["tags"]) - {"setwise", "patched"})
    return state


def _changes(api, profile_id):
    """Each change event's changes, by attribute: a job keeps its request in a JSON column, whose
    key order PostgreSQL's jsonb does not keep, and the order within one event means nothing."""
    events = api.get(f"/profiles/{profile_id}/events?type=profile.updated").json()["items"]
    return [sorted(event["params"]["changes"], key=lambda change: change["attribute"]) for event in reversed(events)]


def test_set_wise_batch_edit_matches_the_general_path_profile_by_profile(api, twins):
    before = [_state(api, pid) for pid in twins["setwise"]]

    response = api.post("/profiles/batch-edit", {"selection": {"filter": {"tag": "setwise"}}, "changes": CHANGES})
    assert response.status_code == 200, response.content
    job = response.json()
    assert job["status"] == "succeeded", job
    for pid in twins["patched"]:
        assert api.patch(f"/profiles/{pid}", PATCH).status_code == 200

    for n, (setwise, patched) in enumerate(zip(twins["setwise"], twins["patched"])):
        assert _state(api, setwise) == _state(api, patched), f"twin {n}"
        assert _changes(api, setwise) == _changes(api, patched), f"twin {n}"
    assert _changes(api, twins["setwise"][1]) == []  # unchanged: no event, no version bump
    assert _state(api, twins["setwise"][1])["version"] == 1
    assert (job["summary"]["changed"], job["summary"]["unchanged"]) == (len(STATES) - 1, 1)

    undone = api.post(f"/jobs/{job['id']}/undo")
    assert undone.status_code in (200, 202), undone.content
    for n, pid in enumerate(twins["setwise"]):
        after = _state(api, pid)
        expected = {**before[n], "version": after["version"]}
        assert after == expected, f"twin {n} after undo"
