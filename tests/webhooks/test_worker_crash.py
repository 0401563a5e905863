"""A worker killed (kill -9) in the middle of a delivery: the message is sent again by the next
worker once the lease lapses, with the same webhook-id, and no event is lost or put in two
messages."""

import os
import signal
import time

import pytest

from tests.processes import start_dossier

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_ENV = {"DOSSIER_WEBHOOKS_ALLOW_PRIVATE": "1", "DOSSIER_WEBHOOK_TIMEOUT_SECONDS": "2",
              "DOSSIER_WEBHOOK_RETRY_BASE_SECONDS": "0.2"}


def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(api, subscribe, receiver):
    subscribe(eventTypes=["profile.created"])
    receiver.answers = [("sleep", 1.8)]  # the first message is held while the worker is killed
    api.post("/profiles/batch", [{"email": f"p{n}@example.com"} for n in range(150)])

    first = start_dossier("worker", "--interval", "0.05", **WORKER_ENV)
    try:
        receiver.wait_for(1, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        time.sleep(2)  # the receiver answers the dead worker's request into nothing
        second = start_dossier("worker", "--interval", "0.05", **WORKER_ENV)
        try:
            received = receiver.wait_for(3, timeout=60)
            deadline = time.monotonic() + 30
            while api.get(f"/webhooks/{api.get('/webhooks').json()['items'][0]['id']}").json()["messages"]["pending"]:
                assert time.monotonic() < deadline, "messages still pending"
                time.sleep(0.2)
        finally:
            second.terminate()
            second.wait(20)
    finally:
        if first.poll() is None:
            first.kill()

    by_id: dict[str, set] = {}
    for request in receiver.received:
        by_id.setdefault(request.headers["webhook-id"], set()).add(tuple(request.event_ids))
    assert all(len(bodies) == 1 for bodies in by_id.values())  # a repeat is the same message
    assert len(by_id) == 2  # 100 + 50 events
    events = [event for bodies in by_id.values() for body in bodies for event in body]
    assert len(events) == len(set(events)) == 150
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]  # sent again after the kill
