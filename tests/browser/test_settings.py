"""Settings in Chromium: an admin adds a custom attribute, an API key and a user; others are refused."""

import pytest
from playwright.sync_api import expect

from dossier.accounts.models import ApiKey
from dossier.profiles.models import AttributeDefinition

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_manages_attributes_keys_and_users(login):
    page = login("admin")
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Name").fill("plan")
    page.get_by_label("Label").fill("Plan")
    page.get_by_label("Type").select_option("text")
    page.get_by_role("button", name="Create attribute").click()
    expect(page.get_by_role("row").filter(has_text="plan")).to_contain_text("Plan")
    assert AttributeDefinition.objects.filter(name="plan", type="text").exists()

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("crm")
    page.get_by_label("profiles:read").check()
    page.get_by_role("button", name="Create API key").click()
    secret = page.get_by_label("The new API key")
    expect(secret).to_contain_text("dsk_")
    page.reload()
    expect(page.get_by_label("The new API key")).to_have_count(0)
    page.get_by_role("button", name="Revoke API key crm").click()
    expect(page.get_by_role("row").filter(has_text="crm")).to_contain_text("revoked")
    assert ApiKey.objects.get(name="crm").revoked_at is not None

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Users").click()
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill("a-long-test-passphrase-2")
    page.get_by_label("Role").select_option("editor")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("row").filter(has_text="vera")).to_contain_text("editor")


def test_editor_is_refused_settings(login):
    page = login("editor")
    response = page.goto("/settings/attributes/")
    assert response.status == 403
