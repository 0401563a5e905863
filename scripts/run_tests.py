"""`make test`: the suite on SQLite, then again on PostgreSQL when it answers.

PostgreSQL is found through DOSSIER_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432). Under CI
(CI=true) a missing PostgreSQL fails the run; on a developer's machine it is skipped with a note.
Each run uses its own database names, so several runs on one machine never collide.
"""

import os
import subprocess
import sys
import tempfile

POSTGRES_URL = os.environ.get("DOSSIER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL.replace("postgres://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means "not available", with the reason shown
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run(label: str, env: dict, args: list[str]) -> int:
    print(f"\n=== {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main() -> int:
    args = sys.argv[1:]
    long_run = "--long" in args
    args = [a for a in args if a != "--long"]
    markers = "long" if long_run else "not long"
    with tempfile.TemporaryDirectory(prefix="dossier-test-") as tmp:
        base = {**os.environ, "DOSSIER_DATA_DIR": tmp}
        base.pop("DOSSIER_DATABASE_URL", None)
        sqlite_env = {**base, "DOSSIER_TEST_DB_NAME": os.path.join(tmp, "test.sqlite3")}
        status = run("SQLite", sqlite_env, ["-m", markers, *args])
        reason = postgres_available()
        if reason:
            if os.environ.get("CI") == "true":
                print(f"PostgreSQL is required under CI and did not answer: {reason}")
                return 1
            print(f"\nPostgreSQL tests skipped: PostgreSQL at {POSTGRES_URL} did not answer ({reason}).")
            return status
        # The browser tests drive the same views on either database; they run once, on SQLite.
        pg_env = {**base, "DOSSIER_DATABASE_URL": POSTGRES_URL, "DOSSIER_TEST_DB_NAME": f"test_dossier_{os.getpid()}"}
        pg_status = run("PostgreSQL", pg_env, ["-m", f"({markers}) and not browser", *args])
        return status or pg_status


if __name__ == "__main__":
    sys.exit(main())
