"""Concurrent writers on one profile over real HTTP: no lost update, a consistent change log."""

import threading

import pytest
import requests

from dossier.accounts.services import do_create_api_key
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 20


def test_twenty_concurrent_writers_lose_no_change_and_verify_stays_clean(live_server):
    _, key = do_create_api_key("writers", ["profiles:read", "profiles:write"])
    headers = {"Authorization": f"Bearer {key}"}
    base = f"{live_server.url}/api/v1"
    profile = requests.post(f"{base}/profiles", json={"email": "shared@example.com"}, headers=headers, timeout=30).json()
    statuses = []
    start = threading.Barrier(WRITERS)

    def write(n: int) -> None:
        start.wait()
        response = requests.patch(f"{base}/profiles/{profile['id']}", json={"attributes": {f"w{n}": n}, "addTags": [f"t{n}"]},
                                  headers=headers, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * WRITERS
    final = requests.get(f"{base}/profiles/{profile['id']}", headers=headers, timeout=30).json()
    assert final["attributes"] == {f"w{n}": n for n in range(WRITERS)}
    assert sorted(final["tags"]) == sorted(f"t{n}" for n in range(WRITERS))
    assert final["version"] == WRITERS + 1
    events = requests.get(f"{base}/profiles/{profile['id']}/events?type=profile.updated&limit=100", headers=headers, timeout=30).json()
    assert len(events["items"]) == WRITERS
    verify = run_dossier("verify")
    assert verify.returncode == 0, verify.stdout


def test_concurrent_if_match_writers_exactly_one_wins(live_server):
    _, key = do_create_api_key("racers", ["profiles:read", "profiles:write"])
    headers = {"Authorization": f"Bearer {key}", "If-Match": '"1"'}
    base = f"{live_server.url}/api/v1"
    profile = requests.post(f"{base}/profiles", json={"email": "race@example.com"}, headers=headers, timeout=30).json()
    statuses = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        statuses.append(requests.patch(f"{base}/profiles/{profile['id']}", json={"city": f"City {n}"}, headers=headers, timeout=60).status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [412] * 7
