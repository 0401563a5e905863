"""Fixtures of the security suite: one stored object of every kind, and clients of every kind."""

import json

import pytest
from django.test import Client

from tests.security.seeds import seed_every_kind


@pytest.fixture
def stored(api) -> dict[str, str]:
    return seed_every_kind(api)


@pytest.fixture
def session(make_user, settings):
    """A client logged in with the given role that, like a browser, must send the CSRF token.
    (Its users' passwords are hashed with a fast hasher: these tests log in dozens of them.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def login(role: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user(role))
        client.get("/login/")  # a page with a form hands out the CSRF cookie
        return client

    return login


@pytest.fixture
def fingerprint(api):
    """Everything the API shows of the stored objects, to prove a refused call changed nothing."""
    paths = ["/profiles?limit=1000", "/attributes", "/companies", "/tags", "/jobs?limit=100", "/workflows", "/forms"]

    def read() -> str:
        return json.dumps([api.get(path).json() for path in paths])

    return read


def csrf_headers(client: Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"].value}
