"""Schemathesis against the live OpenAPI schema (/api/v1/openapi.json): every endpoint, with a key
that may do everything. No request may get a 5xx; every 4xx is the JSON error envelope.

Half the cases of an operation with path parameters name stored objects (tests/security/seeds),
so generated bodies reach the code behind the 404; a DELETE aimed at a stored object removes a
fresh copy instead, so the objects stay for the cases after it.
"""

import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from dossier.accounts.services import do_create_api_key
from dossier.urls import api
from tests.conftest import ApiClient
from tests.security.seeds import seed_every_kind

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 40  # per operation in `make test`, the same ones every run; the long run draws LONG_EXAMPLES anew
LONG_EXAMPLES = 300


@pytest.fixture
def admin_key(db) -> str:
    return do_create_api_key("fuzzer", ["admin"])[1]


@pytest.fixture
def stored(admin_key) -> dict[str, str]:
    return seed_every_kind(ApiClient(admin_key))


@pytest.fixture
def live_schema(live_server, stored):
    raw = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.update(base_url=live_server.url)
    return schema


def error_envelope(ctx, response, case) -> None:
    """A 4xx says what went wrong as {error: {code, message, details: [...]}}."""
    if 400 <= response.status_code < 500:
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"a {response.status_code} without a JSON body: {response.text[:200]!r}") from None
        error = body.get("error") if isinstance(body, dict) else None
        assert isinstance(error, dict), f"a {response.status_code} without the error envelope: {body!r}"[:300]
        assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), error
        assert isinstance(error.get("details"), list), error


THROWAWAY = {  # the path parameter of each DELETE that removes a stored object, and how to make a copy
    "profile_id": lambda admin: admin.post("/profiles", {"firstName": "Throwaway"}).json()["id"],
    "company_id": lambda admin: admin.post("/companies", {"name": "Throwaway"}).json()["id"],
    "workflow_id": lambda admin: str(admin.post("/workflows", {"name": "Throwaway", "trigger": {"event": "x.y"}}).json()["id"]),
    "slug": lambda admin: admin.post("/forms", {"slug": f"throwaway-{uuid.uuid4().hex[:8]}", "name": "Throwaway",
                                                "fields": [{"name": "email", "target": "email"}]}).json()["slug"],
}


def _throwaway(admin: ApiClient, case, stored: dict[str, str]) -> None:
    """Point a DELETE of a stored object (not of one of its parts) at a copy made for it."""
    if case.method != "DELETE":
        return
    for name, value in (case.path_parameters or {}).items():
        if name in THROWAWAY and case.path.endswith("{" + name + "}") and value == stored[name]:
            case.path_parameters[name] = THROWAWAY[name](admin)


def run_case(case, admin_key: str, stored: dict[str, str]) -> None:
    _throwaway(ApiClient(admin_key), case, stored)
    response = case.call(headers={"Authorization": f"Bearer {admin_key}"}, timeout=30)
    case.validate_response(response, checks=[not_a_server_error, error_envelope])


def _operations() -> dict[str, list[tuple[str, str]]]:
    """(METHOD, path) of every operation in the schema the server publishes, by tag, read at collection."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            groups.setdefault(operation["tags"][0], []).append((method.upper(), path))
    return groups


OPERATIONS = _operations()
FUZZ_SETTINGS = dict(deadline=None, database=None, print_blob=True, suppress_health_check=list(HealthCheck))


def fuzz(live_schema, stored: dict, admin_key: str, tag: str, examples: int, **options) -> None:
    """Fuzz each operation of `tag` in turn (one test per tag: each test empties the database)."""
    for method, path in OPERATIONS[tag]:
        operation = live_schema[path][method]
        names = [p.name for p in operation.path_parameters]
        modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        strategies = [operation.as_strategy(mode) for mode in modes]
        if names:
            strategies += [operation.as_strategy(mode, path_parameters={n: stored[n] for n in names}) for mode in modes]

        @given(case=st.one_of(strategies))
        @settings(max_examples=examples, **FUZZ_SETTINGS, **options)
        def check(case):
            run_case(case, admin_key, stored)

        try:
            check()
        except Exception as exc:
            raise AssertionError(f"{method} {path}: {exc}") from exc


def test_the_live_schema_lists_every_operation(live_schema):
    listed = sorted((o.method.upper(), o.path) for o in (r.ok() for r in live_schema.get_all_operations()))
    assert listed == sorted(op for group in OPERATIONS.values() for op in group)


@pytest.mark.parametrize("tag", OPERATIONS)
def test_no_endpoint_answers_a_server_error(live_schema, stored, admin_key, tag):
    fuzz(live_schema, stored, admin_key, tag, EXAMPLES, derandomize=True)


@pytest.mark.long
@pytest.mark.parametrize("tag", OPERATIONS)
def test_no_endpoint_answers_a_server_error_long_run(live_schema, stored, admin_key, tag):
    fuzz(live_schema, stored, admin_key, tag, LONG_EXAMPLES)
