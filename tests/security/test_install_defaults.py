"""Safe defaults of a fresh install: DEBUG off unless asked for, a secret key of its own readable
by its owner only, and the same key on every later start; the data directory, database, WAL and
uploads readable by their owner only; only the hosts Dossier is reached by served; HTTPS settings
on one switch; `dossier check --deploy` saying what is left to set."""

import json

import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = ("import django; django.setup(); from django.conf import settings; "
                  "print(settings.DEBUG); print(settings.SECRET_KEY)")


def fresh_env(data_dir: Path, **env: str) -> dict[str, str]:
    """The environment of a `dossier` process on a fresh install in `data_dir`, with only `env` set."""
    # (DJANGO_ALLOW_ASYNC_UNSAFE is the browser tests' own, which `check --deploy` rightly refuses.)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean.update(DJANGO_SETTINGS_MODULE="dossier.settings", DOSSIER_DATA_DIR=str(data_dir), **env)
    return clean


def settings_of(data_dir: Path, code: str = PRINT_SETTINGS, **env: str) -> subprocess.CompletedProcess:
    """What `code` prints in a fresh process (by default DEBUG and SECRET_KEY), with only `env` set."""
    return subprocess.run([sys.executable, "-c", code], env=fresh_env(data_dir, **env), capture_output=True,
                          text=True, cwd=REPO, timeout=60)


def dossier(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dossier.cli", *args], env=fresh_env(data_dir, **env),
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def debug_and_key(data_dir: Path, **env: str) -> tuple[str, str]:
    result = settings_of(data_dir, **env)
    assert result.returncode == 0, result.stderr
    debug, key = result.stdout.split()
    return debug, key


def test_debug_is_off_by_default_and_on_only_when_asked(tmp_path):
    assert debug_and_key(tmp_path)[0] == "False"
    assert debug_and_key(tmp_path, DOSSIER_DEBUG="1")[0] == "True"
    refused = settings_of(tmp_path, DOSSIER_DEBUG="maybe")
    assert refused.returncode != 0 and "DOSSIER_DEBUG must be a boolean" in refused.stderr


def test_each_install_generates_its_own_secret_key_readable_by_its_owner_only(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"

    key_one, key_two = debug_and_key(first)[1], debug_and_key(second)[1]

    assert key_one != key_two and len(key_one) >= 50
    for directory, key in ((first, key_one), (second, key_two)):
        key_file = directory / "secret_key"
        assert key_file.read_text() == key
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert debug_and_key(first)[1] == key_one  # kept across restarts


def test_processes_starting_together_on_a_fresh_install_agree_on_the_key(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    clean.update(DJANGO_SETTINGS_MODULE="dossier.settings", DOSSIER_DATA_DIR=str(tmp_path))
    processes = [subprocess.Popen([sys.executable, "-c", PRINT_SETTINGS], env=clean, stdout=subprocess.PIPE,
                                  text=True, cwd=REPO) for _ in range(6)]

    keys = {process.communicate(timeout=60)[0].split()[1] for process in processes}

    assert keys == {(tmp_path / "secret_key").read_text()}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []


def test_a_key_from_the_environment_is_used_and_none_is_written(tmp_path):
    assert debug_and_key(tmp_path, DOSSIER_SECRET_KEY="k" * 60)[1] == "k" * 60
    assert not (tmp_path / "secret_key").exists()



# While its connection is open, a write leaves the WAL and shared-memory files beside the database;
# an upload is stored as the import page stores it.
WRITE_AND_LIST_MODES = """
import django, json, os, stat
django.setup()
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from dossier.profiles.changes import ChangeContext
from dossier.profiles.services import do_create_profile
from dossier.imports.storage import keep_upload
do_create_profile({"email": "ann@example.com"}, ChangeContext(source="api", actor="test"))
keep_upload(SimpleUploadedFile("people.csv", b"email\\nann@example.com\\n", "text/csv"), "people.csv")
modes = {}
for root, dirs, files in os.walk(settings.DATA_DIR):
    for name in dirs + files:
        path = os.path.join(root, name)
        modes[os.path.relpath(path, settings.DATA_DIR)] = stat.S_IMODE(os.stat(path).st_mode)
print(json.dumps(modes))
"""


def test_the_data_directory_database_wal_and_uploads_are_their_owners_only(tmp_path):
    data_dir = tmp_path / "data"
    assert dossier(data_dir, "migrate", "-v0").returncode == 0

    result = settings_of(data_dir, WRITE_AND_LIST_MODES)

    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"dossier.sqlite3", "dossier.sqlite3-wal", "dossier.sqlite3-shm", "secret_key"} <= set(modes)
    assert any(name.startswith("uploads/") and name.endswith(".csv") for name in modes), modes
    assert {name: m for name, m in modes.items() if m & 0o077} == {}
    assert mode(data_dir) == 0o700


def test_by_default_only_the_bound_host_the_public_host_and_loopback_are_served(tmp_path):
    code = "import django; django.setup(); from django.conf import settings; print(','.join(settings.ALLOWED_HOSTS))"
    default = settings_of(tmp_path, code)
    bound = settings_of(tmp_path, code, DOSSIER_HOST="10.0.0.5", DOSSIER_PUBLIC_URL="https://crm.example.com/")
    chosen = settings_of(tmp_path, code, DOSSIER_ALLOWED_HOSTS="crm.example.com, .example.org")

    assert default.stdout.split() == ["localhost,127.0.0.1,[::1]"]
    assert bound.stdout.split() == ["localhost,127.0.0.1,[::1],10.0.0.5,crm.example.com"]
    assert chosen.stdout.split() == ["crm.example.com,.example.org"]


def test_a_request_for_another_host_is_refused(client, db):
    assert client.get("/login/", headers={"Host": "127.0.0.1"}).status_code == 200
    assert client.get("/login/", headers={"Host": "evil.example"}).status_code == 400


def test_one_switch_turns_on_secure_cookies_hsts_the_proxy_header_and_redirects(tmp_path):
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_PROXY_SSL_HEADER)")

    off = settings_of(tmp_path, code)
    on = settings_of(tmp_path, code, DOSSIER_HTTPS="1")

    assert off.stdout.strip() == "False False 0 False None"
    assert on.stdout.strip() == "True True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"


def test_check_deploy_names_what_is_left_to_set_and_is_quiet_once_it_is_set(tmp_path):
    data_dir = tmp_path / "data"
    assert dossier(data_dir, "migrate", "-v0").returncode == 0
    (data_dir / "dossier.sqlite3").chmod(0o644)

    bare = dossier(data_dir, "check", "--deploy")
    (data_dir / "dossier.sqlite3").chmod(0o600)
    production = dossier(data_dir, "check", "--deploy", "--fail-level", "WARNING", DOSSIER_HTTPS="1",
                         DOSSIER_PUBLIC_URL="https://crm.example.com", DOSSIER_ALLOWED_HOSTS="crm.example.com",
                         DOSSIER_EMAIL_URL="smtp://mailer:secret@smtp.example.com:587",
                         DOSSIER_HSTS_INCLUDE_SUBDOMAINS="1", DOSSIER_HSTS_PRELOAD="1")

    for code in ("dossier.W001", "dossier.W003", "dossier.W004", "dossier.W005", "security.W012", "security.W004"):
        assert code in bare.stderr + bare.stdout, code
    assert "dossier.sqlite3" in bare.stderr + bare.stdout
    assert production.returncode == 0, production.stderr
    assert "no issues" in production.stdout


def test_behind_a_trusted_proxy_the_client_address_is_the_last_hop_the_proxy_added(settings, db, make_user):
    """The login limit counts per client, not per proxy; what the client wrote itself is not believed."""
    from django.test import Client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    make_user("editor", username="vera", password="a-long-test-passphrase-1")

    def attempt(forwarded_for: str, password: str = "wrong") -> int:
        proxied = Client(REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": forwarded_for})
        return proxied.post("/login/", {"username": "vera", "password": password}).status_code

    for _ in range(5):
        assert attempt("203.0.113.7") == 200
    assert attempt("203.0.113.7", "a-long-test-passphrase-1") == 429  # that client is limited
    assert attempt("198.51.100.9", "a-long-test-passphrase-1") == 302  # another client, same proxy
    assert attempt("1.2.3.4, 203.0.113.7", "a-long-test-passphrase-1") == 429  # a forged first hop changes nothing


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings, db, make_user):
    from django.test import Client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user("editor", username="vera", password="a-long-test-passphrase-1")
    for n in range(5):
        Client(headers={"X-Forwarded-For": f"203.0.113.{n}"}).post("/login/", {"username": "vera", "password": "x"})

    response = Client(headers={"X-Forwarded-For": "198.51.100.9"}).post(
        "/login/", {"username": "vera", "password": "a-long-test-passphrase-1"})

    assert response.status_code == 429


def test_a_trusted_proxies_value_that_is_not_a_network_stops_the_start(tmp_path):
    result = settings_of(tmp_path, DOSSIER_TRUSTED_PROXIES="10.0.0.0/8, proxy.internal")
    assert result.returncode != 0 and "DOSSIER_TRUSTED_PROXIES must list IP addresses or networks" in result.stderr
