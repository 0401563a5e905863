"""Who may call what: every /api/v1 operation (read from the OpenAPI schema, so a new endpoint is
covered as soon as it exists) × no credentials, a key without the scope, a key with only that
scope, viewer, editor and admin sessions (sending the CSRF token) and an admin key.

A refused call is 401 (who are you?) or 403 (you may not) with the error envelope, and changes
nothing; an allowed one gets past the check (any other status: 2xx, 404, 422, ...).
"""

import json

import pytest
from django.test import Client

from dossier.accounts.models import ROLE_SCOPES, SCOPES
from dossier.accounts.services import do_create_api_key
from tests.conftest import ApiClient
from tests.security.conftest import csrf_headers

pytestmark = pytest.mark.django_db

READ, WRITE, IMPORTS, WORKFLOWS, EVENTS = "profiles:read", "profiles:write", "imports", "workflows", "events:write"

# The scope each operation requires (a tuple: all of them). An operation missing here fails
# test_every_operation_has_an_expected_scope: decide who may call it, then add it.
REQUIRED_SCOPE = {
    ("GET", "/api/v1/profiles"): READ,
    ("POST", "/api/v1/profiles"): WRITE,
    ("POST", "/api/v1/profiles/batch"): WRITE,
    ("POST", "/api/v1/profiles/batch-edit"): WRITE,
    ("GET", "/api/v1/profiles/by-email/{email}"): READ,
    ("GET", "/api/v1/profiles/by-custom-id/{custom_id}"): READ,
    ("GET", "/api/v1/profiles/{profile_id}"): READ,
    ("PATCH", "/api/v1/profiles/{profile_id}"): WRITE,
    ("DELETE", "/api/v1/profiles/{profile_id}"): WRITE,
    ("POST", "/api/v1/profiles/{profile_id}/tags/{tag}"): WRITE,
    ("DELETE", "/api/v1/profiles/{profile_id}/tags/{tag}"): WRITE,
    ("PUT", "/api/v1/profiles/{profile_id}/company"): WRITE,
    ("DELETE", "/api/v1/profiles/{profile_id}/company"): WRITE,
    ("POST", "/api/v1/profiles/{profile_id}/merge"): WRITE,
    ("GET", "/api/v1/profiles/{profile_id}/events"): READ,
    ("POST", "/api/v1/profiles/{profile_id}/events"): EVENTS,
    ("GET", "/api/v1/events"): READ,
    ("POST", "/api/v1/events"): EVENTS,
    ("GET", "/api/v1/webhooks"): "admin",
    ("POST", "/api/v1/webhooks"): "admin",
    ("GET", "/api/v1/webhooks/{subscription_id}"): "admin",
    ("PATCH", "/api/v1/webhooks/{subscription_id}"): "admin",
    ("DELETE", "/api/v1/webhooks/{subscription_id}"): "admin",
    ("POST", "/api/v1/webhooks/{subscription_id}/rotate-secret"): "admin",
    ("POST", "/api/v1/webhooks/{subscription_id}/test"): "admin",
    ("GET", "/api/v1/webhooks/{subscription_id}/messages"): "admin",
    ("POST", "/api/v1/webhooks/{subscription_id}/messages/{message_id}/redeliver"): "admin",
    ("POST", "/api/v1/events/batch"): EVENTS,
    ("GET", "/api/v1/attributes"): READ,
    ("POST", "/api/v1/attributes"): WRITE,
    ("GET", "/api/v1/attributes/{name}"): READ,
    ("PATCH", "/api/v1/attributes/{name}"): WRITE,
    ("DELETE", "/api/v1/attributes/{name}"): WRITE,
    ("GET", "/api/v1/companies"): READ,
    ("POST", "/api/v1/companies"): WRITE,
    ("GET", "/api/v1/companies/{company_id}"): READ,
    ("PATCH", "/api/v1/companies/{company_id}"): WRITE,
    ("DELETE", "/api/v1/companies/{company_id}"): WRITE,
    ("GET", "/api/v1/tags"): READ,
    ("GET", "/api/v1/jobs"): READ,
    ("GET", "/api/v1/jobs/{job_id}"): READ,
    ("POST", "/api/v1/jobs/{job_id}/cancel"): (READ, WRITE),  # the stored job is a batch edit; an import's needs `imports`
    ("POST", "/api/v1/jobs/{job_id}/undo"): WRITE,
    ("POST", "/api/v1/imports"): IMPORTS,
    ("GET", "/api/v1/imports/{import_id}"): IMPORTS,
    ("GET", "/api/v1/imports/{import_id}/errors.csv"): IMPORTS,
    ("GET", "/api/v1/workflows"): WORKFLOWS,
    ("POST", "/api/v1/workflows"): WORKFLOWS,
    ("GET", "/api/v1/workflows/{workflow_id}"): WORKFLOWS,
    ("PUT", "/api/v1/workflows/{workflow_id}"): WORKFLOWS,
    ("DELETE", "/api/v1/workflows/{workflow_id}"): WORKFLOWS,
    ("POST", "/api/v1/workflows/{workflow_id}/test"): WORKFLOWS,
    ("GET", "/api/v1/workflows/{workflow_id}/runs"): WORKFLOWS,
    ("GET", "/api/v1/forms"): WORKFLOWS,
    ("POST", "/api/v1/forms"): WORKFLOWS,
    ("GET", "/api/v1/forms/{slug}"): WORKFLOWS,
    ("PUT", "/api/v1/forms/{slug}"): WORKFLOWS,
    ("DELETE", "/api/v1/forms/{slug}"): WORKFLOWS,
}


def _published_operations() -> list[tuple[str, str]]:
    from django.test import Client

    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    return sorted((method.upper(), path) for path, operations in schema["paths"].items() for method in operations)


def _url(path: str, stored: dict[str, str]) -> str:
    for name, value in stored.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no stored object for a parameter of {path}"
    return path


def _call(client, method: str, url: str, headers: dict | None = None):
    kwargs = {"headers": headers or {}}
    if method != "GET":
        kwargs.update(data="{}", content_type="application/json")
    return getattr(client, method.lower())(url, **kwargs)


def _key(*scopes: str):
    _, raw = do_create_api_key(f"key-{'-'.join(sorted(scopes)) or 'none'}", list(scopes))
    return ApiClient(raw).client


def test_every_operation_has_an_expected_scope(db):
    assert set(_published_operations()) == set(REQUIRED_SCOPE)


def _scopes(method: str, path: str) -> tuple[str, ...]:
    scope = REQUIRED_SCOPE[(method, path)]
    return scope if isinstance(scope, tuple) else (scope,)


@pytest.mark.parametrize("method, path", sorted(REQUIRED_SCOPE), ids=[f"{m} {p}" for m, p in sorted(REQUIRED_SCOPE)])
def test_each_operation_admits_exactly_who_holds_its_scope(fingerprint, stored, session, method, path):
    scopes = _scopes(method, path)
    url = _url(path, stored)
    before = fingerprint()
    # As a real server does (the test client skips it unless asked), CSRF is enforced: a write
    # with no credentials or a wrong key is 401, never 403 "CSRF check failed".
    refused = {
        "no credentials": (Client(enforce_csrf_checks=True), {}, 401),
        "an unknown key": (Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer dsk_not-a-key"}), {}, 401),
        "a key with no scope": (_key(), {}, 403),
    }
    for missing in scopes:
        refused[f"a key with every scope but {missing}"] = (_key(*(s for s in SCOPES if s not in (missing, "admin"))), {}, 403)
    sessions = {role: session(role) for role in ("viewer", "editor", "admin")}
    for role, client in sessions.items():
        if not set(scopes) <= ROLE_SCOPES[role]:
            refused[f"a {role} session"] = (client, csrf_headers(client), 403)

    for who, (client, headers, status) in refused.items():
        response = _call(client, method, url, headers)
        assert response.status_code == status, (who, response.status_code, response.content[:200])
        assert response.json()["error"]["code"] in ("unauthenticated", "forbidden"), (who, response.json())
    assert fingerprint() == before

    allowed = {"a key with just these scopes": (_key(*scopes), {})}
    if scopes != ("admin",):
        allowed["an admin key"] = (_key("admin"), {})
    allowed.update({f"a {role} session": (client, csrf_headers(client)) for role, client in sessions.items()
                    if set(scopes) <= ROLE_SCOPES[role]})
    for who, (client, headers) in allowed.items():
        response = _call(client, method, url, headers)
        assert response.status_code not in (401, 403), (who, response.status_code, response.content[:200])


@pytest.mark.parametrize("method, path", [op for op in sorted(REQUIRED_SCOPE) if op[0] != "GET"],
                         ids=[f"{m} {p}" for m, p in sorted(REQUIRED_SCOPE) if m != "GET"])
def test_a_session_without_the_csrf_token_may_not_write(fingerprint, stored, session, method, path):
    editor, admin = session("editor"), session("admin")
    before = fingerprint()

    for client in (editor, admin):
        response = _call(client, method, _url(path, stored))
        assert response.status_code == 403, response.content[:200]
        assert "CSRF" in response.json()["error"]["message"]
    assert fingerprint() == before


def test_a_key_needs_no_csrf_token_but_a_session_cookie_beside_a_wrong_key_does(session):
    """Browsers never send a bearer key on their own, so a key needs no CSRF token; a wrong key
    falls back to the session cookie, which then needs the token like any other session write."""
    admin = session("admin")
    _, raw = do_create_api_key("crm", ["profiles:write"])

    keyed = admin.post("/api/v1/profiles", data={"firstName": "Keyed"}, content_type="application/json",
                       headers={"Authorization": f"Bearer {raw}"})
    wrong_key = admin.post("/api/v1/profiles", data={"firstName": "Cookie"}, content_type="application/json",
                           headers={"Authorization": "Bearer dsk_wrong"})

    assert keyed.status_code == 201, keyed.content
    assert wrong_key.status_code == 403 and "CSRF" in wrong_key.json()["error"]["message"]
