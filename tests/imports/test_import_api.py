"""POST /api/v1/imports, GET /api/v1/imports/{id} and its errors.csv: the API door of the import engine.

The files are the hostile corpus of `corpus.py`: encodings, delimiters, line endings, quoting,
broken rows and broken files.
"""

import csv
import io

import pytest

from dossier.activity.models import Event
from dossier.profiles.models import AttributeDefinition, Profile
from tests.imports import corpus
from tests.imports.conftest import csv_bytes, import_events

pytestmark = pytest.mark.django_db

EMPTY = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "rejected": 0, "folded": 0}


def counts(**given) -> dict:
    return {**EMPTY, **given}


def report_rows(api, import_id) -> list[dict]:
    response = api.get(f"/imports/{import_id}/errors.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_import_creates_profiles_with_events_carrying_source_and_job(upload):
    response = upload(csv_bytes("email,First Name,city", "ann@example.com,Ann,Warsaw", "bob@example.com,Bob,Kraków"),
                      {"identifier": "email"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["counts"] == counts(created=2)
    ann = Profile.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.city, ann.anonymous_type) == ("Ann", "Warsaw", "recognized")
    events = import_events(body["id"])
    assert [(e.type, e.source, e.profile_id) for e in events][0] == ("profile.created", "import", ann.id)
    assert len(events) == 2 and events[0].actor.startswith("apikey:")
    assert {"attribute": "firstName", "old": None, "new": "Ann"} in events[0].params["changes"]


@pytest.mark.parametrize("name, content", [
    ("bom, semicolons and CRLF", corpus.BOM_SEMICOLON_CRLF),
    ("tabs", corpus.TABS),
    ("pipes", corpus.PIPES),
    ("quoted newlines and doubled quotes", corpus.QUOTED),
])
def test_import_reads_every_csv_dialect_the_same(upload, name, content):
    response = upload(content, corpus.NOTE_AS_ATTRIBUTE)

    assert response.json()["counts"] == counts(created=2), response.json()
    ann = Profile.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.last_name, ann.city) == ("Ann", "O'Neil", "Warsaw")
    assert Profile.objects.get(email="bob@example.com").attributes == {"note": corpus.BOB_NOTE}


def test_reject_row_rejects_a_row_with_invalid_cells_listing_every_problem_and_goes_on(upload, api):
    response = upload(corpus.INVALID_CELLS, {"invalidValues": "rejectRow",
                                             "mapping": {"score": {"target": "attributes.score", "type": "integer"}}})

    body = response.json()
    assert body["counts"] == counts(created=1, rejected=2)
    assert list(Profile.objects.values_list("email", flat=True)) == ["good@example.com"]
    problems = {(e["row"], e["field"], e["code"], e["action"]) for e in body["errors"]}
    assert problems == {(3, "email", "invalid_email", "rowRejected"), (3, "birthDate", "invalid_date", "rowRejected"),
                        (3, "sex", "invalid_choice", "rowRejected"), (4, "birthDate", "out_of_range", "rowRejected"),
                        (4, "attributes.score", "invalid_integer", "rowRejected")}
    rows = report_rows(api, body["id"])
    assert [(r["row"], r["column"]) for r in rows] == [("3", "email; birthDate; sex"), ("4", "birthDate; score")]
    assert rows[0]["email"] == "not-an-email" and "row rejected (email): is not a valid email address" in rows[0]["error"]
    assert rows[0]["error"].count("is not a valid email address") == 1  # each problem once


def test_skip_value_imports_the_rest_of_a_row_and_reports_each_left_out_value(upload, api):
    response = upload(corpus.INVALID_CELLS, {"mapping": {"score": {"target": "attributes.score", "type": "integer"}}})

    body = response.json()
    assert body["counts"] == counts(created=2, rejected=1)  # row 3's identifier is invalid: always rejected
    future = Profile.objects.get(email="future@example.com")
    assert (future.birth_date, future.sex, future.attributes) == (None, 1, {})
    problems = [(e["row"], e["field"], e["action"]) for e in body["errors"]]
    assert problems == [(3, "email", "rowRejected"), (3, "birthDate", "rowRejected"), (3, "sex", "rowRejected"),
                        (4, "birthDate", "valueSkipped"), (4, "attributes.score", "valueSkipped")]
    rows = report_rows(api, body["id"])
    assert rows[1]["row"] == "4" and rows[1]["column"] == "birthDate; score"
    assert rows[1]["error"].startswith("value left out (birthDate): must not be in the future")
    assert body["valuesSkipped"] == 2


def test_error_report_neutralizes_formulas(upload, api):
    response = upload(csv_bytes("email,city,sex", "=HYPERLINK(\"http://evil\"),+cmd,@SUM(1)", "-1@x,Warsaw,9"))

    rows = report_rows(api, response.json()["id"])
    assert [(r["email"], r["city"], r["sex"]) for r in rows] == [
        ("'=HYPERLINK(\"http://evil\")", "'+cmd", "'@SUM(1)"), ("'-1@x", "Warsaw", "9")]


def test_ragged_rows_are_rejected_with_their_line_numbers(upload):
    body = upload(corpus.RAGGED).json()

    assert body["counts"] == counts(created=2, rejected=2)
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(3, "ragged_row"), (5, "ragged_row")]
    assert "the row has 4 cells, the header has 3" in body["errors"][0]["message"]


def test_cell_of_100_kilobytes_is_left_out_of_its_row_only(upload):
    body = upload(corpus.HUGE_CELL).json()

    assert body["counts"] == counts(created=2)
    assert body["errors"][0]["code"] == "too_long" and len(body["errors"][0]["value"]) < 300
    assert dict(Profile.objects.values_list("email", "city")) == {"a@example.com": None, "b@example.com": "Oslo"}


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\n\n  \n", "the file is empty"),
    (corpus.LATIN1, "line 3 has a byte (0xE1) that is not UTF-8"),
    (corpus.BINARY_JUNK, "that is not UTF-8"),
    (corpus.UTF16, "the file is UTF-16"),
])
def test_unusable_file_is_refused_whole_naming_the_line(upload, content, message):
    response = upload(content)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unusable_file"
    assert message in response.json()["error"]["message"]
    assert Profile.objects.count() == 0


def test_header_only_file_imports_nothing(upload):
    body = upload(csv_bytes("email,firstName")).json()

    assert body["status"] == "succeeded" and body["counts"] == EMPTY


def test_same_identifier_twice_is_folded_into_one_write_later_cells_winning(upload):
    body = upload(csv_bytes("email,city,lastName", "ann@example.com,Warsaw,Nowak", "ANN@example.com,Berlin,")).json()

    assert body["counts"] == counts(created=1, folded=1)
    profile = Profile.objects.get(email="ann@example.com")
    assert (profile.city, profile.last_name, profile.version) == ("Berlin", "Nowak", 1)
    assert [e.type for e in import_events(body["id"])] == ["profile.created"]


def test_importing_the_same_file_again_changes_nothing_and_writes_no_event(upload):
    content = corpus.mixed_rows(30)
    first = upload(content).json()
    events_before = Event.objects.count()

    second = upload(content).json()

    assert first["counts"]["created"] == 30
    assert second["counts"] == counts(unchanged=30)
    assert Event.objects.count() == events_before


def test_existing_and_new_profiles_in_one_file(upload, api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw", "lastName": "Kept"})

    body = upload(csv_bytes("email,city,lastName", "old@example.com,Berlin,", "new@example.com,Paris,New")).json()

    assert body["counts"] == counts(created=1, updated=1)
    old = Profile.objects.get(email="old@example.com")
    assert (old.city, old.last_name) == ("Berlin", "Kept")
    assert import_events(body["id"])[0].params["changes"] == [{"attribute": "city", "old": "Warsaw", "new": "Berlin"}]


def test_empty_cells_clear_when_asked(upload, api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw", "lastName": "Gone"})

    body = upload(csv_bytes("email,city,lastName", "old@example.com,,"), {"emptyCells": "clear"}).json()

    assert body["counts"] == counts(updated=1)
    old = Profile.objects.get(email="old@example.com")
    assert (old.city, old.last_name) == (None, None)


def test_create_new_false_skips_rows_that_match_no_profile(upload, api):
    api.post("/profiles", {"email": "old@example.com"})

    body = upload(csv_bytes("email,city", "old@example.com,Oslo", "stranger@example.com,Rome"), {"createNew": False}).json()

    assert body["counts"] == counts(updated=1, skipped=1)
    assert not Profile.objects.filter(email="stranger@example.com").exists()


def test_overwrite_policies_per_column(upload, api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw", "firstName": "Old"})

    body = upload(csv_bytes("email,city,firstName,lastName", "old@example.com,Berlin,New,Filled",
                            "new@example.com,Paris,Anna,Nowak"),
                  {"mapping": {"city": {"target": "city", "policy": "never"},
                               "firstName": {"target": "firstName", "policy": "ifEmpty"},
                               "lastName": {"target": "lastName", "policy": "ifEmpty"}}}).json()

    assert body["counts"] == counts(created=1, updated=1)
    old = Profile.objects.get(email="old@example.com")
    assert (old.city, old.first_name, old.last_name) == ("Warsaw", "Old", "Filled")
    new = Profile.objects.get(email="new@example.com")
    assert (new.city, new.first_name) == ("Paris", "Anna")


def test_tags_are_split_and_added_never_removed_and_add_tags_applies_to_every_row(upload, api):
    api.post("/profiles", {"email": "old@example.com", "tags": ["kept"]})

    body = upload(csv_bytes("email,Tags", "old@example.com,vip; newsletter", "new@example.com,"),
                  {"addTags": ["fair-2025"]}).json()

    assert body["counts"] == counts(created=1, updated=1)
    tags = {p.email: sorted(p.tags.values_list("name", flat=True)) for p in Profile.objects.all()}
    assert tags == {"old@example.com": ["fair-2025", "kept", "newsletter", "vip"], "new@example.com": ["fair-2025"]}


def test_agreements_and_new_typed_custom_attribute(upload):
    body = upload(csv_bytes("email,Newsletter,points", "ann@example.com,yes,12"),
                  {"mapping": {"Newsletter": "agreements.email", "points": {"target": "attributes.points", "type": "integer"}}}).json()

    assert body["counts"] == counts(created=1)
    ann = Profile.objects.get(email="ann@example.com")
    assert ann.agreement_email is True and ann.attributes == {"points": 12}
    assert AttributeDefinition.objects.get(name="points").type == "integer"


def test_dry_run_counts_what_would_change_and_writes_nothing(upload, api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw"})
    events_before = Event.objects.count()

    body = upload(csv_bytes("email,city,firstName", "old@example.com,Berlin,", "new@example.com,Paris,Ann",
                            "bad@,Rome,"), {"dryRun": True}).json()

    assert body["dryRun"] is True and body["status"] == "succeeded"
    assert body["counts"] == counts(created=1, updated=1, rejected=1)
    assert body["attributes"]["city"] == 2 and body["attributes"]["firstName"] == 1
    assert Profile.objects.count() == 1 and Profile.objects.get().city == "Warsaw"
    assert Event.objects.count() == events_before


def test_a_dry_run_counts_a_profile_an_earlier_chunk_would_create_as_updated_later(upload, monkeypatch):
    monkeypatch.setattr("dossier.imports.services.CHUNK_ROWS", 2)
    content = csv_bytes("email,city,customId", "a@example.com,Warsaw,", "b@example.com,Paris,",
                        "a@example.com,Berlin,", "c@example.com,Rome,c-1", "x@example.com,Oslo,c-1")

    dry = upload(content, {"dryRun": True}).json()
    real = upload(content, {"identifier": "email"}).json()

    assert real["counts"] == counts(created=3, folded=1, rejected=1), real
    assert dry["counts"] == real["counts"]
    assert Profile.objects.get(email="a@example.com").city == "Berlin"


def test_json_lines_in_the_api_shape(upload):
    body = upload(corpus.JSON_LINES, name="people.jsonl").json()

    assert body["file"]["format"] == "jsonl"
    assert body["counts"] == counts(created=2, rejected=2)
    ann = Profile.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.sex, ann.attributes, ann.agreement_email) == ("Ann", 2, {"score": 7}, True)
    assert sorted(ann.tags.values_list("name", flat=True)) == ["vip"]
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(3, "unreadable"), (4, "invalid_email")]


def test_options_are_checked_whole_before_anything_starts(upload):
    response = upload(csv_bytes("email,city", "a@example.com,x"),
                      {"identifier": "phone", "mapping": {"nope": "city", "city": "planet"}, "emptyCells": "burn"})

    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"identifier", "mapping.nope", "mapping.city.target", "emptyCells"}
    assert Profile.objects.count() == 0


def test_identifier_by_custom_id_and_id(upload, api):
    profile_id = api.post("/profiles", {"customId": "C-1"}).json()["id"]

    by_custom_id = upload(csv_bytes("customId,city", "C-1,Oslo"), {"identifier": "customId"}).json()
    by_id = upload(csv_bytes("id,city", f"{profile_id},Rome", "00000000-0000-4000-8000-000000000000,Nowhere"),
                   {"identifier": "id"}).json()

    assert by_custom_id["counts"] == counts(updated=1)
    assert by_id["counts"] == counts(updated=1, rejected=1)
    assert Profile.objects.get().city == "Rome"


def test_idempotency_key_replays_the_first_import(upload):
    content = csv_bytes("email", "a@example.com")
    first = upload(content, headers={"Idempotency-Key": "imp-1"})
    second = upload(content, headers={"Idempotency-Key": "imp-1"})
    other = upload(csv_bytes("email", "b@example.com"), headers={"Idempotency-Key": "imp-1"})

    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert Profile.objects.count() == 1


def test_import_needs_the_imports_scope(upload, make_api):
    response = upload(csv_bytes("email", "a@example.com"), client=make_api("profiles:read", "profiles:write"))

    assert response.status_code == 403
    assert Profile.objects.count() == 0


def test_get_import_and_unknown_ids(upload, api):
    body = upload(csv_bytes("email", "a@example.com")).json()

    assert api.get(f"/imports/{body['id']}").json()["counts"] == counts(created=1)
    assert api.get("/imports/not-a-uuid").status_code == 404
    assert api.get(f"/imports/{body['id']}/errors.csv").status_code == 404


def test_a_chunk_costs_a_fixed_number_of_queries(upload, django_assert_max_num_queries):
    content = corpus.mixed_rows(1000)

    with django_assert_max_num_queries(60):
        body = upload(content).json()

    assert body["counts"]["created"] == 1000


def test_undo_through_the_jobs_api_deletes_created_profiles_and_restores_changed_values(upload, api):
    api.post("/profiles", {"email": "old@example.com", "city": "Warsaw"})
    body = upload(csv_bytes("email,city,Tags", "old@example.com,Berlin,vip", "new@example.com,Paris,vip")).json()

    undo = api.post(f"/jobs/{body['id']}/undo")

    assert undo.status_code == 200, undo.json()
    assert undo.json()["status"] == "succeeded"
    old = Profile.objects.get()
    assert (old.email, old.city, list(old.tags.all())) == ("old@example.com", "Warsaw", [])
    assert api.post(f"/jobs/{body['id']}/undo").status_code == 409


def test_a_dry_run_cannot_be_undone(upload, api):
    body = upload(csv_bytes("email", "a@example.com"), {"dryRun": True}).json()

    assert api.post(f"/jobs/{body['id']}/undo").status_code == 409
