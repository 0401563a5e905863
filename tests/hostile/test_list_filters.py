"""Hostile query parameters on the profile list: injection attempts are plain values or unknown
names (a 422 naming the parameter), never SQL; bad numbers and bytes are a 422, never a 500."""

import base64
import json
from urllib.parse import quote

import pytest

from tests.hostile import corpus
from tests.hostile.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def profiles(api, profile_id):
    """Anna (plan gold, visits 3, score 1.5, tag vip) and Bob (plan free, visits 0, score 0)."""
    response = api.post("/profiles", {"email": "bob@example.com", "firstName": "Bob", "city": "Oslo",
                                      "attributes": {"plan": "free", "visits": 0, "score": 0}})
    assert response.status_code == 201
    return {"anna": profile_id, "bob": response.json()["id"]}


def listed(api, query: str) -> list[str]:
    response = api.get(f"/profiles?{query}")
    assert response.status_code == 200, response.content
    return sorted(p["email"] for p in response.json()["items"])


@pytest.mark.parametrize("query", [
    pytest.param(f"city={quote(corpus.SQL_INJECTION)}", id="in a field's value"),
    pytest.param(f"search={quote(corpus.SQL_INJECTION)}", id="in the search"),
    pytest.param(f"search={quote(chr(39) + ' OR ' + chr(39) + '1' + chr(39) + '=' + chr(39) + '1')}", id="classic quote trick"),
    pytest.param(f"tag={quote(corpus.SQL_INJECTION)}", id="in a tag"),
    pytest.param(f"attributes.plan={quote(corpus.SQL_INJECTION)}", id="in an attribute's value"),
    pytest.param(f"search={quote(corpus.SQL_DROP)}", id="a drop table"),
    pytest.param("search=%25", id="the LIKE wildcard %"),
    pytest.param("search=_", id="the LIKE wildcard _"),
])
def test_injection_in_a_value_is_only_a_value_that_matches_nothing(api, profiles, query):
    assert listed(api, query) == []
    assert listed(api, "") == ["anna@example.com", "bob@example.com"]  # the table is still there


@pytest.mark.parametrize("query, field, code", [
    pytest.param(f"attributes.{quote(corpus.SQL_INJECTION)}=1", f"attributes.{corpus.SQL_INJECTION}", "invalid_name", id="attribute name"),
    pytest.param(f"{quote(corpus.SQL_INJECTION)}=1", corpus.SQL_INJECTION, "unknown_filter", id="filter name"),
    pytest.param(f"companyId={quote(corpus.SQL_INJECTION)}", "companyId", "invalid_id", id="company id"),
    pytest.param(f"sort={quote('createdAt; DROP TABLE profiles_profile')}", "sort", "invalid_sort", id="sort"),
    pytest.param(f"attributes.visits={corpus.HUGE_INTEGER}", "attributes.visits", "invalid_integer", id="10**400 into an integer"),
    pytest.param(f"attributes.score={corpus.BEYOND_FLOAT}", "attributes.score", "invalid_number", id="1e309 into a number"),
    pytest.param("attributes.score=NaN", "attributes.score", "invalid_number", id="NaN into a number"),
    pytest.param(f"limit={corpus.BEYOND_INT_DIGITS}", "limit", "out_of_range", id="a 5000-digit limit"),
    pytest.param("limit=%C2%B2", "limit", "out_of_range", id="a superscript digit as limit"),
    pytest.param("search=a%00b", "search", "control_characters", id="NUL in the search"),
    pytest.param("tag=v%00ip", "tag", "control_characters", id="NUL in a tag"),
    pytest.param("city=Os%00lo", "city", "control_characters", id="NUL in a field"),
    pytest.param("attributes.plan=go%00ld", "attributes.plan", "control_characters", id="NUL in an attribute"),
    pytest.param(f"tag={quote(corpus.RLO)}piv", "tag", "control_characters", id="right-to-left override in a tag"),
    pytest.param("cursor=%00%FF", "cursor", "invalid_cursor", id="garbage cursor"),
])
def test_bad_parameter_is_a_422_naming_it(api, profiles, still_serving, query, field, code):
    error = assert_error(api.get(f"/profiles?{query}"), 422, "invalid_filter")

    assert (error["details"][0]["field"], error["details"][0]["code"]) == (field, code)
    still_serving()


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], "not a date", 10**30], ids=["object", "list", "text", "huge"])
def test_forged_cursor_is_a_422(api, profiles, value):
    cursor = base64.urlsafe_b64encode(json.dumps([value, profiles["anna"]]).encode()).decode().rstrip("=")

    error = assert_error(api.get(f"/profiles?sort=birthDate&cursor={cursor}"), 422, "invalid_filter")

    assert error["details"][0]["field"] == "cursor"


def test_number_filters_read_minus_zero_as_zero(api, profiles):
    assert listed(api, "attributes.score=-0") == ["bob@example.com"]
    assert listed(api, "attributes.visits=-0") == ["bob@example.com"]


def test_invalid_utf8_in_the_query_matches_nothing(api, profiles):
    assert listed(api, "search=%FF%FE") == []


def test_a_hundred_kilobyte_search_is_cut_and_matches_nothing(api, profiles):
    assert listed(api, "search=" + "a" * 100_000) == []


def test_event_type_filter_with_nul_matches_nothing(api, profile_id):
    response = api.get(f"/profiles/{profile_id}/events?type=profile%00created")

    assert response.status_code == 200 and response.json()["items"] == []


def test_jobs_list_with_a_superscript_digit_as_limit_is_a_422(api):
    error = assert_error(api.get("/jobs?limit=%C2%B2"), 422, "invalid_filter")
    assert error["details"][0]["field"] == "limit"
