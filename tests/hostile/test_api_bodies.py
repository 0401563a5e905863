"""Hostile JSON bodies on the API's writes: each gets a clear 4xx, nothing of it is applied, and
the server goes on serving."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.hostile import corpus
from tests.hostile.conftest import assert_error

pytestmark = pytest.mark.django_db

# (case, raw body, status, error code, field named in the details)
PROFILE_WRITES = [
    ("sql injection in an attribute name", corpus.body({"attributes": {corpus.SQL_INJECTION: "y"}}), 422, "validation_failed", f"attributes.{corpus.SQL_INJECTION}"),
    ("sql injection in a field name", corpus.body({corpus.SQL_INJECTION: "y"}), 422, "validation_failed", corpus.SQL_INJECTION),
    ("10**400 as a name", corpus.raw(f'{{"firstName": {corpus.HUGE_INTEGER}}}'), 422, "validation_failed", "firstName"),
    ("10**400 as a new attribute", corpus.raw(f'{{"attributes": {{"big": {corpus.HUGE_INTEGER}}}}}'), 422, "validation_failed", "attributes.big"),
    ("10**400 into an integer attribute", corpus.raw(f'{{"attributes": {{"visits": {corpus.HUGE_INTEGER}}}}}'), 422, "validation_failed", "attributes.visits"),
    ("a 5000-digit integer", corpus.raw(f'{{"attributes": {{"big": {corpus.BEYOND_INT_DIGITS}}}}}'), 400, "malformed_json", None),
    ("1e309 as a new attribute", corpus.raw(f'{{"attributes": {{"ratio": {corpus.BEYOND_FLOAT}}}}}'), 422, "validation_failed", "attributes.ratio"),
    ("1e309 into a number attribute", corpus.raw(f'{{"attributes": {{"score": {corpus.BEYOND_FLOAT}}}}}'), 422, "validation_failed", "attributes.score"),
    ("1e309 as a city", corpus.raw(f'{{"city": {corpus.BEYOND_FLOAT}}}'), 422, "validation_failed", "city"),
    ("NaN as a number", corpus.raw('{"attributes": {"score": NaN}}'), 422, "validation_failed", "attributes.score"),
    ("lists nested 500 deep", b'{"attributes": {"deep": ' + corpus.nested(500) + b"}}", 422, "validation_failed", "attributes.deep"),
    ("NUL in a name", corpus.body({"firstName": f"An{corpus.NUL}na"}), 422, "validation_failed", "firstName"),
    ("NUL in a tag", corpus.body({"addTags": [f"v{corpus.NUL}ip"]}), 422, "validation_failed", "addTags"),
    ("NUL in an attribute name", corpus.body({"attributes": {f"pl{corpus.NUL}an": "x"}}), 422, "validation_failed", f"attributes.pl{corpus.NUL}an"),
    ("NUL in an attribute value", corpus.body({"attributes": {"plan": f"go{corpus.NUL}ld"}}), 422, "validation_failed", "attributes.plan"),
    ("invalid UTF-8", b'{"firstName": "\xff\xfe"}', 400, "malformed_json", None),
    ("truncated JSON", b'{"firstName": "Ann', 400, "malformed_json", None),
    ("a 10 MB string", corpus.ten_megabytes_in("firstName"), 413, "body_too_large", None),
    ("a lone surrogate in a name", corpus.raw(f'{{"firstName": "{corpus.LONE_SURROGATE}"}}'), 422, "validation_failed", "firstName"),
    ("a lone surrogate in a tag", corpus.raw(f'{{"addTags": ["a{corpus.LONE_SURROGATE}"]}}'), 422, "validation_failed", "addTags"),
    ("a lone surrogate in an attribute", corpus.raw(f'{{"attributes": {{"plan": "{corpus.LONE_SURROGATE}"}}}}'), 422, "validation_failed", "attributes.plan"),
    ("a right-to-left override in a name", corpus.body({"lastName": f"{corpus.RLO}gnp.exe"}), 422, "validation_failed", "lastName"),
    ("a right-to-left override in a tag", corpus.body({"addTags": [f"{corpus.RLO}piv"]}), 422, "validation_failed", "addTags"),
    ("an array instead of an object", corpus.body([1, 2]), 422, "validation_failed", None),
]
CASES = [pytest.param(*case[1:], id=case[0]) for case in PROFILE_WRITES]


def _check_refusal(response, status, code, field):
    error = assert_error(response, status, code)
    if field is not None:
        assert field in [d["field"] for d in error["details"]], error


@pytest.mark.parametrize("raw, status, code, field", CASES)
def test_patch_refuses_hostile_body_and_changes_nothing(api, profile_id, everything, still_serving, raw, status, code, field):
    before = everything()

    response = api.patch(f"/profiles/{profile_id}", raw=raw)

    _check_refusal(response, status, code, field)
    assert everything() == before
    still_serving()


@pytest.mark.parametrize("raw, status, code, field", CASES)
def test_create_refuses_hostile_body_and_creates_nothing(api, profile_id, everything, still_serving, raw, status, code, field):
    before = everything()

    response = api.post("/profiles", raw=raw)

    _check_refusal(response, status, code, field)
    assert everything() == before
    still_serving()


def test_batch_rejects_hostile_items_alone_and_applies_the_good_ones(api, everything, still_serving):
    items = (b'[{"email": "good@example.com", "city": "Oslo"},'
             b' {"email": "nul@example.com", "city": "Os\\u0000lo"},'
             b' {"email": "surrogate@example.com", "tags": ["\\udfff"]},'
             b' {"email": "infinite@example.com", "attributes": {"ratio": 1e309}},'
             b' {"email": "rlo@example.com", "firstName": "\\u202eevil"},'
             b' {"email": "x\' OR 1=1--@example.com"}]')

    response = api.post("/profiles/batch", raw=items)

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] + ["rejected"] * 5
    assert [r["errors"][0]["field"] for r in results[1:]] == ["city", "tags", "attributes.ratio", "firstName", "email"]
    assert results[2]["errors"][0]["value"] == "\ufffd"  # echoed, but as a character a response can carry
    listed = everything()["profiles"]
    assert [p["email"] for p in listed["items"]] == ["good@example.com"]
    assert everything()["attributes"]["items"] == []
    still_serving()


EVENT_PARAMS = [
    ("NUL in a value", corpus.body({"note": f"a{corpus.NUL}b"}), "params.note"),
    ("NUL in a key", corpus.body({f"no{corpus.NUL}te": "a"}), f"params.no{corpus.NUL}te"),
    ("a lone surrogate", corpus.raw(f'{{"note": "{corpus.LONE_SURROGATE}"}}'), "params.note"),
    ("1e309", corpus.raw(f'{{"ratio": {corpus.BEYOND_FLOAT}}}'), "params.ratio"),
    ("NaN", corpus.raw('{"ratio": NaN}'), "params.ratio"),
    ("objects nested 40 deep", corpus.raw('{"a": ' * 40 + "1" + "}" * 40), None),
]


@pytest.mark.parametrize("params, field", [pytest.param(p, f, id=name) for name, p, f in EVENT_PARAMS])
def test_hand_added_event_with_unstorable_params_is_refused(api, profile_id, everything, still_serving, params, field):
    before = everything()

    response = api.post(f"/profiles/{profile_id}/events", raw=b'{"type": "note", "params": ' + params + b"}")

    error = assert_error(response, 422, "validation_failed")
    assert error["details"][0]["field"] == field or (field is None and error["details"][0]["code"] == "too_deep")
    assert everything() == before
    still_serving()


@pytest.mark.parametrize("params, field", [pytest.param(p, f, id=name) for name, p, f in EVENT_PARAMS])
def test_tracked_event_with_unstorable_params_is_refused(api, profile_id, everything, still_serving, params, field):
    before = everything()

    single = api.post("/events", raw=b'{"profile": {"email": "anna@example.com"}, "type": "note", "params": ' + params + b"}")
    batch = api.post("/events/batch", raw=b'[{"profile": {"email": "anna@example.com"}, "type": "note", "params": ' + params + b"}]")

    assert_error(single, 422, "validation_failed")
    assert batch.status_code == 200 and batch.json()["results"][0]["status"] == "rejected"
    assert everything() == before
    still_serving()


def test_event_params_may_hold_a_huge_integer_and_read_it_back(api, profile_id):
    response = api.post(f"/profiles/{profile_id}/events", raw=corpus.raw(f'{{"type": "note", "params": {{"n": {corpus.HUGE_INTEGER}}}}}'))

    assert response.status_code == 201, response.content
    assert response.json()["params"] == {"n": 10**400}
    assert api.get(f"/profiles/{profile_id}/events?type=note").json()["items"][0]["params"] == {"n": 10**400}


@pytest.mark.parametrize("path, raw", [
    pytest.param("/events", corpus.ten_megabytes_in("type"), id="track"),
    pytest.param("/events/batch", corpus.ten_megabytes_in("type"), id="track a batch"),
    pytest.param("/profiles/batch", corpus.ten_megabytes_in("email"), id="batch of profiles"),
    pytest.param("/workflows", corpus.ten_megabytes_in("name"), id="workflow"),
    pytest.param("/forms", corpus.ten_megabytes_in("name"), id="form"),
])
def test_every_json_write_refuses_ten_megabytes_with_413(api, everything, still_serving, path, raw):
    before = everything()

    assert_error(api.post(path, raw=raw), 413, "body_too_large")
    assert everything() == before
    still_serving()


@pytest.mark.parametrize("path, data, field", [
    pytest.param("/workflows", {"name": f"Wel{corpus.NUL}come", "trigger": {"event": "signup"}}, "name", id="workflow name"),
    pytest.param("/workflows", {"name": "W", "trigger": {"event": "signup"},
                                "nodes": [{"type": "addEvent", "eventType": "note", "params": {"x": f"a{corpus.NUL}"}}]},
                 "nodes[0].params.x", id="workflow event params"),
    pytest.param("/forms", {"slug": "news", "name": "News", "fields": [{"name": "email", "target": "email", "label": f"E{corpus.NUL}"}]},
                 "fields[0].label", id="form label"),
    pytest.param("/forms", {"slug": "news\n", "name": "News", "fields": [{"name": "email", "target": "email"}]},
                 "slug", id="form slug ending in a newline"),
])
def test_workflow_and_form_definitions_refuse_what_cannot_be_stored(api, everything, still_serving, path, data, field):
    before = everything()

    error = assert_error(api.post(path, data), 422, "validation_failed")

    assert field in [d["field"] for d in error["details"]], error
    assert everything() == before
    still_serving()


def test_attribute_names_ending_in_a_newline_are_refused(api, profile_id, everything):
    before = everything()

    error = assert_error(api.patch(f"/profiles/{profile_id}", {"attributes": {"plan\n": "x"}}), 422, "validation_failed")

    assert error["details"][0]["code"] == "invalid_name"
    assert everything() == before


# --- nesting, and text in companies and attributes (fixed in files outside this suite) ---

DEEP = corpus.nested(10_000)


@pytest.mark.parametrize("path", ["/profiles", "/profiles/batch", "/events", "/workflows", "/forms"])
def test_json_nested_ten_thousand_levels_deep_is_a_400(api, path):
    assert_error(api.post(path, raw=b'{"attributes": ' + DEEP + b"}"), 400, "malformed_json")


def test_import_options_nested_ten_thousand_levels_deep_are_a_400(api):
    upload = SimpleUploadedFile("people.csv", b"email\nann@example.com\n", "text/csv")
    response = api.client.post("/api/v1/imports", {"file": upload, "options": DEEP.decode()})
    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("raw", [corpus.body({"name": f"Ac{corpus.NUL}me"}), corpus.raw(f'{{"name": "{corpus.LONE_SURROGATE}"}}')],
                         ids=["NUL", "lone surrogate"])
def test_company_name_with_unstorable_text_is_a_422(api, raw):
    assert_error(api.post("/companies", raw=raw), 422, "validation_failed")


def test_attribute_label_with_nul_is_a_422(api):
    assert_error(api.post("/attributes", {"name": "note", "type": "text", "label": f"No{corpus.NUL}te"}), 422, "validation_failed")


def test_attribute_path_with_nul_is_a_404(api):
    assert_error(api.get("/attributes/pl%00an"), 404, "not_found")


def test_event_time_with_an_offset_postgresql_cannot_keep_is_stored_in_utc(api, profile_id):
    response = api.post(f"/profiles/{profile_id}/events", {"type": "visit", "time": "2024-05-29T00:42:38-20:29"})

    assert response.status_code == 201, response.content
    assert response.json()["time"].startswith("2024-05-29T21:11:38")


def test_event_time_that_leaves_the_calendar_in_utc_is_a_422(api, profile_id, everything):
    before = everything()

    error = assert_error(api.post(f"/profiles/{profile_id}/events", {"type": "visit", "time": "0001-01-01T00:00:00+20:00"}),
                         422, "validation_failed")

    assert error["details"][0]["field"] == "time"
    assert everything() == before


@pytest.mark.parametrize("field", [{"name": ["email"], "target": "email"}, {"name": "email", "target": ["email"]},
                                   {"name": {"a": 1}, "target": {"b": 2}}], ids=["list as name", "list as target", "objects"])
def test_a_form_field_named_or_targeted_by_a_list_is_a_422(api, everything, field):
    before = everything()

    error = assert_error(api.post("/forms", {"slug": "news", "name": "News", "fields": [field]}), 422, "validation_failed")

    assert {d["field"] for d in error["details"]} & {"fields[0].name", "fields[0].target"}
    assert everything() == before


@pytest.mark.parametrize("selection, changes, field", [
    pytest.param({"filter": {f"attributes.{corpus.SQL_INJECTION}": "1"}}, {"set": {"city": "Oslo"}},
                 f"attributes.{corpus.SQL_INJECTION}", id="injection in the filter"),
    pytest.param({"filter": {"search": f"a{corpus.NUL}"}}, {"set": {"city": "Oslo"}}, "search", id="NUL in the filter"),
    pytest.param({"ids": [f"{corpus.NUL}"]}, {"set": {"city": "Oslo"}}, "selection.ids[0]", id="NUL as an id"),
    pytest.param({"filter": {}}, {"set": {f"attributes.{corpus.SQL_INJECTION}": "1"}}, f"attributes.{corpus.SQL_INJECTION}",
                 id="injection in an attribute name"),
    pytest.param({"filter": {}}, {"set": {"city": f"Os{corpus.NUL}lo"}}, "city", id="NUL in a value"),
    pytest.param({"filter": {}}, {"set": {"attributes.score": float("inf")}}, "attributes.score", id="infinity"),
    pytest.param({"filter": {}}, {"addTags": [f"{corpus.RLO}piv"]}, "addTags", id="right-to-left override in a tag"),
])
def test_batch_edit_with_hostile_selection_or_changes_is_refused_and_starts_nothing(api, profile_id, everything, still_serving,
                                                                                    selection, changes, field):
    before = everything()

    error = assert_error(api.post("/profiles/batch-edit", {"selection": selection, "changes": changes}), 422)

    assert field in [d["field"] for d in error["details"]], error
    assert api.get("/jobs").json()["items"] == []
    assert everything() == before
    still_serving()


def test_batch_edit_with_a_lone_surrogate_in_a_value_is_refused(api, profile_id, everything):
    before = everything()
    body = b'{"selection": {"filter": {}}, "changes": {"set": {"city": "\\ud800"}}}'

    error = assert_error(api.post("/profiles/batch-edit", raw=body), 422)

    assert error["details"][0]["field"] == "city" and error["details"][0]["value"] == "\ufffd"
    assert everything() == before


def test_minus_zero_is_stored_as_zero_and_sending_it_again_changes_nothing(api, profile_id):
    first = api.patch(f"/profiles/{profile_id}", raw=b'{"attributes": {"score": -0.0, "visits": -0}}')
    again = api.patch(f"/profiles/{profile_id}", raw=b'{"attributes": {"score": 0, "visits": 0}}')

    assert first.status_code == 200, first.content
    assert first.json()["attributes"] == {"plan": "gold", "visits": 0, "score": 0}
    assert again.json()["version"] == first.json()["version"]


@pytest.mark.parametrize("content_type, body", [
    ("application/x-www-form-urlencoded", "email=ann%40example.com"),
    ("text/plain", '{"email": "ann@example.com"}'),
    ("text/csv", "email\nann@example.com\n"),
])
def test_a_json_write_sent_as_something_else_is_a_415_and_creates_nothing(api, everything, content_type, body):
    before = everything()

    response = api.client.post("/api/v1/profiles", data=body, content_type=content_type)

    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"] and content_type in error["message"]
    assert everything() == before


def test_a_json_write_with_a_json_suffix_type_is_read(api):
    response = api.client.post("/api/v1/profiles", data='{"email": "ann@example.com"}', content_type="application/merge-patch+json")
    assert response.status_code == 201, response.content


def test_an_import_sent_as_json_instead_of_a_file_upload_is_a_415(api, everything):
    before = everything()

    response = api.post("/imports", {"file": "email\nann@example.com\n"})

    error = assert_error(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in error["message"]
    assert everything() == before
