"""What the OpenAPI document (/api/v1/openapi.json) says of requests and answers.

Every POST, PUT and PATCH states its body (or that it reads none), so the fuzzing in
test_api_fuzz.py generates real bodies for each; requests the API accepts are valid against the
published schemas, so no schema is stricter than the endpoint it describes; and every operation
describes its answers, errors as the envelope.
"""

import json

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dossier.core.openapi import NO_BODY_MARK
from tests.security.seeds import FORM, WORKFLOW

pytestmark = pytest.mark.django_db

BODY_METHODS = ("post", "put", "patch")


@pytest.fixture
def document() -> dict:
    return json.loads(Client().get("/api/v1/openapi.json").content)


def _operations(document: dict, methods=BODY_METHODS):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in methods:
                yield f"{method.upper()} {path}", operation


def test_every_post_put_and_patch_describes_its_body(document):
    undescribed = []
    for name, operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        described = bool(content) and all(media.get("schema") for media in content.values())
        if described == bool(operation.get(NO_BODY_MARK)):  # neither a body nor "reads none", or both
            undescribed.append(name)
    assert undescribed == [], f"give these a request-body schema (dossier.core.openapi), or mark them {NO_BODY_MARK}"


def test_only_writes_mark_that_they_read_no_body(document):
    # The mark answers the question the test above asks; on a GET it would mean nothing.
    marked = [name for name, operation in _operations(document, ("get",)) if operation.get(NO_BODY_MARK)]
    assert marked == []


def test_every_operation_describes_its_answers_with_the_error_envelope_for_each_4xx(document):
    # 401 is listed by `dossier.core.openapi.responses`, which every route's answers go through.
    loose = []
    for name, operation in _operations(document, BODY_METHODS + ("get", "delete")):
        answers = operation["responses"]
        if "401" not in answers or not any(status.startswith("2") for status in answers):
            loose.append(f"{name}: answers not described")
        for status, answer in answers.items():
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if status.startswith("4") and "error" not in schema.get("properties", {}):
                loose.append(f"{name}: {status} is not the error envelope")
    assert loose == []


def _accepted_writes(api) -> list[tuple[str, str, object]]:
    """(method, path, body) of requests the API takes: every kind of value each body may hold."""
    company = api.post("/companies", {"name": "Acme", "domain": "acme.example", "email": "office@acme.example"}).json()
    profile = api.post("/profiles", {"email": "ola@example.com"}).json()
    return [
        ("POST", "/profiles", {
            "email": "Anna@Example.com", "customId": "crm-1", "phone": "+48 501 234 567", "firstName": "Anna",
            "lastName": "Nowak", "displayName": "Ania", "city": "Kraków", "province": "Małopolskie", "zipCode": "30-001",
            "address": "Rynek 1", "countryCode": "pl", "birthDate": "1990-05-01", "sex": "FEMALE",
            "anonymousType": "recognized", "avatarUrl": "https://example.com/a.png",
            "agreements": {"email": True, "sms": "false", "push": 1, "webPush": 0},
            "tags": ["vip", "new"], "company": {"id": company["id"]},
            "attributes": {"plan": "gold", "score": 12, "ratio": 0.5, "active": True, "pets": ["cat", "dog"]}}),
        ("POST", "/profiles", {"firstName": "Bez", "sex": 2, "companyId": company["id"], "tags": None, "attributes": None}),
        ("PATCH", f"/profiles/{profile['id']}", {"city": None, "sex": None, "birthDate": None, "addTags": ["x"],
                                                 "removeTags": [], "company": None, "attributes": {"plan": None}}),
        ("PUT", f"/profiles/{profile['id']}/company", {"companyId": company["id"]}),
        ("POST", "/profiles/batch", [{"email": "ola@example.com", "city": "Gdańsk"}, {"customId": "crm-9", "sex": 1},
                                     {"id": profile["id"], "agreements": {"email": "true"}},
                                     {"phone": "+48 600 700 800", "firstName": "Tel"}]),
        ("POST", "/profiles/batch-edit", {"selection": {"ids": [profile["id"]]}, "dryRun": True,
                                          "changes": {"set": {"city": "Łódź", "sex": "MALE", "attributes.plan": "silver",
                                                              "agreements.sms": True},
                                                      "clear": ["zipCode", "attributes.score"], "addTags": ["a"],
                                                      "removeTags": ["b"], "agreements": {"push": False},
                                                      "companyId": company["id"]}}),
        ("POST", "/profiles/batch-edit", {"selection": {"filter": {"city": "Gdańsk", "tag": ["vip", "new"],
                                                                   "attributes.plan": "gold", "agreements.email": "true"}},
                                          "changes": {"clear": ["city"]}}),
        ("POST", "/attributes", {"name": "tier", "type": "integer", "label": "Tier", "description": "1-3\nhigher is better"}),
        ("PATCH", "/attributes/tier", {"label": "Loyalty tier", "type": "number"}),
        ("PATCH", f"/companies/{company['id']}", {"domain": "acme.example.org"}),
        ("POST", f"/profiles/{profile['id']}/events", {"type": "purchase", "params": {"sku": "A1"}, "time": "2024-05-01T10:00:00Z"}),
        ("POST", "/events", {"profile": {"email": "ola@example.com"}, "type": "page.view", "params": {}}),
        ("POST", "/events/batch", [{"profile": {"customId": "crm-9"}, "type": "login"}]),
        ("POST", "/forms", FORM),
        ("POST", "/workflows", WORKFLOW),
    ]


def test_bodies_the_api_accepts_are_valid_against_the_published_schemas(api, document):
    schema = schemathesis.openapi.from_dict(document)
    for method, path, body in _accepted_writes(api):
        response = getattr(api, method.lower())(path, body)
        assert response.status_code in (200, 201, 202), (method, path, response.content[:300])
        template = min((p for p in document["paths"] if _matches(p.removeprefix("/api/v1"), path)), key=lambda p: p.count("{"))
        operation = schema[template][method]
        operation.get_body_for_media_type("application/json").validate(body)


def test_an_import_upload_is_valid_against_the_published_schema(api, document):
    options = {"identifier": "email", "mapping": {"mail": "email", "plan": {"target": "attributes.plan", "type": "text",
                                                                             "policy": "ifEmpty"}, "skip": None},
               "emptyCells": "clear", "createNew": False, "addTags": ["imported"], "dryRun": True}
    upload = b"mail,plan,skip\nola@example.com,gold,x\n"
    response = api.client.post("/api/v1/imports", {"file": SimpleUploadedFile("p.csv", upload, "text/csv"),
                                                   "options": json.dumps(options)})
    assert response.status_code in (200, 202), response.content[:300]
    operation = schemathesis.openapi.from_dict(document)["/api/v1/imports"]["POST"]
    operation.get_body_for_media_type("multipart/form-data").validate({"file": upload.decode(), "options": options})


def _matches(template: str, path: str) -> bool:
    parts, wanted = template.split("/"), path.split("/")
    return len(parts) == len(wanted) and all(p == w or p.startswith("{") for p, w in zip(parts, wanted))
