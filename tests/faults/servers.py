"""Real server and worker processes for the fault tests, and the means to kill them hard."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

from dossier.core.management.commands.run import gunicorn_command
from tests.processes import DOSSIER, dossier_env

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float = 30, what: str = "", poll: float = 0.05):
    """Poll `condition` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(poll)


class WebServer:
    """gunicorn as `dossier run` starts it (one worker process), in a process group of its own so
    that `kill_hard` takes the master and its worker down at once, like a machine losing power."""

    def __init__(self, **env: str):
        self.port = free_port()
        self.env = dossier_env(**env)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "WebServer":
        self.process = subprocess.Popen(gunicorn_command("127.0.0.1", self.port, workers=1), env=self.env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(self._healthy, timeout=60, what=f"the web server on port {self.port}", poll=0.1)
        except BaseException:
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the web server exited with {self.process.returncode}")
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    def kill_hard(self) -> None:
        """SIGKILL to every process of the server: no request finishes, no transaction commits
        that had not been committed already."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill_hard()


def start_worker(log: Path, *args: str, **env: str) -> subprocess.Popen:
    """`dossier worker` as its own process, its output appended to `log` (a file, so a chatty
    worker never blocks on a full pipe)."""
    with open(log, "a") as output:
        return subprocess.Popen([*DOSSIER, "worker", "--interval", "0.05", *args], env=dossier_env(**env), cwd=ROOT,
                                stdout=output, stderr=subprocess.STDOUT)


def kill_hard(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
