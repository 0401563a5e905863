"""Every browser page needs a login; viewers read but every write is 403; Settings is for admins;
a write without the CSRF token is refused. Pages are read from the URL configuration."""

import pytest
from django.test import Client

from tests.security.conftest import csrf_headers
from tests.security.pages import ADMIN_ONLY, EDIT_ONLY, browser_pages, page_url, uploaded_file_id

pytestmark = pytest.mark.django_db

PAGES = sorted(browser_pages())


@pytest.fixture
def values(stored, session) -> dict[str, str]:
    editor = session("editor")
    return {**stored, "file_id": uploaded_file_id(editor, csrf_headers(editor))}


def _is_login_redirect(response, url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("name", PAGES)
def test_a_page_sends_whoever_is_not_logged_in_to_the_login(values, name):
    url = page_url(name, values)
    anonymous = Client()

    read, write = anonymous.get(url), anonymous.post(url, {})

    assert _is_login_redirect(read, url) or read.status_code == 405, (read.status_code, read.get("Location"))
    assert _is_login_redirect(write, url), (write.status_code, write.get("Location"))


@pytest.mark.parametrize("name", PAGES)
def test_a_viewer_may_not_write_through_any_page(fingerprint, values, session, name):
    viewer = session("viewer")
    before = fingerprint()

    response = viewer.post(page_url(name, values), {"name": "x", "enabled": "true"}, headers=csrf_headers(viewer))

    assert response.status_code == 403, response.status_code
    assert fingerprint() == before


@pytest.mark.parametrize("name", PAGES)
def test_a_write_without_the_csrf_token_is_refused(fingerprint, values, session, name):
    admin = session("admin")
    before = fingerprint()

    response = admin.post(page_url(name, values), {"name": "x", "enabled": "true"})

    assert response.status_code == 403 and b"CSRF" in response.content
    assert fingerprint() == before


@pytest.mark.parametrize("name", PAGES)
def test_who_may_read_each_page(values, session, name):
    url = page_url(name, values)
    admin_only = name in ADMIN_ONLY

    for role in ("viewer", "editor", "admin"):
        response = session(role).get(url)
        refused = response.status_code == 403
        assert refused == ((admin_only and role != "admin") or (name in EDIT_ONLY and role == "viewer")), (role, response.status_code)
        assert not _is_login_redirect(response, url)


@pytest.mark.parametrize("name", sorted(ADMIN_ONLY))
def test_an_editor_may_not_write_through_settings(fingerprint, values, session, name):
    editor = session("editor")
    before = fingerprint()

    response = editor.post(page_url(name, values), {"name": "x", "type": "text", "scopes": ["admin"],
                                                    "username": "eve", "password": "a-long-pass-phrase-7", "role": "admin"},
                           headers=csrf_headers(editor))

    assert response.status_code == 403
    assert fingerprint() == before
