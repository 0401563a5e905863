"""The operator commands, run as processes."""

import pytest

from tests.conftest import ApiClient
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)


def test_apikey_create_prints_the_key_alone_on_its_last_line_and_it_works():
    result = run_dossier("apikey", "create", "crm-sync", "--scopes", "profiles:read,profiles:write")

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("dsk_") and " " not in key
    assert ApiClient(key).post("/profiles", {"email": "a@example.com"}).status_code == 201
    listing = run_dossier("apikey", "list").stdout
    assert "crm-sync" in listing and key not in listing


def test_apikey_with_unknown_scope_is_refused():
    result = run_dossier("apikey", "create", "bad", "--scopes", "profiles:read,root")
    assert result.returncode != 0
    assert "unknown scopes: root" in result.stderr


def test_apikey_revoke_stops_the_key():
    key = run_dossier("apikey", "create", "temp", "--scopes", "profiles:read").stdout.strip().splitlines()[-1]
    assert run_dossier("apikey", "revoke", "temp").returncode == 0
    assert ApiClient(key).get("/profiles").status_code == 401


def test_user_create_takes_the_password_from_the_environment(client):
    result = run_dossier("user", "create", "maria", "--role", "editor", DOSSIER_PASSWORD="correct-horse-battery-9")
    assert result.returncode == 0, result.stderr
    assert client.login(username="maria", password="correct-horse-battery-9")


def test_user_create_refuses_a_weak_password():
    result = run_dossier("user", "create", "weak", "--role", "viewer", DOSSIER_PASSWORD="123")
    assert result.returncode != 0
    assert "too short" in result.stderr


def test_verify_is_clean_after_demo_data_and_exit_1_when_a_profile_was_altered_behind_its_back():
    assert run_dossier("demo", "--count", "200").returncode == 0
    clean = run_dossier("verify")
    assert clean.returncode == 0, clean.stdout

    from dossier.profiles.models import Profile

    tampered = Profile.objects.exclude(city="Atlantis").first()
    Profile.objects.filter(id=tampered.id).update(city="Atlantis")
    result = run_dossier("verify")
    assert result.returncode == 1
    assert f"{tampered.id}: differs in city" in result.stdout
