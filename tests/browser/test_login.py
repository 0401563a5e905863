"""Logging in and out in a real browser."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_with_wrong_password_says_so(page, make_user):
    make_user("editor", username="eve")
    page.goto("/login/")
    page.get_by_label("Username").fill("eve")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")


def test_login_then_logout(login):
    page = login("viewer", username="victor")
    assert page.get_by_text("victor").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
