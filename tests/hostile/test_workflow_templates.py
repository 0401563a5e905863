"""Hostile workflow templates and hostile event values flowing through them: refused when saved,
or failing that one run with a message, never growing a value without bound, never writing part
of a node's changes, and the engine still running the next event."""

import tracemalloc

import pytest
from django.core.management import call_command

from tests.hostile import corpus
from tests.hostile.conftest import assert_error

pytestmark = pytest.mark.django_db

MAX_PEAK_BYTES = 50 * 1024 * 1024


def workflow(api, set_values: dict, **node) -> dict:
    response = api.post("/workflows", {"name": "hostile", "enabled": True, "trigger": {"event": "probe"},
                                       "nodes": [{"type": "updateProfile", "set": set_values, **node}]})
    assert response.status_code == 201, response.content
    return response.json()


def dry_run(api, flow: dict, params: dict | bytes) -> dict:
    if isinstance(params, dict):
        response = api.post(f"/workflows/{flow['id']}/test",
                            {"event": {"type": "probe", "params": params, "profile": {"email": "anna@example.com"}}})
    else:
        response = api.post(f"/workflows/{flow['id']}/test", raw=b'{"event": {"type": "probe", "profile": '
                            b'{"email": "anna@example.com"}, "params": ' + params + b"}}")
    assert response.status_code == 200, response.content[:300]
    return response.json()


@pytest.mark.parametrize("template, params, reason", [
    pytest.param("{{ 9 ** 999999 }}", {}, "the power is too large", id="a huge power"),
    pytest.param("{{ 'a' * 100000000 }}", {}, "at most 10000 characters", id="a string times 10**8"),
    pytest.param("{{ event.params.s * event.params.n }}", {"s": "ab", "n": 10**9}, "at most 10000 characters", id="a param times a param"),
    pytest.param("{{ event.params.s | replace('a', event.params.s) }}", {"s": "a" * 20_000}, "at most 10000 characters",
                 id="replace every character by the whole"),
    pytest.param("{{ event.params.s | replace('', event.params.s) }}", {"s": "a" * 20_000}, "at most 10000 characters",
                 id="replace the empty string"),
    pytest.param("{{ event.params.l | join(event.params.s) }}", {"l": [0] * 10_000, "s": "a" * 20_000}, "at most 10000 characters",
                 id="join with a long separator"),
    pytest.param("{{ event.params.s ~ event.params.s ~ event.params.s }}", {"s": "a" * 20_000}, "at most 10000 characters",
                 id="concatenation"),
    pytest.param("{{ " + " ~ ".join(["event.params.s"] * 100) + " }}", {"s": "a" * 5_000}, "at most 10000 characters",
                 id="a hundred concatenations"),
    pytest.param("{{ event.params.n * event.params.n }}", {"n": 10**2000}, "", id="digits past int-to-text limit"),
])
def test_a_template_that_would_grow_without_bound_fails_the_run_in_bounded_memory(api, profile_id, template, params, reason):
    flow = workflow(api, {"firstName": template, "city": "Never"})

    tracemalloc.start()
    try:
        result = dry_run(api, flow, params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result["status"] == "failed", result
    assert reason in result["reason"]
    assert result["changes"] == []
    assert peak < MAX_PEAK_BYTES, f"rendering took {peak // 2**20} MB"


@pytest.mark.parametrize("params, field", [
    pytest.param(corpus.body({"name": f"An{corpus.NUL}na"}), "firstName", id="NUL"),
    pytest.param(corpus.raw(f'{{"name": "{corpus.LONE_SURROGATE}"}}'), "firstName", id="lone surrogate"),
    pytest.param(corpus.body({"name": f"{corpus.RLO}anna"}), "firstName", id="right-to-left override"),
    pytest.param(corpus.body({"name": "a" * 300}), "firstName", id="too long"),
])
def test_a_hostile_value_rendered_into_a_field_is_refused_and_writes_nothing(api, profile_id, params, field):
    flow = workflow(api, {"firstName": "{{ event.params.name }}", "city": "Never"}, addTags=["touched"])

    result = dry_run(api, flow, params)

    assert result["status"] == "failed", result
    assert result["reason"].startswith(f"nodes[0].set.{field}:"), result["reason"]
    assert result["changes"] == []


@pytest.mark.django_db(transaction=True)  # the worker commits and closes its connection
def test_the_worker_fails_only_the_hostile_run_and_applies_none_of_its_node(api, profile_id):
    flow = workflow(api, {"firstName": "{{ event.params.name }}", "city": "{{ event.params.city }}"}, addTags=["touched"])
    api.post("/profiles", {"email": "bob@example.com"})
    anna_before = api.get(f"/profiles/{profile_id}").json()

    hostile = api.post("/events", raw=b'{"profile": {"email": "anna@example.com"}, "type": "probe",'
                                      b' "params": {"name": "\\u202eevil", "city": "Oslo"}}')
    fine = api.post("/events", {"profile": {"email": "bob@example.com"}, "type": "probe", "params": {"name": "Bob", "city": "Oslo"}})
    assert (hostile.status_code, fine.status_code) == (201, 201)
    call_command("worker", batch=True, interval=0, verbosity=0)

    runs = {run["status"] for run in api.get(f"/workflows/{flow['id']}/runs").json()["items"]}
    assert runs == {"failed", "done"}
    assert api.get(f"/profiles/{profile_id}").json() == anna_before
    bob = api.get("/profiles/by-email/bob@example.com").json()
    assert (bob["firstName"], bob["city"], bob["tags"]) == ("Bob", "Oslo", ["touched"])


@pytest.mark.parametrize("definition, field", [
    pytest.param({"firstName": "{{ event.params.x }}" + "a" * 2_001}, "nodes[0].set.firstName", id="template over 2000 characters"),
    pytest.param({"firstName": "{{ event.__class__ }}"}, "nodes[0].set.firstName", id="private attribute"),
    pytest.param({"firstName": "{{ event.params|attr('__class__') }}"}, "nodes[0].set.firstName", id="attr filter"),
    pytest.param({"firstName": "{{ cycler.__init__.__globals__ }}"}, "nodes[0].set.firstName", id="jinja globals"),
    pytest.param({"firstName": "{{ event.params.x }}\x00"}, "nodes[0].set.firstName", id="NUL"),
    pytest.param({"firstName": "{{ " + "(" * 900 + "1" + ")" * 900 + " }}"}, "nodes[0].set.firstName",
                 id="parentheses past the parser's recursion"),
    pytest.param({"firstName": "{{ " + "-" * 60 + "1 }}"}, "nodes[0].set.firstName", id="sixty nested negations"),
    pytest.param({f"attributes.{corpus.SQL_INJECTION}": "{{ event.params.x }}"}, f"nodes[0].set.attributes.{corpus.SQL_INJECTION}",
                 id="injection in an attribute name"),
])
def test_hostile_templates_are_refused_when_saved(api, everything, definition, field):
    before = everything()

    response = api.post("/workflows", {"name": "hostile", "trigger": {"event": "probe"},
                                       "nodes": [{"type": "updateProfile", "set": definition}]})

    error = assert_error(response, 422, "validation_failed")
    assert field in [d["field"] for d in error["details"]], error
    assert everything() == before

