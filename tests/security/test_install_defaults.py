"""Safe defaults of a fresh install: DEBUG off unless asked for, a secret key of its own readable
by its owner only, and the same key on every later start."""

import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = ("import django; django.setup(); from django.conf import settings; "
                  "print(settings.DEBUG); print(settings.SECRET_KEY)")


def settings_of(data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """DEBUG and SECRET_KEY as a fresh `dossier` process reads them, with only `env` set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    clean.update(DJANGO_SETTINGS_MODULE="dossier.settings", DOSSIER_DATA_DIR=str(data_dir), **env)
    return subprocess.run([sys.executable, "-c", PRINT_SETTINGS], env=clean, capture_output=True, text=True,
                          cwd=REPO, timeout=60)


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

