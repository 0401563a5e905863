"""Characters that show as nothing (Unicode's format characters) cannot make one identifier or tag
look like another: `ab\u200bc` is refused where `abc` is an identifier or a tag, naming the
character, the field and the rule; the same characters where they do visible work are kept."""

import sys
import unicodedata
from urllib.parse import quote

import pytest

from dossier.profiles.fields import INVISIBLE_CHARS
from tests.hostile.conftest import assert_error

pytestmark = pytest.mark.django_db

ZERO_WIDTH_SPACE = "\u200b"


def test_every_format_character_unicode_knows_is_refused():
    format_characters = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert len(format_characters) > 150
    assert [c for c in format_characters if not INVISIBLE_CHARS.fullmatch(c)] == []


@pytest.mark.parametrize("field, value", [
    ("customId", f"ab{ZERO_WIDTH_SPACE}c"),
    ("customId", "\ufeffcrm-1"),
    ("customId", "crm\u00ad1"),
    ("email", f"ann{ZERO_WIDTH_SPACE}@example.com"),
    ("email", f"ann@exam\u2060ple.com"),
])
def test_an_identifier_holding_an_invisible_character_is_refused_and_nothing_created(api, everything, field, value):
    before = everything()

    response = api.post("/profiles", {field: value})

    error = assert_error(response, 422, "validation_failed")
    [detail] = [d for d in error["details"] if d["field"] == field]
    assert detail["code"] == "invisible_characters"
    assert "U+" in detail["message"] and "position" in detail["message"]
    assert everything() == before


def test_the_message_names_the_character_and_where_it_is(api):
    response = api.post("/profiles", {"customId": f"ab{ZERO_WIDTH_SPACE}c"})

    [detail] = response.json()["error"]["details"]
    assert detail["message"] == "must not contain invisible characters (U+200B ZERO WIDTH SPACE at position 3)"


def test_a_profile_cannot_be_found_under_a_lookalike_identifier(api):
    created = api.post("/profiles", {"customId": "abc"}).json()

    response = api.post("/profiles/batch", [{"customId": f"ab{ZERO_WIDTH_SPACE}c", "city": "Oslo"}])

    [result] = response.json()["results"]
    assert (result["status"], result["errors"][0]["field"], result["errors"][0]["code"]) == (
        "rejected", "customId", "invisible_characters")
    assert api.get(f"/profiles/{created['id']}").json()["city"] is None


@pytest.mark.parametrize("tag", [f"v{ZERO_WIDTH_SPACE}ip", f"vip{ZERO_WIDTH_SPACE}", "v\u200dip", "\u2063vip"])
def test_a_tag_holding_an_invisible_character_is_refused(api, profile_id, everything, tag):
    before = everything()

    response = api.patch(f"/profiles/{profile_id}", {"addTags": [tag]})

    error = assert_error(response, 422, "validation_failed")
    assert [(d["field"], d["code"]) for d in error["details"]] == [("addTags", "invisible_characters")]
    assert everything() == before


@pytest.mark.parametrize("tag", ["👩\u200d👩\u200d👧", "می\u200cخواهم", "क्\u200dष"])
def test_a_joiner_doing_visible_work_in_a_tag_is_kept(api, profile_id, tag):
    response = api.post(f"/profiles/{profile_id}/tags/{quote(tag, safe='')}")

    assert response.status_code == 200, response.content
    assert tag in response.json()["tags"]


def test_an_import_cell_with_an_invisible_character_in_an_identifier_is_skipped_and_reported(api):
    csv = f"email,customId,city\nann@example.com,crm{ZERO_WIDTH_SPACE}1,Oslo\nbob@example.com,crm-2,Rome\n"

    job = api.client.post("/api/v1/imports", {"file": _upload(csv), "options": '{"identifier": "email"}'}).json()

    [error] = job["errors"]
    assert (error["row"], error["column"], error["action"], error["code"]) == (2, "customId", "valueSkipped",
                                                                               "invisible_characters")
    ann = api.get("/profiles?email=ann@example.com").json()["items"][0]
    assert (ann["customId"], ann["city"]) == (None, "Oslo")


def _upload(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile
    return SimpleUploadedFile("people.csv", text.encode(), "text/csv")
