"""Schemathesis against the live OpenAPI schema (/api/v1/openapi.json): every endpoint, with a key
that may do everything. No request may get a 5xx; every 4xx is the JSON error envelope; every
answer the schema describes matches its description.

Bodies are generated from the request-body schemas the routes publish (dossier/*/openapi.py); an
import's file part is a small CSV or JSON Lines file built from plausible columns and cells
(FILE_STRATEGIES), so the cases reach the mapping and the rows rather than stop at the sniffer.

Half the cases of an operation with path parameters name stored objects (tests/security/seeds),
so generated bodies reach the code behind the 404; a DELETE aimed at a stored object removes a
fresh copy instead, so the objects stay for the cases after it.
"""

import csv
import io
import json
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from dossier.accounts.services import do_create_api_key
from dossier.config import env_int
from dossier.urls import api
from tests.conftest import ApiClient
from tests.security.seeds import seed_every_kind

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 40  # per operation in `make test`, the same ones every run; the long run draws LONG_EXAMPLES anew
LONG_EXAMPLES = env_int("DOSSIER_FUZZ_EXAMPLES", 300)  # raise it for a deeper local run

COLUMNS = ("email", "customId", "id", "phone", "firstName", "city", "birthDate", "sex", "countryCode", "avatarUrl",
           "tags", "agreements.email", "attributes.plan", "attributes.score", "companyId", "Date of Birth", "note")
CELL_SAMPLES = ("", " ", "seed@example.com", "SEED@example.com", "anna@example.com", "not-an-email", "seed-1",
                "+48 501 234 567", "1990-05-01", "2999-01-01", "1900-01-01", "MALE", "2", "7", "PL", "pl", "XX",
                "vip;new", ";;", "true", "no", "12", "1.5", "-0", "9" * 25, "https://example.com/a.png", "ftp://x",
                "=HYPERLINK(1)", '"quoted, cell"', "line\nbreak", "\u202egnp.exe", "\x00")
CELLS = st.one_of(st.sampled_from(CELL_SAMPLES), st.text(max_size=12))
JSON_VALUES = st.one_of(CELLS, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                        st.lists(st.text(max_size=6), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True))
    width = st.integers(min_value=len(header) - 1, max_value=len(header) + 1)  # now and then a ragged row
    rows = draw(st.lists(width.flatmap(lambda n: st.lists(CELLS, min_size=n, max_size=n)), max_size=5))
    text = io.StringIO()
    csv.writer(text, delimiter=draw(st.sampled_from(",;\t|"))).writerows([header, *rows])
    return draw(st.sampled_from(["", "\ufeff"])).encode() + text.getvalue().encode()


@st.composite
def jsonl_files(draw) -> bytes:
    keys = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True))
    rows = draw(st.lists(st.dictionaries(st.sampled_from(keys), JSON_VALUES, min_size=1), min_size=1, max_size=5))
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


FILE_STRATEGIES = {"text/csv": csv_files(), "application/jsonl": jsonl_files()}  # the media types of POST /imports' file
for media_type, strategy in FILE_STRATEGIES.items():
    schemathesis.openapi.media_type(media_type, strategy)


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
    case.validate_response(response, checks=[not_a_server_error, error_envelope, response_schema_conformance])


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
