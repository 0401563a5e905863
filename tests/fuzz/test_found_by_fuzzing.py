"""Requests the fuzzing (test_api_fuzz.py) once answered wrongly, kept as plain cases."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def test_a_batch_item_naming_an_unknown_id_is_rejected_as_not_found(api):
    missing = str(uuid.uuid4())

    response = api.post("/profiles/batch", [{"id": missing, "city": "Oslo"}, {"email": "new@example.com"}])

    assert response.status_code == 200
    unknown, created = response.json()["results"]
    assert unknown["status"] == "rejected"
    assert [(e["field"], e["code"], e["value"]) for e in unknown["errors"]] == [("id", "not_found", missing)]
    assert created["status"] == "created"


def test_a_csv_with_a_carriage_return_inside_a_quoted_cell_is_imported(api):
    # Tried as a comma-separated file, the tab-separated line reads as an unquoted cell holding a
    # line break, which the csv module refuses: that ended the request in a server error.
    upload = SimpleUploadedFile("people.csv", b'email\tnote\r\nana@example.com\t"first\rsecond"\r\n', "text/csv")

    response = api.client.post("/api/v1/imports", {"file": upload})

    assert response.status_code == 200, response.content[:300]
    run = response.json()
    assert run["file"]["delimiter"] == "tab"
    assert run["counts"]["created"] == 1


def _import_jsonl(api, text: str):
    upload = SimpleUploadedFile("people.jsonl", text.encode(), "application/jsonl")
    return api.client.post("/api/v1/imports", {"file": upload})


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"], ids=["nul", "lone-surrogate"])
def test_a_json_lines_row_with_text_no_database_keeps_is_rejected_alone(api, bad):
    # PostgreSQL's jsonb refuses such text: storing the file's preview ended in a server error.
    response = _import_jsonl(api, f'{{"email": "a{bad}@example.com"}}\n{{"email": "ok@example.com", "city": "x{bad}"}}\n'
                                  '{"email": "fine@example.com"}\n')

    assert response.status_code == 200, response.content[:300]
    run = response.json()
    assert run["counts"]["created"] == 2  # the bad city is left out of its row (invalidValues: skipValue)
    assert run["counts"]["rejected"] == 1  # the bad email is the identifier: its row is rejected
    assert api.get("/profiles/by-email/fine@example.com").status_code == 200
    assert api.get("/profiles/by-email/ok@example.com").json()["city"] is None


def test_a_json_lines_key_no_database_keeps_refuses_the_file(api):
    response = _import_jsonl(api, '{"email": "a@example.com", "no\\u0000te": 1}\n')

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "unusable_file"
    assert "line 1" in error["message"] and "NUL" in error["message"]


def test_a_json_lines_row_nested_too_deeply_is_rejected_alone(api):
    response = _import_jsonl(api, '{"email": "ok@example.com"}\n' + '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}\n")

    assert response.status_code == 200, response.content[:300]
    assert response.json()["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "rejected": 1,
                                         "folded": 0}
