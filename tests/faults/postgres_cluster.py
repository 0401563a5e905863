"""A private PostgreSQL cluster that a test may restart without disturbing anyone else.

The shared server at 127.0.0.1:5432 serves every test run on the machine; a test that restarts a
database brings its own: `initdb` into a temporary folder, on a free port, trust authentication,
run as the `postgres` OS user (PostgreSQL refuses to run as root).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.faults.servers import free_port


def postgres_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def why_no_private_cluster() -> str | None:
    """None when a private cluster can be made here, else the reason it cannot."""
    if postgres_bin_dir() is None:
        return "initdb not found under /usr/lib/postgresql/*/bin"
    if os.geteuid() != 0:
        return "a private cluster runs as the postgres OS user, which needs root to switch to"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres OS user"
    return None


class PrivateCluster:
    def __init__(self):
        self.bin = postgres_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="dossier-faults-pg-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
                       check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> "PrivateCluster":
        self._as_postgres("initdb", "-D", str(self.data), "--auth=trust", "--username=postgres", "--no-sync",
                          "--encoding=UTF8", "--no-instructions")
        # fsync off: the cluster lives for one test, and a fast restart checkpoints anyway.
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._as_postgres("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")
        return self

    def restart(self) -> None:
        """Stop the server (`-m fast`: sessions are cut, transactions in flight roll back), start it again."""
        self._as_postgres("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-m", "fast", "-w", "restart")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
