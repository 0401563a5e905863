"""The production processes the soak runs against: gunicorn as `dossier run` starts it, and
`dossier worker`, each a real process pointed at the test's database."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import requests

from dossier.core.management.commands.run import gunicorn_command
from tests.processes import DOSSIER, dossier_env

ROOT = Path(__file__).resolve().parent.parent.parent


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen, *, group: bool) -> None:
    """SIGTERM (the worker finishes its chunk, gunicorn its requests), SIGKILL after 30 s."""
    if process.poll() is not None:
        return
    send = (lambda sig: os.killpg(process.pid, sig)) if group else process.send_signal
    send(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def web_server(workers: int, log: Path, **env: str) -> Iterator[str]:
    """Serve the app with `workers` gunicorn processes, their output in `log`; yield the base URL
    once /healthz answers."""
    port = _unused_port()
    with open(log, "a") as output:
        process = subprocess.Popen(gunicorn_command("127.0.0.1", port, workers=workers), env=dossier_env(**env),
                                   cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the web server exited with {process.returncode}"
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the web server did not answer /healthz within 60 s"
            time.sleep(0.1)
        yield url
    finally:
        _stop(process, group=True)


@contextlib.contextmanager
def worker(log: Path, **env: str) -> Iterator[subprocess.Popen]:
    """`dossier worker`, its output in `log` (a file: a chatty worker never blocks on a pipe)."""
    with open(log, "a") as output:
        process = subprocess.Popen([*DOSSIER, "worker", "--interval", "0.05"], env=dossier_env(**env), cwd=ROOT,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        _stop(process, group=False)
