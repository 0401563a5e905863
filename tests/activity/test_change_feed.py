"""GET /api/v1/events?after=: every profile's events in commit order, each seen exactly once by a
consumer that polls with the last cursor, also when writers commit out of id order; and
`dossier events tail` following it on the terminal."""

import json
import threading

import pytest
import requests
from django.db import connection, transaction

from dossier.accounts.services import do_create_api_key
from dossier.profiles.changes import ChangeContext
from dossier.profiles.services import do_create_profile
from tests.processes import run_dossier

# Committed writes: the feed shows only what has committed, and a test's own open transaction
# would hold every event back on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)


def feed(api, after: str = "", **query):
    params = "&".join(f"{k}={v}" for k, v in {"after": after, **query}.items() if v)
    response = api.get(f"/events?{params}")
    assert response.status_code == 200, response.content
    return response.json()


def drain(api, after: str = "", **query) -> tuple[list[dict], str]:
    seen = []
    while True:
        page = feed(api, after, **query)
        seen += page["items"]
        after = page["nextCursor"]
        if not page["hasMore"]:
            return seen, after


def test_the_feed_pages_through_every_profiles_events_in_order(api):
    for n in range(5):
        api.post("/profiles", {"email": f"p{n}@example.com"})
    first = api.get("/profiles?email=p0@example.com").json()["items"][0]
    api.patch(f"/profiles/{first['id']}", {"city": "Oslo"})

    page = feed(api, limit=2)
    rest, end = drain(api, page["nextCursor"], limit=2)

    events = page["items"] + rest
    assert page["hasMore"] is True and len(page["items"]) == 2
    assert [e["type"] for e in events] == ["profile.created"] * 5 + ["profile.updated"]
    assert events[-1]["params"]["changes"] == [{"attribute": "city", "old": None, "new": "Oslo"}]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert feed(api, end) == {"items": [], "nextCursor": end, "hasMore": False}


def test_an_erased_profile_leaves_only_its_profile_deleted_event_in_the_feed(api):
    kept = api.post("/profiles", {"email": "kept@example.com"}).json()
    gone = api.post("/profiles", {"email": "gone@example.com"}).json()
    api.patch(f"/profiles/{gone['id']}", {"city": "Oslo"})

    assert api.delete(f"/profiles/{gone['id']}").status_code == 204

    events, _ = drain(api)
    assert [(e["type"], e["profileId"]) for e in events] == [("profile.created", kept["id"]), ("profile.deleted", gone["id"])]
    assert events[-1]["params"] == {"profileId": gone["id"]} and events[-1]["source"] == "api"
    assert api.get(f"/profiles/{gone['id']}/events").status_code == 404
    assert api.delete(f"/profiles/{gone['id']}").status_code == 404  # erased once: no second event
    assert len(drain(api)[0]) == 2
    refused = api.post(f"/profiles/{kept['id']}/events", {"type": "profile.deleted"})
    assert refused.status_code == 422 and "written by Dossier itself" in refused.text


def test_a_consumer_sees_only_what_committed_after_its_cursor(api):
    api.post("/profiles", {"email": "a@example.com"})
    _, end = drain(api)

    api.post("/profiles", {"email": "b@example.com"})

    later, _ = drain(api, end)
    assert [(e["type"], e["params"]["changes"][0]["new"]) for e in later] == [("profile.created", "b@example.com")]


def test_types_filter_and_the_cursor_moves_past_other_types(api):
    created = api.post("/profiles", {"email": "a@example.com"}).json()
    api.post(f"/profiles/{created['id']}/events", {"type": "page.visit", "params": {"url": "/"}})

    visits = feed(api, types="page.visit,cart.add")

    assert [e["type"] for e in visits["items"]] == ["page.visit"]
    api.patch(f"/profiles/{created['id']}", {"city": "Oslo"})
    assert feed(api, visits["nextCursor"], types="page.visit")["items"] == []


@pytest.mark.parametrize("after", ["nonsense", "MTIz", "LTEuNQ", "%00"])
def test_a_cursor_the_feed_did_not_give_is_a_422(api, after):
    response = api.get(f"/events?after={after}")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "after"


def test_the_feed_needs_the_read_scope(make_api):
    assert make_api("events:write").get("/events").status_code == 403


def test_an_event_committed_late_with_a_lower_id_is_not_skipped():
    """Writer A takes its event ids first but commits last; a poll between B's commit and A's must
    not move the cursor past A's events."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite commits one writer at a time: ids are always in commit order there")
    _, key = do_create_api_key("feed", ["profiles:read"])
    from tests.conftest import ApiClient
    api = ApiClient(key)
    a_wrote, b_committed_and_polled = threading.Event(), threading.Event()

    def writer_a():
        with transaction.atomic():
            do_create_profile({"email": "a@example.com"}, ChangeContext(source="api", actor="test"))
            a_wrote.set()
            b_committed_and_polled.wait(30)
        connection.close()

    thread = threading.Thread(target=writer_a)
    thread.start()
    a_wrote.wait(30)
    do_create_profile({"email": "b@example.com"}, ChangeContext(source="api", actor="test"))
    first, cursor = drain(api)
    b_committed_and_polled.set()
    thread.join(30)
    second, _ = drain(api, cursor)

    emails = [e["params"]["changes"][0]["new"] for e in first + second]
    assert first == []  # B's event waits behind A's open transaction
    assert sorted(emails) == ["a@example.com", "b@example.com"]


def test_concurrent_writers_and_a_poller_each_event_exactly_once(live_server):
    _, key = do_create_api_key("writers", ["profiles:read", "profiles:write"])
    headers = {"Authorization": f"Bearer {key}"}
    base = f"{live_server.url}/api/v1"
    writers, each = 6, 15
    done = threading.Event()
    seen: list[int] = []

    def write(n: int) -> None:
        for i in range(each):
            response = requests.post(f"{base}/profiles", json={"email": f"w{n}-{i}@example.com"}, headers=headers, timeout=60)
            assert response.status_code == 201, response.text

    def poll() -> None:
        after = ""
        while True:
            finished = done.is_set()
            page = requests.get(f"{base}/events", params={"after": after, "limit": 7}, headers=headers, timeout=60).json()
            seen.extend(e["id"] for e in page["items"])
            after = page["nextCursor"]
            if finished and not page["hasMore"]:
                return

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    poller = threading.Thread(target=poll)
    poller.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join(120)

    assert len(seen) == writers * each
    assert len(set(seen)) == len(seen)


def test_events_tail_prints_json_lines_and_resumes_from_a_printed_cursor(api):
    api.post("/profiles", {"email": "a@example.com"})
    api.post("/profiles", {"email": "b@example.com"})

    first = run_dossier("events", "tail", "--from-start", "--once")
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    api.post("/profiles", {"email": "c@example.com"})
    resumed = run_dossier("events", "tail", "--after", lines[0]["cursor"], "--once")
    from_now = run_dossier("events", "tail", "--once")

    assert first.returncode == 0, first.stderr
    assert [line["params"]["changes"][0]["new"] for line in lines] == ["a@example.com", "b@example.com"]
    assert [json.loads(line)["params"]["changes"][0]["new"] for line in resumed.stdout.splitlines()] == [
        "b@example.com", "c@example.com"]
    assert from_now.stdout == ""
    refused = run_dossier("events", "tail", "--after", "nonsense", "--once")
    assert refused.returncode != 0 and "--after: not a cursor this feed returned" in refused.stderr
