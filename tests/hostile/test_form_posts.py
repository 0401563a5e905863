"""Hostile submissions to a hosted form (POST /f/<slug>), form-encoded as a browser sends them and
as JSON: a clear 4xx, no profile and no form.submit written, the form still taking submissions."""

from urllib.parse import quote

import pytest

from tests.hostile import corpus
from tests.hostile.conftest import assert_error

pytestmark = pytest.mark.django_db

FORM = {"slug": "newsletter", "name": "Newsletter", "identifier": "email",
        "fields": [{"name": "email", "target": "email"}, {"name": "city", "target": "city"},
                   {"name": "age", "target": "attributes.age"}, {"name": "comment", "target": None}]}
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def form(api):
    assert api.post("/attributes", {"name": "age", "type": "integer"}).status_code == 201
    response = api.post("/forms", FORM)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def submits_still(client, api):
    """A good submission still goes through, and is the only thing written."""

    def check() -> None:
        response = client.post("/f/newsletter", "email=ok%40example.com&city=Oslo", content_type=URLENCODED)
        assert response.status_code == 200, response.content[:300]
        items = api.get("/profiles").json()["items"]
        assert [p["email"] for p in items] == ["ok@example.com"]
        events = api.get(f"/profiles/{items[0]['id']}/events").json()["items"]
        assert sorted(e["type"] for e in events) == ["form.submit", "profile.created"]

    return check


@pytest.mark.parametrize("body, status", [
    pytest.param(f"email=a%40example.com&city=Os%00lo", 422, id="NUL in a mapped field"),
    pytest.param(f"email=a%40example.com&comment=a%00b", 422, id="NUL in an unmapped field"),
    pytest.param(f"email={quote(corpus.SQL_INJECTION)}", 422, id="injection as the email"),
    pytest.param(f"email=a%40example.com&age={corpus.HUGE_INTEGER}", 422, id="10**400 as an integer"),
    pytest.param(f"email=a%40example.com&city={quote(corpus.RLO)}olsO", 422, id="right-to-left override"),
    pytest.param(f"email=a%40example.com&city=%FF%FE", 400, id="invalid UTF-8, percent-encoded"),
    pytest.param(b"email=a%40example.com&city=\xff\xfe", 400, id="invalid UTF-8, raw"),
    pytest.param(b"email=a%40example.com&city=" + b"a" * corpus.TEN_MB, 413, id="10 MB"),
])
def test_form_encoded_hostile_submission_is_refused(client, form, submits_still, body, status):
    response = client.post("/f/newsletter", body, content_type=URLENCODED)

    assert response.status_code == status, response.content[:300]
    assert "text/html" in response["Content-Type"]
    submits_still()


@pytest.mark.parametrize("body, status, code", [
    pytest.param(corpus.raw('{"email": "a@example.com", "city": "' + corpus.LONE_SURROGATE + '"}'), 422, "validation_failed", id="lone surrogate, mapped"),
    pytest.param(corpus.raw('{"email": "a@example.com", "comment": "' + corpus.LONE_SURROGATE + '"}'), 422, "validation_failed", id="lone surrogate, unmapped"),
    pytest.param(corpus.raw('{"email": "a@example.com", "comment": ' + corpus.BEYOND_FLOAT + "}"), 422, "validation_failed", id="1e309, unmapped"),
    pytest.param(corpus.raw('{"email": "a@example.com", "age": ' + corpus.BEYOND_FLOAT + "}"), 422, "validation_failed", id="1e309 as an integer"),
    pytest.param(corpus.raw('{"email": "a@example.com", "comment": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"), 422, "validation_failed", id="nested 40 deep"),
    pytest.param(b'{"email": "a@example.com", "comment": ' + corpus.nested(10_000) + b"}", 400, "malformed_body", id="nested 10,000 deep"),
    pytest.param(b'{"email": "\xff"}', 400, "malformed_body", id="invalid UTF-8"),
    pytest.param(corpus.ten_megabytes_in("comment"), 413, "body_too_large", id="10 MB"),
])
def test_json_hostile_submission_is_refused(client, form, submits_still, body, status, code):
    response = client.post("/f/newsletter", body, content_type="application/json")

    assert_error(response, status, code)
    submits_still()


def test_legitimate_unicode_is_kept_as_sent(client, form, api):
    response = client.post("/f/newsletter", {"email": "zoe@example.com", "city": "Zu\u0308rich 🏔", "comment": "שלום"},
                           content_type="application/json")

    assert response.status_code == 201, response.content
    profile = api.get("/profiles/by-email/zoe@example.com").json()
    assert profile["city"] == "Zürich 🏔"  # combining mark composed (NFC)
    submitted = api.get(f"/profiles/{profile['id']}/events?type=form.submit").json()["items"][0]
    assert submitted["params"]["comment"] == "שלום"
