"""`search=` finds any part of a name, email, phone or customId, ignoring case and accents, through
the trigram index of each database; the index follows every writer (create, update, batch
import, erasure) and survives a migration that remakes the profile table."""

from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from dossier.profiles.search import COMMON_MATCHES, FTS_TABLE, PG_INDEX


@pytest.fixture
def people(api):
    ids = {}
    for body in (
        {"email": "joanna.nowak@example.pl", "firstName": "Joanna", "lastName": "Żółkiewska", "phone": "+48 601 767 123",
         "customId": "CRM-000417"},
        {"email": "piotr@example.pl", "firstName": "Piotr", "lastName": "Annusewicz"},
        {"email": "lars@example.no", "firstName": "Lars", "lastName": "Bjørnstad", "phone": "+47 912 34 567"},
        {"customId": "ZX-9", "firstName": "Ewa"},
    ):
        response = api.post("/profiles", body)
        assert response.status_code == 201, response.content
        ids[body["firstName"]] = response.json()["id"]
    return ids


def found(api, text: str) -> list[str]:
    response = api.get(f"/profiles?search={quote(text)}")
    assert response.status_code == 200, response.content
    return sorted(p["firstName"] for p in response.json()["items"])


@pytest.mark.parametrize("text, expected", [
    pytest.param("ann", ["Joanna", "Piotr"], id="three characters inside a name and an email"),
    pytest.param("nowak@exa", ["Joanna"], id="middle of an email"),
    pytest.param("ZOLKIEW", ["Joanna"], id="case and accents ignored (Żółkiewska)"),
    pytest.param("bjorn", ["Lars"], id="ø folded"),
    pytest.param("767", ["Joanna"], id="digits inside a phone"),
    pytest.param("601 767 1", ["Joanna"], id="a phone typed with spaces"),
    pytest.param("000417", ["Joanna"], id="end of a customId"),
    pytest.param("example.", ["Joanna", "Lars", "Piotr"], id="punctuation is part of the text"),
    pytest.param("zx", ["Ewa"], id="two characters: the start of an identifier"),
    pytest.param("wa", ["Ewa"], id="two characters: part of a name"),
    pytest.param('"ann', [], id="a quote is a character, not query syntax"),
    pytest.param("ann OR lars", [], id="words are text, not operators"),
    pytest.param("nobody-here", [], id="no match"),
])
def test_substring_search(api, people, text, expected):
    assert found(api, text) == expected


def test_search_follows_updates_and_erasures(api, people):
    response = api.patch(f"/profiles/{people['Lars']}", {"lastName": "Gjørvik", "email": "lars.g@example.no"})
    assert response.status_code == 200, response.content
    assert found(api, "bjorn") == []
    assert found(api, "gjorv") == ["Lars"]
    assert found(api, "lars.g@") == ["Lars"]

    assert api.delete(f"/profiles/{people['Joanna']}").status_code == 204
    assert found(api, "767") == []
    assert found(api, "ann") == ["Piotr"]


def test_search_follows_the_batch_path(api, people):
    response = api.post("/profiles/batch", [
        {"email": "piotr@example.pl", "lastName": "Kowalczyk"},
        {"email": "marta@example.pl", "firstName": "Marta", "lastName": "Annerstedt"},
    ])
    assert response.status_code == 200, response.content
    assert found(api, "ann") == ["Joanna", "Marta"]
    assert found(api, "kowalcz") == ["Piotr"]


def test_search_uses_the_index(api, people):
    """The query plan reads the trigram index, not every profile."""
    from dossier.profiles.filters import parse_filters

    sql, params = parse_filters({"search": "ann"}).queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            assert PG_INDEX in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan and FTS_TABLE in plan, plan


def test_index_rebuilt_after_a_migration_remakes_the_table(api, people):
    """Django remakes an SQLite table to alter it, dropping its triggers; migrate puts them back
    and reindexes the rows under their new rowids."""
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite remakes tables")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER profiles_search_update")
        cursor.execute("UPDATE profiles_profile SET rowid = rowid + 1000")
    call_command("migrate", verbosity=0)
    assert found(api, "ann") == ["Joanna", "Piotr"]
    response = api.patch(f"/profiles/{people['Piotr']}", {"lastName": "Kowalczyk"})
    assert response.status_code == 200, response.content
    assert found(api, "ann") == ["Joanna"]


def test_common_text_pages_in_list_order(api, people):
    """A text matching more than COMMON_MATCHES profiles is searched by walking the list's order
    (SQLite); pages, the count and a batch edit by the same filter still see exactly its matches."""
    bodies = [{"email": f"member{n:04}@club.example", "firstName": "Hanna" if n % 3 else "Jan"}
              for n in range(COMMON_MATCHES * 2)]
    for start in range(0, len(bodies), 600):
        response = api.post("/profiles/batch", bodies[start:start + 600])
        assert response.status_code == 200, response.content
    expected = {b["email"] for b in bodies if b["firstName"] == "Hanna"} | {"joanna.nowak@example.pl", "piotr@example.pl"}
    assert len(expected) > COMMON_MATCHES

    seen, created, cursor = [], [], None
    while True:
        response = api.get("/profiles?search=ann&limit=250" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [p["email"] for p in body["items"]]
        created += [p["createdAt"] for p in body["items"]]
        cursor = body.get("nextCursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert created == sorted(created, reverse=True)

    response = api.post("/profiles/batch-edit", {"selection": {"filter": {"search": "ann"}},
                                                 "changes": {"set": {"city": "Sopot"}}})
    assert response.status_code == 202, response.content
    assert response.json()["total"] == len(expected)  # the selection, fixed when the job is queued
