"""Helpers for job tests: profiles made through the API, events read back through the API."""

import pytest


@pytest.fixture
def make_profiles(api):
    """Create profiles through the batch API; returns their ids in the order given."""

    def make(*profiles: dict) -> list[str]:
        ids = []
        for start in range(0, len(profiles), 1000):
            response = api.post("/profiles/batch", list(profiles[start:start + 1000]))
            assert response.status_code == 200, response.content
            results = response.json()["results"]
            assert all(r["status"] == "created" for r in results), results
            ids += [r["id"] for r in results]
        return ids

    return make


@pytest.fixture
def change_events(api):
    """The profile.updated events of a profile, oldest first."""

    def read(profile_id: str) -> list[dict]:
        response = api.get(f"/profiles/{profile_id}/events?type=profile.updated")
        assert response.status_code == 200, response.content
        return list(reversed(response.json()["items"]))

    return read
