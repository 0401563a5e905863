"""`kill -9` of the web server while `POST /profiles/batch` is in flight, then a retry with the
same Idempotency-Key: each profile of the batch is stored exactly once, with one event."""

import http.client
import json
import threading
import time

import pytest
import requests
from django.db.models import Count

from dossier.accounts.services import do_create_api_key
from dossier.activity.models import Event
from dossier.profiles.models import Profile
from tests.faults.servers import WebServer
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = 1000
KILL_POINTS = (0.5, 0.3, 0.15, 0.05)  # fractions of an uninterrupted batch's time, tried in turn


def batch_of(label: str) -> list[dict]:
    return [{"email": f"{label}-{n}@example.com", "firstName": f"Anna {n}", "city": "Warsaw",
             "tags": ["fault"], "attributes": {"n": n}} for n in range(BATCH)]


def post_batch(server: WebServer, key: str, body: list[dict], idempotency_key: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/profiles/batch", data=json.dumps(body), timeout=120,
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                  "Idempotency-Key": idempotency_key})


def post_batch_and_kill(server: WebServer, key: str, body: list[dict], idempotency_key: str, kill_after: float) -> bool:
    """Send the whole request, then kill the server `kill_after` seconds later; True when the
    client got no answer (the request was in flight when the server died)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.request("POST", "/api/v1/profiles/batch", body=json.dumps(body).encode(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                "Idempotency-Key": idempotency_key})
    killer = threading.Timer(kill_after, server.kill_hard)
    killer.start()
    try:
        connection.getresponse().read()
        answered = True
    except (http.client.HTTPException, OSError):
        answered = False
    killer.join()
    connection.close()
    return not answered


def stored_ids(emails: list[str]) -> list[str]:
    ids = dict(Profile.objects.filter(email__in=emails).values_list("email", "id"))
    return [str(ids[email]) for email in emails if email in ids]


def test_a_batch_cut_off_by_kill_9_is_stored_exactly_once_after_a_retry_with_its_key():
    _, key = do_create_api_key("fault-suite", ["admin"])
    server = WebServer().start()
    try:
        assert post_batch(server, key, batch_of("warm-up"), "warm-up").status_code == 200
        started = time.monotonic()
        assert post_batch(server, key, batch_of("timed"), "timed").status_code == 200
        uninterrupted = time.monotonic() - started

        for attempt, fraction in enumerate(KILL_POINTS):
            body, idempotency_key = batch_of(f"attempt{attempt}"), f"batch-{attempt}"
            cut_off = post_batch_and_kill(server, key, body, idempotency_key, uninterrupted * fraction)
            server = WebServer().start()
            if cut_off:
                break
        assert cut_off, "the server answered every batch before it was killed"
        emails = [item["email"] for item in body]
        assert len(stored_ids(emails)) in (0, BATCH)  # one transaction: all or nothing

        retry = post_batch(server, key, body, idempotency_key)
        again = post_batch(server, key, body, idempotency_key)
    finally:
        server.stop()

    assert retry.status_code == 200, retry.text
    results = retry.json()["results"]
    assert [(r["index"], r["status"], r["errors"]) for r in results] == [(n, "created", []) for n in range(BATCH)]
    assert [r["id"] for r in results] == stored_ids(emails)
    assert (again.status_code, again.headers.get("Idempotent-Replayed"), again.json()) == (200, "true", retry.json())
    created = Event.objects.filter(type="profile.created", profile__email__in=emails)
    per_profile = created.values("profile_id").annotate(n=Count("id")).values_list("n", flat=True)
    assert len(per_profile) == BATCH and set(per_profile) == {1}
    assert not Event.objects.filter(type="profile.updated", profile__email__in=emails).exists()
    verify = run_dossier("verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
