"""Settings (admin only) through Django's test client: custom attributes, API keys, users."""

import re

import pytest
from django.contrib.auth import get_user_model

from dossier.accounts.models import ApiKey, role_of
from dossier.profiles.models import AttributeDefinition
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/settings/", "/settings/attributes/", "/settings/api-keys/", "/settings/users/"])
@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_settings_are_for_admins_only(login_as, path, role):
    client = login_as(role)
    assert client.get(path).status_code == 403
    assert client.post(path, {"name": "x", "type": "text"}).status_code == 403


def test_settings_require_login(client):
    assert client.get("/settings/users/")["Location"] == "/login/?next=/settings/users/"


def test_admin_creates_a_custom_attribute(login_as):
    client = login_as("admin")
    response = client.post("/settings/attributes/", {"name": "plan", "label": "Plan", "type": "text", "description": "Pricing plan"})
    assert response.status_code == 302
    definition = AttributeDefinition.objects.get(name="plan")
    assert (definition.label, definition.type, definition.description) == ("Plan", "text", "Pricing plan")
    assert "<code>plan</code>" in client.get("/settings/attributes/").content.decode()


@pytest.mark.parametrize("name, message", [
    ("city", "&#x27;city&#x27; is a standard field, not a custom attribute"),
    ("9lives", "attribute names are 1-64 letters"),
    ("plan", "A custom attribute with this name exists already."),
])
def test_attribute_name_rules_are_shown_beside_the_field(login_as, name, message):
    AttributeDefinition.objects.create(name="plan", type="text")
    response = login_as("admin").post("/settings/attributes/", {"name": name, "type": "integer"})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert AttributeDefinition.objects.count() == 1


def test_api_key_is_shown_once_and_works_until_revoked(login_as):
    client = login_as("admin")
    response = client.post("/settings/api-keys/", {"action": "create", "name": "crm", "scopes": ["profiles:read"]})
    assert response.status_code == 200
    raw = re.search(r'<p class="secret"[^>]*>(dsk_[^<]+)</p>', response.content.decode()).group(1)
    assert ApiClient(raw).get("/profiles").status_code == 200
    assert raw not in client.get("/settings/api-keys/").content.decode()
    client.post("/settings/api-keys/", {"action": "revoke", "name": "crm"})
    assert ApiKey.objects.get(name="crm").revoked_at is not None
    assert ApiClient(raw).get("/profiles").status_code == 401


def test_api_key_needs_a_free_name_and_a_scope(login_as):
    client = login_as("admin")
    client.post("/settings/api-keys/", {"action": "create", "name": "crm", "scopes": ["admin"]})
    response = client.post("/settings/api-keys/", {"action": "create", "name": "crm"})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    response = client.post("/settings/api-keys/", {"action": "create", "name": "crm", "scopes": ["imports"]})
    assert "an API key named &#x27;crm&#x27; exists already" in response.content.decode()
    assert ApiKey.objects.count() == 1


def test_admin_creates_users_with_roles(login_as):
    client = login_as("admin")
    response = client.post("/settings/users/", {"username": "vera", "password": "a-long-test-passphrase-2", "role": "viewer"})
    assert response.status_code == 302
    assert role_of(get_user_model().objects.get(username="vera")) == "viewer"
    assert "<td>vera</td><td>viewer</td>" in client.get("/settings/users/").content.decode()


def test_weak_password_is_refused_beside_the_field(login_as):
    response = login_as("admin").post("/settings/users/", {"username": "vera", "password": "123", "role": "editor"})
    assert response.status_code == 422
    assert "This password is too short." in response.content.decode()
    assert not get_user_model().objects.filter(username="vera").exists()
