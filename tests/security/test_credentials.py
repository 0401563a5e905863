"""API keys are stored only as a hash and stop working when revoked; users' passwords must pass
Django's password validators, on the command line too."""

import hashlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import ApiClient
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)


def rows_holding(text: str) -> list[str]:
    """Every stored row, in every table, whose values contain `text`."""
    found = []
    for model in apps.get_models():
        for row in model.objects.values_list():
            if text in repr(row):
                found.append(f"{model._meta.db_table}: {row!r}"[:200])
    return found


def created_key(name: str, scopes: str) -> str:
    result = run_dossier("apikey", "create", name, "--scopes", scopes)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_raw_key_is_never_stored_only_its_hash():
    raw = created_key("crm", "profiles:read,profiles:write")
    assert ApiClient(raw).post("/profiles", {"email": "a@example.com"}).status_code == 201

    assert rows_holding(raw) == []
    assert rows_holding(raw[12:]) == []  # not even the part after the shown prefix
    assert len(rows_holding(hashlib.sha256(raw.encode()).hexdigest())) == 1
    assert raw not in run_dossier("apikey", "list").stdout


def test_a_revoked_key_stops_at_once_and_the_others_go_on():
    kept, revoked = created_key("kept", "profiles:read"), created_key("gone", "profiles:read")
    assert ApiClient(revoked).get("/profiles").status_code == 200

    result = run_dossier("apikey", "revoke", "gone")

    assert result.returncode == 0, result.stderr
    assert ApiClient(revoked).get("/profiles").status_code == 401
    assert ApiClient(kept).get("/profiles").status_code == 200
    assert "revoked" in [line for line in run_dossier("apikey", "list").stdout.splitlines() if line.startswith("gone")][0]


@pytest.mark.parametrize("password, message", [
    ("Xy7-q!", "too short"),
    ("password123", "too common"),
    ("4815162342108", "entirely numeric"),
    ("mallory-the-admin", "too similar to the username"),
])
def test_user_create_refuses_a_password_the_validators_refuse(password, message):
    result = run_dossier("user", "create", "mallory-the-admin", "--role", "admin", DOSSIER_PASSWORD=password)

    assert result.returncode != 0
    assert message in result.stderr
    assert not get_user_model().objects.filter(username="mallory-the-admin").exists()


def test_user_create_keeps_only_a_hash_of_a_good_password():
    password = "plum-orbit-candle-92"
    result = run_dossier("user", "create", "maria", "--role", "viewer", DOSSIER_PASSWORD=password)

    assert result.returncode == 0, result.stderr
    assert rows_holding(password) == []
    assert Client().post("/login/", {"username": "maria", "password": password}).status_code == 302
