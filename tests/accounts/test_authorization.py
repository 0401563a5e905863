"""Who may do what: keys with scopes and users with roles."""

import pytest

from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_no_key_is_401(db):
    response = ApiClient(None).get("/profiles")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_wrong_key_is_401(db):
    assert ApiClient("dsk_not-a-key").get("/profiles").status_code == 401


def test_read_scope_cannot_write(make_api):
    reader = make_api("profiles:read")
    assert reader.get("/profiles").status_code == 200
    response = reader.post("/profiles", {"email": "a@example.com"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_viewer_session_cannot_write(make_user, client):
    viewer = make_user("viewer")
    client.force_login(viewer)
    assert client.get("/api/v1/profiles").status_code == 200
    response = client.post("/api/v1/profiles", {"email": "a@example.com"}, content_type="application/json")
    assert response.status_code in (403, 401)


def test_revoked_key_stops_working(db):
    from dossier.accounts.services import do_create_api_key, do_revoke_api_key

    _, raw = do_create_api_key("temp", ["profiles:read"])
    assert ApiClient(raw).get("/profiles").status_code == 200
    do_revoke_api_key("temp")
    assert ApiClient(raw).get("/profiles").status_code == 401
