"""The Synerise-compatible API under /v4, driven with bodies shaped as Synerise's documentation and
its PHP SDK send them (camelCase CreateClientRequestBody, `Api-Version: 4.4`, arrays for batches)."""

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from dossier.accounts.services import do_create_api_key
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

JOHN = {"email": "john.doe@example.com", "firstName": "John", "lastName": "Doe", "phone": "+48 600 111 222",
        "customId": "crm-123", "city": "Warsaw", "countryCode": "PL", "birthDate": "1983-05-03", "sex": "MALE",
        "company": "Acme", "agreements": {"email": True, "sms": "False", "bluetooth": 1},
        "attributes": {"hasDog": True, "loyaltyLevel": "gold"}, "tags": ["vip", "newsletter"]}


class V4:
    """A Synerise client: JSON to /v4 with a bearer key and Synerise's Api-Version header."""

    def __init__(self, key: str | None):
        headers = {"Api-Version": "4.4"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.client = Client(headers=headers)

    def post(self, path: str, body=None):
        return self.client.post(f"/v4{path}", data=json.dumps(body) if body is not None else "",
                                content_type="application/json")

    def get(self, path: str):
        return self.client.get(f"/v4{path}")

    def delete(self, path: str):
        return self.client.delete(f"/v4{path}")


@pytest.fixture
def v4(db):
    _, key = do_create_api_key("synerise-client", ["profiles:read", "profiles:write", "events:write"])
    return V4(key)


def client_of(v4, email: str) -> dict:
    response = v4.get(f"/clients/email/{email}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_batch_as_the_sdk_sends_it_is_accepted_and_stored(v4):
    response = v4.post("/clients/batch", [JOHN, {"email": "ann@example.com", "firstName": "Ann", "sex": "FEMALE"}])

    assert (response.status_code, response.content) == (202, b"")
    john = client_of(v4, "john.doe@example.com")
    assert isinstance(john["clientId"], int) and john["clientId"] > 0
    assert {k: john[k] for k in ("firstName", "lastName", "phone", "customId", "city", "countryCode", "birthDate", "sex",
                                 "company", "anonymous")} == {
        "firstName": "John", "lastName": "Doe", "phone": "+48600111222", "customId": "crm-123", "city": "Warsaw",
        "countryCode": "PL", "birthDate": "1983-05-03", "sex": "MALE", "company": "Acme", "anonymous": False}
    assert john["agreements"] == {"email": True, "sms": False, "push": False, "webPush": False, "bluetooth": True,
                                  "rfid": False, "wifi": False}
    assert john["attributes"] == {"hasDog": True, "loyaltyLevel": "gold"}
    assert sorted(john["tags"]) == ["newsletter", "vip"]
    assert client_of(v4, "ann@example.com")["sex"] == "FEMALE"
    assert v4.get(f"/clients/{john['clientId']}").json() == john  # the same clientId every time


def test_a_batch_with_bad_items_is_207_naming_each_and_applies_the_rest(v4):
    response = v4.post("/clients/batch", [
        {"email": "good@example.com", "city": "Oslo"},
        {"email": "not-an-email", "city": "Rome"},
        {"clientId": 999999, "attributes": {"plan": "pro"}},
        {"email": "good2@example.com", "sex": "ROBOT"},
    ])

    assert response.status_code == 207
    problems = [(p["index"], p["field"], p["code"], p["rule"]) for p in response.json()]
    assert problems == [(1, "email", 400, "invalid_email"), (2, "clientId", 404, "not_found"), (3, "sex", 400, "invalid_choice")]
    assert all(p["message"] for p in response.json())
    assert Profile.objects.filter(email="good@example.com").exists()
    assert not Profile.objects.filter(email="good2@example.com").exists()
    assert Profile.objects.count() == 1  # a clientId alone only updates: nothing created


def test_an_update_by_client_id_merges_and_null_clears(v4):
    v4.post("/clients/batch", [JOHN])
    john = client_of(v4, "john.doe@example.com")

    response = v4.post(f"/clients/{john['clientId']}", {"city": None, "attributes": {"hasDog": None, "cats": 2}})

    assert response.status_code == 202, response.content
    after = response.json()
    assert (after["city"], after["firstName"]) == (None, "John")
    assert after["attributes"] == {"loyaltyLevel": "gold", "cats": 2}


def test_by_customid_changes_the_email_and_its_own_email_is_not_taken(v4):
    v4.post("/clients/batch", [JOHN])

    same = v4.post("/clients/by-customid/crm-123", {"email": "john.doe@example.com", "city": "Gdańsk"})
    changed = v4.post("/clients/by-customid/crm-123", {"email": "john@new.example.com"})

    assert same.status_code == 202, same.content
    assert changed.status_code == 202, changed.content
    assert changed.json()["email"] == "john@new.example.com" and changed.json()["city"] == "Gdańsk"
    assert v4.post("/clients/by-email/john@new.example.com", {"lastName": "Smith"}).json()["lastName"] == "Smith"


def test_an_email_another_profile_holds_is_a_409(v4):
    v4.post("/clients/batch", [JOHN, {"email": "ann@example.com", "customId": "crm-9"}])

    response = v4.post("/clients/by-customid/crm-9", {"email": "john.doe@example.com"})

    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "email"


def test_reserved_attribute_names_are_not_stored_and_are_reported(v4):
    response = v4.post("/clients", {"email": "ann@example.com", "attributes": {"firstname": "Ann", "receive_smses": True,
                                                                              "plan": "pro"}})

    assert response.status_code == 202
    assert response.json()["attributes"] == {"plan": "pro"}
    assert {i["field"] for i in response.json()["ignored"]} == {"attributes.firstname", "attributes.receive_smses"}
    batch = v4.post("/clients/batch", [{"email": "bob@example.com", "attributes": {"custom_identify": "x"}}])
    assert batch.status_code == 207 and batch.json()[0]["field"] == "attributes.custom_identify"


def test_an_unknown_field_is_refused_not_dropped(v4):
    response = v4.post("/clients", {"email": "ann@example.com", "favouriteColour": "blue"})

    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["error"], body["path"]) == (400, "Bad Request", "/v4/clients")
    assert body["errors"][0]["field"] == "favouriteColour" and "timestamp" in body
    assert not Profile.objects.exists()


def test_reads_by_each_identifier_and_a_missing_one_is_404(v4):
    v4.post("/clients/batch", [JOHN])
    john = client_of(v4, "john.doe@example.com")

    for kind, value in (("customId", "crm-123"), ("uuid", john["uuid"]), ("clientId", john["clientId"]),
                        ("phone", "+48600111222")):
        assert v4.get(f"/clients/{kind}/{value}").json()["clientId"] == john["clientId"], kind
    missing = v4.get("/clients/email/nobody@example.com")
    assert missing.status_code == 404 and missing.json()["error"] == "Not Found"
    assert v4.get("/clients/shoeSize/42").status_code == 400


def test_delete_by_client_id_and_by_custom_id(v4):
    v4.post("/clients/batch", [JOHN, {"email": "ann@example.com", "customId": "crm-9"}])
    john = client_of(v4, "john.doe@example.com")

    assert v4.delete(f"/clients/{john['clientId']}").status_code == 204
    assert v4.delete("/clients/by-custom-id/crm-9").status_code == 204
    assert v4.get(f"/clients/{john['clientId']}").status_code == 404
    assert not Profile.objects.exists()


def test_writes_go_through_the_change_path_with_source_api(v4, api):
    v4.post("/clients/batch", [JOHN])
    profile_id = client_of(v4, "john.doe@example.com")["uuid"]

    [event] = api.get(f"/profiles/{profile_id}/events?type=profile.created").json()["items"]

    assert (event["source"], event["actor"]) == ("api", "apikey:synerise-client")


def test_custom_events_as_synerise_sends_them(v4, api):
    v4.post("/clients/batch", [JOHN])
    john = client_of(v4, "john.doe@example.com")
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).isoformat()

    one = v4.post("/events/custom", {"action": "product.buy", "label": "Bought a product",
                                     "client": {"email": "john.doe@example.com"}, "time": future,
                                     "params": {"sku": "X-1", "price": 19.99}})
    batch = v4.post("/events/batch", [
        {"action": "page.visit", "label": "Visit", "client": {"customId": "crm-123"}, "params": {"url": "/"}},
        {"action": "page.visit", "label": "Visit", "client": {"id": john["clientId"]}, "params": {"url": "/cart"}},
        {"action": "page.visit", "label": "Visit", "client": {"email": "nobody@example.com"}},
    ])

    assert one.status_code == 202
    assert batch.status_code == 207 and [(p["index"], p["code"]) for p in batch.json()] == [(2, 404)]
    events = api.get(f"/profiles/{john['uuid']}/events").json()["items"]
    bought = next(e for e in events if e["type"] == "product.buy")
    assert bought["params"] == {"sku": "X-1", "price": 19.99}
    assert dt.datetime.fromisoformat(bought["time"]) < dt.datetime.now(dt.timezone.utc)  # a future time is the receipt's
    assert sorted(e["params"]["url"] for e in events if e["type"] == "page.visit") == ["/", "/cart"]
    unknown = v4.post("/events/custom", {"action": "x.y", "label": "l", "client": {"email": "nobody@example.com"}})
    assert unknown.status_code == 404


def test_who_may_call_it_and_errors_in_synerise_envelope(v4, db):
    nobody = V4(None).post("/clients/batch", [JOHN])
    _, reader = do_create_api_key("reader", ["profiles:read"])
    refused = V4(reader).post("/clients/batch", [JOHN])
    unknown = v4.get("/nope/nothing")

    assert nobody.status_code == 401 and nobody.json()["status"] == 401
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    assert unknown.status_code == 404 and unknown.json()["path"] == "/v4/nope/nothing"
    assert not Profile.objects.exists()
    too_many = v4.post("/clients/batch", [{"email": f"p{n}@example.com"} for n in range(1001)])
    assert too_many.status_code == 400 and "at most 1000" in too_many.json()["message"]


def test_a_create_naming_an_existing_profile_updates_it(v4):
    v4.post("/clients", {"email": "ann@example.com", "city": "Oslo"})

    response = v4.post("/clients", {"email": "ann@example.com", "firstName": "Ann"})

    assert response.status_code == 202
    assert (response.json()["city"], response.json()["firstName"]) == ("Oslo", "Ann")
    assert Profile.objects.count() == 1


def test_the_list_filters_pages_and_sorts_as_synerise_names_them(v4):
    v4.post("/clients/batch", [JOHN, *({"email": f"p{n}@example.com", "lastName": f"L{n}", "firstName": "Ann"}
                                       for n in range(5))])

    johns = v4.get("/clients?filters[email]=JOHN.DOE@example.com")
    anns = v4.get("/clients?filters[firstName]=Ann&sortBy=lastName&sortOrder=asc&pageSize=2&pageIndex=1")
    last = v4.get("/clients?filters[firstName]=Ann&sortBy=lastName&sortOrder=asc&pageSize=2&pageIndex=2")

    assert johns.status_code == 200, johns.content
    assert [c["email"] for c in johns.json()] == ["john.doe@example.com"]
    assert johns.json()[0] == client_of(v4, "john.doe@example.com")  # the same client JSON as a read
    assert [c["lastName"] for c in anns.json()] == ["L2", "L3"]
    assert [c["lastName"] for c in last.json()] == ["L4"]  # a short page: the end
    assert len(v4.get("/clients").json()) == 6
    by_phone = v4.get("/clients?" + urlencode({"filters[phone]": "+48 600-111-222"})).json()
    assert [c["email"] for c in by_phone] == ["john.doe@example.com"]
    assert v4.get("/clients?filters[anonymous]=true").json() == []
    assert len(v4.get("/clients?filters[anonymous]=false").json()) == 6


def test_the_list_refuses_what_it_cannot_apply_naming_the_parameter(v4):
    for query, field in (("filters[city]=Oslo", "filters[city]"), ("pageSize=0", "pageSize"),
                         ("pageIndex=-1", "pageIndex"), ("sortOrder=up", "sortOrder"), ("sortBy=shoeSize", "sortBy"),
                         ("filters[email]=not-an-email", "filters[email]"), ("filters[anonymous]=maybe", "filters[anonymous]")):
        response = v4.get(f"/clients?{query}")
        assert response.status_code == 400, query
        assert [e["field"] for e in response.json()["errors"]] == [field], query


def test_tags_are_listed_given_and_taken_off_through_the_change_path(v4, api):
    v4.post("/clients/batch", [JOHN, {"email": "ann@example.com", "tags": ["lead"]}])
    john = client_of(v4, "john.doe@example.com")
    tags = {t["name"]: t for t in v4.get("/clients/tags").json()}

    given = v4.post(f"/clients/{john['clientId']}/tags/{tags['lead']['id']}")
    taken = v4.delete(f"/clients/{john['clientId']}/tags/{tags['vip']['id']}")
    again = v4.delete(f"/clients/{john['clientId']}/tags/{tags['vip']['id']}")

    assert sorted(tags) == ["lead", "newsletter", "vip"] and tags["vip"]["color"] is None
    assert (given.status_code, taken.status_code, again.status_code) == (204, 204, 204)
    assert [t["name"] for t in v4.get(f"/clients/{john['clientId']}/tags").json()] == ["lead", "newsletter"]
    updates = api.get(f"/profiles/{john['uuid']}/events?type=profile.updated").json()["items"]
    assert [(e["source"], [c["attribute"] for c in e["params"]["changes"]]) for e in updates] == [
        ("api", ["tags"]), ("api", ["tags"])]  # one per change; the repeated removal changed nothing
    assert v4.post(f"/clients/{john['clientId']}/tags/999999").status_code == 404
    assert v4.post("/clients/424242/tags/1").status_code == 404
    _, reader = do_create_api_key("reader", ["profiles:read"])
    assert V4(reader).post(f"/clients/{john['clientId']}/tags/{tags['vip']['id']}").status_code == 403


def test_a_profile_whose_custom_id_is_tags_is_still_read_by_it(v4):
    v4.post("/clients/batch", [{"email": "odd@example.com", "customId": "tags"}])

    response = v4.get("/clients/customId/tags")

    assert response.status_code == 200 and response.json()["email"] == "odd@example.com"


def test_a_first_list_page_gives_every_new_profile_its_own_client_id_in_one_write(v4):
    v4.post("/clients/batch", [{"email": f"n{n}@example.com"} for n in range(30)])
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        first = v4.get("/clients?pageSize=30")
    again = v4.get("/clients?pageSize=30")

    numbers = [c["clientId"] for c in first.json()]
    assert len(numbers) == 30 and len(set(numbers)) == 30 and all(isinstance(n, int) and n > 0 for n in numbers)
    assert [c["clientId"] for c in again.json()] == numbers  # given once, kept
    assert [c["clientId"] for c in again.json()] == [client_of(v4, c["email"])["clientId"] for c in again.json()]
    assert len([sql for sql in statements if sql.startswith("UPDATE")]) == 1


@pytest.mark.django_db(transaction=True)  # the change feed shows committed events only
def test_a_merge_fills_the_survivor_from_the_others_and_their_ids_name_it(v4, api):
    v4.post("/clients/batch", [
        {"email": "ann@example.com", "customId": "crm-1", "firstName": "Ann", "tags": ["vip"],
         "agreements": {"email": True}, "attributes": {"tier": "gold"}},
        {"email": "ann.work@example.com", "customId": "crm-2", "firstName": "Anna", "lastName": "Nowak",
         "phone": "+48 600 111 222", "tags": ["b2b"], "attributes": {"tier": "silver", "shoe": 38}},
        {"customId": "crm-3", "city": "Kraków", "tags": ["b2b", "late"]},
    ])
    ann, work, third = (client_of(v4, "ann@example.com"), client_of(v4, "ann.work@example.com"),
                        v4.get("/clients/customId/crm-3").json())
    v4.post("/events/custom", {"action": "page.visit", "label": "Visit", "client": {"customId": "crm-2"},
                               "params": {"url": "/pricing"}})

    merged = v4.post(f"/clients/merge/from/ids/{work['clientId']},{third['clientId']}/to/id/{ann['clientId']}")

    assert merged.status_code == 200, merged.content
    body = merged.json()
    assert body["previousClients"] == [work["clientId"], third["clientId"]]
    assert (body["clientId"], body["email"], body["customId"], body["firstName"]) == (ann["clientId"], "ann@example.com",
                                                                                      "crm-1", "Ann")
    assert (body["lastName"], body["phone"], body["city"]) == ("Nowak", "+48600111222", "Kraków")
    assert body["attributes"]["tier"] == "gold" and body["attributes"]["shoe"] == 38
    assert sorted(body["tags"]) == ["b2b", "late", "vip"] and body["agreements"]["email"] is True
    for old in (f"/clients/{work['clientId']}", f"/clients/uuid/{work['uuid']}", f"/clients/{third['clientId']}"):
        assert v4.get(old).json()["uuid"] == ann["uuid"], old  # the merged ids name the survivor
    assert v4.get("/clients/email/ann.work@example.com").status_code == 404  # the source is gone, its email free
    events = api.get(f"/profiles/{ann['uuid']}/events").json()["items"]
    assert [e["params"]["url"] for e in events if e["type"] == "page.visit"] == ["/pricing"]  # its activity moved
    [update] = [e for e in events if e["type"] == "profile.updated"]
    assert update["source"] == "api" and {c["attribute"] for c in update["params"]["changes"]} >= {"lastName", "phone"}
    deleted = [e for e in api.get("/events?types=profile.deleted").json()["items"]]
    assert {(e["params"]["profileId"], e["params"]["mergedInto"]) for e in deleted} == {
        (work["uuid"], ann["uuid"]), (third["uuid"], ann["uuid"])}


def test_a_merge_by_custom_ids_is_all_or_nothing(v4):
    v4.post("/clients/batch", [{"customId": "a", "email": "a@example.com"}, {"customId": "b", "lastName": "B"}])

    into_itself = v4.post("/clients/merge/from/custom-ids/a,b/to/custom-id/a")
    unknown = v4.post("/clients/merge/from/custom-ids/b,nope/to/custom-id/a")
    too_many = v4.post(f"/clients/merge/from/custom-ids/{','.join(f'x{n}' for n in range(101))}/to/custom-id/a")
    done = v4.post("/clients/merge/from/custom-ids/b/to/custom-id/a")

    assert into_itself.status_code == 409 and unknown.status_code == 404
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["field"] == "fromIds"
    assert done.status_code == 200 and done.json()["lastName"] == "B"
    assert v4.get("/clients/customId/b").status_code == 404
