"""Shared fixtures: API clients with chosen scopes, users with roles."""

import itertools

import pytest
from django.test import Client

from dossier.accounts.services import do_create_api_key, do_create_user

_names = itertools.count()


class ApiClient:
    """Django's test client speaking JSON to /api/v1 with an API key."""

    def __init__(self, raw_key: str | None):
        headers = {"Authorization": f"Bearer {raw_key}"} if raw_key else {}
        self.client = Client(headers=headers)

    def _send(self, method: str, path: str, data=None, headers=None, raw: bytes | None = None):
        body = raw if raw is not None else (None if data is None else __import__("json").dumps(data))
        kwargs = {"content_type": "application/json", "headers": headers or {}}
        if body is not None:
            kwargs["data"] = body
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, headers=None):
        return self.client.get(f"/api/v1{path}", headers=headers or {})

    def post(self, path, data=None, **kw):
        return self._send("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._send("patch", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self._send("put", path, data, **kw)

    def delete(self, path, **kw):
        return self._send("delete", path, None, **kw)


@pytest.fixture
def make_api(db):
    def make(*scopes: str) -> ApiClient:
        _, raw = do_create_api_key(f"key-{next(_names)}", list(scopes))
        return ApiClient(raw)

    return make


@pytest.fixture
def api(make_api) -> ApiClient:
    """A key that may do everything."""
    return make_api("admin")


@pytest.fixture
def make_user(db):
    def make(role: str, username: str | None = None, password: str = "a-long-test-passphrase-1"):
        return do_create_user(username or f"{role}-{next(_names)}", password, role, validate=False)

    return make
