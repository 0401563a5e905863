"""The login page refuses guessing: after 5 failed log-ins for one username from one address within
15 minutes (or 20 for one username from any address, or 30 from one address for any username),
further attempts are refused with 429 and a message, the password left unchecked, until the oldest
failure is 15 minutes old. The counts live in the database, shared by every process."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dossier.accounts.login import purge_failures
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-1"


@pytest.fixture
def vera(make_user, settings):
    # A fast hasher: these tests fail dozens of log-ins, each one checking a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return make_user("editor", username="vera", password=PASSWORD)


def log_in(client: Client, password: str, username: str = "vera"):
    return client.post("/login/", {"username": username, "password": password})


def fail(client: Client, times: int = 5, username: str = "vera") -> None:
    for _ in range(times):
        response = log_in(client, "wrong-guess", username)
        assert response.status_code == 200
        assert "didn&#x27;t match" in response.content.decode()


def logged_in(client: Client) -> bool:
    return client.get("/profiles/").status_code == 200


def test_the_sixth_attempt_is_refused_even_with_the_right_password(vera):
    client = Client()
    fail(client)

    response = log_in(client, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed log-ins for this username from your address" in response.content.decode()
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert not logged_in(client)


def test_the_limit_is_per_username_and_address(vera, make_user):
    make_user("viewer", username="walt", password=PASSWORD)
    fail(Client())

    assert log_in(Client(REMOTE_ADDR="10.1.2.3"), PASSWORD).status_code == 302  # vera from elsewhere
    assert log_in(Client(), PASSWORD, username="walt").status_code == 302  # another user from here
    assert log_in(Client(), PASSWORD, username="VERA").status_code == 429  # the same name in other case


def test_guesses_spread_over_many_addresses_are_limited_per_username(vera):
    for n in range(20):
        fail(Client(REMOTE_ADDR=f"10.0.{n}.1"), 1)

    response = log_in(Client(REMOTE_ADDR="10.9.9.9"), PASSWORD)

    assert response.status_code == 429
    assert "Too many failed log-ins for this username. Try again in 15 minute(s)." in response.content.decode()


def test_nineteen_failures_over_many_addresses_leave_the_user_able_to_log_in(vera):
    for n in range(19):
        fail(Client(REMOTE_ADDR=f"10.0.{n}.1"), 1)

    assert log_in(Client(REMOTE_ADDR="10.9.9.9"), PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_limited_for_all_of_them(vera):
    client = Client(REMOTE_ADDR="10.6.6.6")
    for n in range(30):
        fail(client, 1, username=f"guess{n}")

    response = log_in(client, PASSWORD)  # vera's own password, from that address

    assert response.status_code == 429
    assert "Too many failed log-ins from your address." in response.content.decode()
    assert log_in(Client(REMOTE_ADDR="10.7.7.7"), PASSWORD).status_code == 302  # from elsewhere


def test_logging_in_to_ones_own_account_does_not_reset_the_address_count(vera, make_user):
    make_user("viewer", username="mallory", password=PASSWORD)
    client = Client(REMOTE_ADDR="10.6.6.6")
    for n in range(29):
        fail(client, 1, username=f"guess{n}")
    assert log_in(client, PASSWORD, username="mallory").status_code == 302

    fail(Client(REMOTE_ADDR="10.6.6.6"), 1, username="guess-last")

    assert log_in(Client(REMOTE_ADDR="10.6.6.6"), PASSWORD).status_code == 429


def test_a_successful_log_in_clears_the_failures(vera):
    client = Client()
    fail(client, 4)
    assert log_in(client, PASSWORD).status_code == 302

    fail(Client(), 4)

    assert log_in(Client(), PASSWORD).status_code == 302


def test_attempts_are_allowed_again_once_the_window_has_passed(vera, monkeypatch):
    fail(Client())
    assert log_in(Client(), PASSWORD).status_code == 429
    later = timezone.now() + dt.timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert log_in(Client(), PASSWORD).status_code == 302
    assert purge_failures() == 10  # the success cleared its pair's; the username's and address's expired


def test_expired_failures_are_purged(vera, monkeypatch):
    fail(Client(), 3)
    later = timezone.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert purge_failures() == 9  # each failure counted for the pair, the username and the address


@pytest.mark.django_db(transaction=True)
def test_failures_counted_by_one_process_refuse_the_next_attempt_in_another(vera):
    fail(Client())

    result = run_dossier("shell", "-c", "from django.test import Client; "
                         f"print(Client(HTTP_HOST='localhost').post('/login/', {{'username': 'vera', 'password': '{PASSWORD}'}}).status_code)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "429"
