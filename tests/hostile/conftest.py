"""Fixtures of the hostile-input corpus: a stored profile and a view of everything the API shows,
to prove a refused request changed nothing, and a check that the server still answers."""

import pytest

SEED = {"email": "anna@example.com", "firstName": "Anna", "city": "Warsaw", "tags": ["vip"],
        "attributes": {"plan": "gold", "visits": 3, "score": 1.5}}


@pytest.fixture
def profile_id(api) -> str:
    response = api.post("/profiles", SEED)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture
def everything(api):
    """What the API shows of every profile, its events, attributes, tags and companies."""

    def read() -> dict:
        profiles = api.get("/profiles?limit=1000").json()
        return {
            "profiles": profiles,
            "events": {p["id"]: api.get(f"/profiles/{p['id']}/events?limit=200").json() for p in profiles["items"]},
            "attributes": api.get("/attributes").json(),
            "tags": api.get("/tags").json(),
            "companies": api.get("/companies").json(),
            "workflows": api.get("/workflows").json(),
            "forms": api.get("/forms").json(),
        }

    return read


@pytest.fixture
def still_serving(api, client):
    """The server answers the next requests: the API, a page and the health check."""

    def check() -> None:
        assert api.get("/profiles?limit=1").status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/login/").status_code == 200

    return check


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return error
