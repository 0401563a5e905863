"""Run the `dossier` command as a separate process against the test database.

Tests that use these must be `django_db(transaction=True)`, so what they write is committed and
the other process sees it.
"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

DOSSIER = [sys.executable, "-m", "dossier.cli"]


def dossier_env(**extra: str) -> dict[str, str]:
    """Environment that points a child `dossier` process at the database the test is using."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dossier.settings", "DOSSIER_DATA_DIR": str(settings.DATA_DIR)}
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DOSSIER_DATABASE_URL", None)
        env["DOSSIER_SQLITE_PATH"] = str(db["NAME"])
    else:
        env["DOSSIER_DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env.pop("DOSSIER_TEST_DB_NAME", None)
    env.update(extra)
    return env


def run_dossier(*args: str, input: str | None = None, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*DOSSIER, *args], env=dossier_env(**env), capture_output=True, text=True,
                          input=input, timeout=timeout, cwd=Path(__file__).resolve().parent.parent)


def start_dossier(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([*DOSSIER, *args], env=dossier_env(**env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).resolve().parent.parent)
