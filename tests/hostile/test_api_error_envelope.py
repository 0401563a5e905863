"""Under /api, errors Django answers itself (an unknown path, a method a path does not take, a
crash) come in the API's JSON envelope, like every other error, and never as an HTML page."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/profiles/a/b/c", "/api/v2/profiles", "/api/"])
def test_an_unknown_path_is_a_json_404(api, path):
    error = envelope(api.client.get(path), 404, "not_found")
    assert f"GET {path}" in error["message"]


def test_a_method_the_path_does_not_take_is_a_json_405_naming_the_allowed_ones(api):
    response = api.client.put("/api/v1/profiles", data="{}", content_type="application/json")

    error = envelope(response, 405, "method_not_allowed")
    assert "PUT is not allowed on /api/v1/profiles; allowed: " in error["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_crash_is_a_json_500_with_the_request_id_and_no_internals(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("dossier.activity.api.event_json", broken)
    created = api.post("/profiles", {"email": "ann@example.com"}).json()
    api.client.raise_request_exception = False  # answer as a server does, instead of raising into the test

    response = api.client.get(f"/api/v1/profiles/{created['id']}/events", headers={"X-Request-ID": "req-42"})

    error = envelope(response, 500, "server_error")
    assert "req-42" in error["message"] and response["X-Request-ID"] == "req-42"
    assert "secret internals" not in response.content.decode()


def test_pages_outside_the_api_keep_their_html_errors(make_user):
    client = Client()
    client.force_login(make_user("viewer"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
