"""Pages for a missing page, a refused action and a crash: styled, in words, with the way back."""

import pytest
from django.test import Client
from django.urls import path

from dossier import urls as dossier_urls

pytestmark = pytest.mark.django_db


def test_an_unknown_page_or_profile_is_a_404_page_with_the_navigation(login_as):
    client = login_as("viewer")
    for url in ("/no-such-page/", "/profiles/00000000-0000-4000-8000-000000000000/"):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 404
        assert "<h1 id=\"error-title\">Page not found</h1>" in html
        assert f"<code>{url}</code>" in html
        assert 'aria-label="Main"' in html and 'href="/profiles/">Go to profiles</a>' in html
        assert "app.css" in html


def test_a_refused_page_is_a_403_page_naming_the_role(login_as):
    response = login_as("editor").get("/settings/users/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You may not do this" in html and "Your role (editor)" in html


def crash(request):
    raise RuntimeError("a bug")


urlpatterns = [*dossier_urls.urlpatterns, path("crash/", crash)]


@pytest.mark.urls(__name__)
def test_a_crash_is_a_500_page_that_says_nothing_was_saved(settings, make_user):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(make_user("viewer"))
    response = client.get("/crash/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "nothing of it was saved" in html
    assert "a bug" not in html
