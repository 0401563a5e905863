"""Text that looks odd but is valid is kept exactly, in names and tags alike: emoji, combining
marks (stored composed, NFC), right-to-left scripts, quotes and SQL-looking words."""

from urllib.parse import quote

import pytest

from tests.hostile import corpus

pytestmark = pytest.mark.django_db

NAMES = [
    pytest.param("Zoë 🎉", "Zoë 🎉", id="emoji"),
    pytest.param("👩‍👩‍👧 family", "👩‍👩‍👧 family", id="emoji joined by zero-width joiners"),
    pytest.param("Zoe\u0308", "Zoë", id="combining diaeresis"),
    pytest.param("דנה כהן", "דנה כהן", id="Hebrew"),
    pytest.param("محمد", "محمد", id="Arabic"),
    pytest.param(corpus.SQL_DROP, corpus.SQL_DROP, id="SQL-looking text"),
    pytest.param("O'Neil \"Junior\" <b>", "O'Neil \"Junior\" <b>", id="quotes and angle brackets"),
]


@pytest.mark.parametrize("sent, stored", NAMES)
def test_a_name_is_stored_as_sent_and_the_change_recorded(api, profile_id, sent, stored):
    response = api.patch(f"/profiles/{profile_id}", {"lastName": sent})

    assert response.status_code == 200, response.content
    assert response.json()["lastName"] == stored
    [event] = api.get(f"/profiles/{profile_id}/events?type=profile.updated").json()["items"]
    assert event["params"]["changes"] == [{"attribute": "lastName", "old": None, "new": stored}]
    assert api.get(f"/profiles?lastName={quote(stored)}").json()["total"] == 1


@pytest.mark.parametrize("sent, stored", NAMES)
def test_a_tag_is_stored_as_sent_and_found_again(api, profile_id, sent, stored):
    response = api.post(f"/profiles/{profile_id}/tags/{quote(sent, safe='')}")

    assert response.status_code == 200, response.content
    assert stored in response.json()["tags"]
    assert [p["id"] for p in api.get(f"/profiles?tag={quote(stored)}").json()["items"]] == [profile_id]
    assert {"name": stored, "count": 1} in api.get("/tags").json()["items"]


def test_the_same_name_sent_composed_or_decomposed_is_no_change(api, profile_id):
    api.patch(f"/profiles/{profile_id}", {"lastName": "Zoë"})

    response = api.patch(f"/profiles/{profile_id}", {"lastName": "Zoe\u0308"})

    assert response.json()["version"] == 2  # the second write changed nothing
