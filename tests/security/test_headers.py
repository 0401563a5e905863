"""Security headers on every page and API response, and pages that work under that policy: no
inline script, no inline event handler, no inline style."""

import re

import pytest
from django.test import Client

from tests.security.conftest import csrf_headers
from tests.security.pages import browser_pages, page_url, uploaded_file_id

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def directives(policy: str) -> dict[str, list[str]]:
    return {parts[0]: parts[1:] for parts in (d.split() for d in policy.split(";") if d.strip())}


def assert_secure_headers(response, where: str) -> None:
    policy = directives(response["Content-Security-Policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, (where, scripts)
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), where


def assert_nothing_inline(response, where: str) -> None:
    html = response.content.decode()
    for rule, pattern in (("inline script", INLINE_SCRIPT), ("inline event handler", INLINE_HANDLER),
                          ("inline style", INLINE_STYLE)):
        found = pattern.search(html)
        assert found is None, f"{where}: {rule} {found.group(0)[:120] if found else ''}"


@pytest.fixture
def every_page(stored, session) -> list[tuple[str, Client]]:
    admin = session("admin")
    values = {**stored, "file_id": uploaded_file_id(admin, csrf_headers(admin))}
    return [(page_url(name, values), admin) for name in sorted(browser_pages())]


def test_every_logged_in_page_has_the_headers_and_nothing_inline(every_page):
    for url, client in every_page:
        response = client.get(url)
        assert_secure_headers(response, url)
        if response.get("Content-Type", "").startswith("text/html"):
            assert_nothing_inline(response, url)


@pytest.mark.parametrize("url", ["/login/", "/f/newsletter", "/api/v1/docs", "/no-such-page/"])
def test_public_pages_have_the_headers_and_nothing_inline(stored, url):
    response = Client().get(url)

    assert_secure_headers(response, url)
    assert_nothing_inline(response, url)


@pytest.mark.parametrize("url", ["/api/v1/profiles", "/api/v1/openapi.json", "/healthz"])
def test_json_responses_have_the_headers_too(api, url):
    assert_secure_headers(api.client.get(url), url)


def test_session_and_csrf_cookies_are_not_readable_by_script_nor_sent_cross_site(make_user):
    make_user("viewer", username="vera", password="a-long-test-passphrase-1")
    client = Client()

    response = client.post("/login/", {"username": "vera", "password": "a-long-test-passphrase-1"})

    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["samesite"] == "Lax"
