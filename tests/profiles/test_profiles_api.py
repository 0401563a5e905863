"""The profile endpoints of SPEC §4, through the API."""

import pytest

from dossier.activity.models import Event
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db


def create(api, **fields):
    response = api.post("/profiles", fields)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_normalizes_fields_and_records_profile_created(api):
    profile = create(api, email=" Anna@Example.COM ", firstName="Anna", phone="600 100 200", sex="FEMALE",
                     countryCode="pl", tags=["vip"], agreements={"email": "true", "sms": 0})

    assert profile["email"] == "anna@example.com"
    assert profile["phone"] == "+48600100200"
    assert profile["sex"] == 2
    assert profile["countryCode"] == "PL"
    assert profile["anonymousType"] == "recognized"
    assert profile["agreements"] == {"email": True, "sms": False, "push": False, "webPush": False}
    assert profile["version"] == 1
    [event] = Event.objects.filter(profile_id=profile["id"])
    assert event.type == "profile.created"
    assert event.source == "api"
    assert {"attribute": "email", "old": None, "new": "anna@example.com"} in event.params["changes"]


def test_patch_records_every_change_old_to_new(api):
    profile = create(api, email="a@example.com", city="Warsaw", tags=["old"])

    response = api.patch(f"/profiles/{profile['id']}", {"city": "Kraków", "addTags": ["new"], "removeTags": ["old"],
                                                          "agreements": {"sms": True}, "attributes": {"score": 7}})

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    event = Event.objects.filter(profile_id=profile["id"], type="profile.updated").get()
    assert event.params["changes"] == [
        {"attribute": "city", "old": "Warsaw", "new": "Kraków"},
        {"attribute": "attributes.score", "old": None, "new": 7},
        {"attribute": "agreements.sms", "old": False, "new": True},
        {"attribute": "tags", "added": ["new"], "removed": ["old"]},
    ]


def test_write_that_changes_nothing_bumps_nothing(api):
    profile = create(api, email="a@example.com", city="Warsaw")

    response = api.patch(f"/profiles/{profile['id']}", {"city": "Warsaw", "email": "A@example.com"})

    assert response.json()["version"] == 1
    assert Event.objects.filter(profile_id=profile["id"]).count() == 1


def test_null_clears_a_field_and_removes_a_custom_attribute(api):
    profile = create(api, email="a@example.com", city="Warsaw", attributes={"plan": "pro"})

    data = api.patch(f"/profiles/{profile['id']}", {"city": None, "attributes": {"plan": None}}).json()

    assert data["city"] is None
    assert data["attributes"] == {}


@pytest.mark.parametrize("field,value,code", [
    ("email", "not-an-email", "invalid_email"),
    ("sex", 5, "invalid_choice"),
    ("birthDate", "1850-01-01", "out_of_range"),
    ("birthDate", "2999-01-01", "out_of_range"),
    ("countryCode", "XX", "invalid_country"),
    ("firstName", "Anna\x00", "control_characters"),
    ("avatarUrl", "javascript:alert(1)", "invalid_url"),
    ("firstName", "x" * 256, "too_long"),
    ("nonsense", 1, "unknown_field"),
])
def test_invalid_value_is_rejected_naming_the_field_and_nothing_applies(api, field, value, code):
    profile = create(api, email="a@example.com", city="Warsaw")

    response = api.patch(f"/profiles/{profile['id']}", {"city": "Berlin", field: value})

    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert {"field": field, "code": code} == {k: details[0][k] for k in ("field", "code")}
    assert Profile.objects.get(id=profile["id"]).city == "Warsaw"


def test_every_problem_is_listed(api):
    response = api.post("/profiles", {"email": "bad", "sex": 9, "birthDate": "1850-01-01"})

    assert response.status_code == 422
    assert sorted(d["field"] for d in response.json()["error"]["details"]) == ["birthDate", "email", "sex"]
    assert Profile.objects.count() == 0


def test_custom_attribute_type_is_inferred_then_values_coerced(api):
    profile = create(api, email="a@example.com", attributes={"visits": 3})

    assert api.patch(f"/profiles/{profile['id']}", {"attributes": {"visits": "12"}}).json()["attributes"] == {"visits": 12}
    response = api.patch(f"/profiles/{profile['id']}", {"attributes": {"visits": "many"}})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "attributes.visits"
    assert api.get("/attributes/visits").json()["type"] == "integer"


def test_standard_field_name_cannot_be_a_custom_attribute(api):
    response = api.post("/attributes", {"name": "email", "type": "text"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "reserved_name"

    response = api.post("/profiles", {"attributes": {"firstName": "x"}})
    assert response.status_code == 422


def test_stale_if_match_gets_412(api):
    profile = create(api, email="a@example.com")

    first = api.patch(f"/profiles/{profile['id']}", {"city": "A"}, headers={"If-Match": '"1"'})
    second = api.patch(f"/profiles/{profile['id']}", {"city": "B"}, headers={"If-Match": '"1"'})

    assert first.status_code == 200
    assert second.status_code == 412
    assert api.get(f"/profiles/{profile['id']}").json()["city"] == "A"


def test_identifier_taken_is_409(api):
    create(api, email="a@example.com")
    other = create(api, email="b@example.com")

    response = api.patch(f"/profiles/{other['id']}", {"email": "a@example.com"})

    assert response.status_code == 409
    assert api.post("/profiles", {"email": "A@example.com"}).status_code == 409


def test_read_by_email_and_custom_id_and_delete(api):
    profile = create(api, email="a@example.com", customId="C-1")

    assert api.get("/profiles/by-email/A@example.com").json()["id"] == profile["id"]
    assert api.get("/profiles/by-custom-id/C-1").json()["id"] == profile["id"]
    assert api.delete(f"/profiles/{profile['id']}").status_code == 204
    assert api.get(f"/profiles/{profile['id']}").status_code == 404
    assert not Event.objects.filter(profile_id=profile["id"]).exists()


def test_list_filters_and_cursor_paging(api):
    for n in range(5):
        create(api, email=f"p{n}@example.com", city="Warsaw" if n % 2 else "Berlin", tags=["vip"] if n < 2 else [],
               attributes={"plan": "pro" if n == 4 else "free"})

    assert api.get("/profiles?city=Warsaw").json()["total"] == 2
    assert api.get("/profiles?tag=vip").json()["total"] == 2
    assert [p["email"] for p in api.get("/profiles?attributes.plan=pro").json()["items"]] == ["p4@example.com"]
    first = api.get("/profiles?limit=2&sort=email").json()
    second = api.get(f"/profiles?limit=2&sort=email&cursor={first['nextCursor']}").json()
    third = api.get(f"/profiles?limit=2&sort=email&cursor={second['nextCursor']}").json()
    emails = [p["email"] for page in (first, second, third) for p in page["items"]]
    assert emails == [f"p{n}@example.com" for n in range(5)]
    assert third["nextCursor"] is None
    bad = api.get("/profiles?colour=red")
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "colour"


def test_tags_and_company_endpoints_write_through_the_change_path(api):
    profile = create(api, email="a@example.com")
    company = api.post("/companies", {"name": "Acme"}).json()

    api.post(f"/profiles/{profile['id']}/tags/vip")
    api.put(f"/profiles/{profile['id']}/company", {"companyId": company["id"]})
    data = api.delete(f"/profiles/{profile['id']}/tags/vip").json()

    assert data["tags"] == [] and data["company"] == {"id": company["id"], "name": "Acme"}
    changes = [e.params["changes"] for e in Event.objects.filter(profile_id=profile["id"], type="profile.updated").order_by("id")]
    assert changes[1] == [{"attribute": "company", "old": None, "new": {"id": company["id"], "name": "Acme"}}]
    assert api.delete(f"/companies/{company['id']}").status_code == 204
    assert api.get(f"/profiles/{profile['id']}").json()["company"] is None
    assert api.get("/tags").json() == {"items": []}


def test_openapi_docs_are_served_without_a_cdn(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"cdn." not in page.content
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/profiles/batch" in schema["paths"]


def test_merge_fills_the_survivor_keeps_its_values_and_erases_the_others(api, make_api):
    keep = create(api, email="ann@example.com", firstName="Ann", agreements={"sms": False}, tags=["vip"])
    other = create(api, email="ann.b@example.com", firstName="Anna", city="Gdańsk", customId="crm-9",
                   agreements={"sms": True}, attributes={"score": 3}, tags=["b2b"])
    api.post(f"/profiles/{other['id']}/events", {"type": "page.visit", "params": {"url": "/"}})

    refused = make_api("profiles:read").post(f"/profiles/{keep['id']}/merge", {"from": [other["id"]]})
    unknown = api.post(f"/profiles/{keep['id']}/merge", {"from": [other["id"], "01a25333-af3f-7aa9-8794-8ce3b9d1cf6f"]})
    into_itself = api.post(f"/profiles/{keep['id']}/merge", {"from": [keep["id"]]})
    not_ids = api.post(f"/profiles/{keep['id']}/merge", {"from": ["ann.b@example.com"]})
    assert (refused.status_code, unknown.status_code, into_itself.status_code, not_ids.status_code) == (403, 404, 409, 422)
    assert api.get(f"/profiles/{other['id']}").status_code == 200  # nothing applied

    merged = api.post(f"/profiles/{keep['id']}/merge", {"from": [other["id"]]})

    assert merged.status_code == 200, merged.content
    body = merged.json()
    assert (body["email"], body["firstName"], body["city"], body["customId"]) == ("ann@example.com", "Ann", "Gdańsk", "crm-9")
    assert body["attributes"] == {"score": 3} and sorted(body["tags"]) == ["b2b", "vip"]
    assert body["agreements"]["sms"] is False  # a merge grants no consent
    assert api.get(f"/profiles/{other['id']}").status_code == 404
    types = [e["type"] for e in api.get(f"/profiles/{keep['id']}/events").json()["items"]]
    assert types.count("page.visit") == 1 and types.count("profile.updated") == 1
