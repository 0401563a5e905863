"""The activity list, events added by hand and tracked events (SPEC §3, §4)."""

import pytest

from dossier.activity.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(api):
    return api.post("/profiles", {"email": "anna@example.com", "customId": "C-1"}).json()


def test_event_added_by_hand_shows_on_the_activity_list_newest_first(api, profile):
    response = api.post(f"/profiles/{profile['id']}/events", {"type": "call.logged", "params": {"minutes": 5}})
    assert response.status_code == 201
    assert response.json()["actor"].startswith("apikey:")

    items = api.get(f"/profiles/{profile['id']}/events").json()["items"]
    assert [e["type"] for e in items] == ["call.logged", "profile.created"]
    assert items[0]["params"] == {"minutes": 5}


def test_activity_list_pages_and_filters_by_type(api, profile):
    for n in range(5):
        api.post(f"/profiles/{profile['id']}/events", {"type": "page.visit", "params": {"n": n}})

    first = api.get(f"/profiles/{profile['id']}/events?type=page.visit&limit=2").json()
    second = api.get(f"/profiles/{profile['id']}/events?type=page.visit&limit=2&cursor={first['nextCursor']}").json()

    assert [e["params"]["n"] for e in first["items"] + second["items"]] == [4, 3, 2, 1]


@pytest.mark.parametrize("body,field", [
    ({"type": "x"}, "type"),
    ({"type": "bad type!"}, "type"),
    ({"type": "profile.updated"}, "type"),
    ({"type": "ok.type", "params": [1, 2]}, "params"),
    ({"type": "ok.type", "time": "yesterday"}, "time"),
])
def test_invalid_event_is_rejected_naming_the_field(api, profile, body, field):
    response = api.post(f"/profiles/{profile['id']}/events", body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field
    assert Event.objects.filter(profile_id=profile["id"]).count() == 1


def test_track_event_by_email_and_custom_id(api, profile):
    by_email = api.post("/events", {"profile": {"email": "ANNA@example.com"}, "type": "cart.add", "params": {"sku": "A1"}})
    by_custom = api.post("/events", {"profile": {"customId": "C-1"}, "type": "cart.add", "time": "2026-01-02T03:04:05Z"})
    unknown = api.post("/events", {"profile": {"email": "nobody@example.com"}, "type": "cart.add"})

    assert by_email.status_code == 201 and by_email.json()["profileId"] == profile["id"]
    assert by_custom.json()["time"].startswith("2026-01-02T03:04:05")
    assert unknown.status_code == 404


def test_track_events_batch_reports_each_event(api, profile):
    response = api.post("/events/batch", [
        {"profile": {"id": profile["id"]}, "type": "email.open"},
        {"profile": {"email": "nobody@example.com"}, "type": "email.open"},
        {"profile": {"id": profile["id"]}, "type": "!"},
    ])

    assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected", "rejected"]
    assert Event.objects.filter(profile_id=profile["id"], type="email.open").count() == 1


def test_events_batch_over_1000_is_refused(api, profile):
    response = api.post("/events/batch", [{"profile": {"id": profile["id"]}, "type": "a.b"}] * 1001)
    assert response.status_code == 422
    assert not Event.objects.filter(type="a.b").exists()


def test_events_write_needs_events_scope(make_api, profile):
    reader = make_api("profiles:read")
    assert reader.post(f"/profiles/{profile['id']}/events", {"type": "a.b"}).status_code == 403
    assert reader.get(f"/profiles/{profile['id']}/events").status_code == 200
