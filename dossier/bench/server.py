"""A real Dossier web server for HTTP scenarios, and cheap keep-alive clients to drive it.

The server is the production one `dossier run` starts (`gunicorn_command`), on a free port of
127.0.0.1, against the scenario's database (the child's environment already names it).
"""

import os
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from django.conf import settings
from django.test import Client

from dossier.accounts.services import do_create_api_key, do_create_user
from dossier.core.management.commands.run import gunicorn_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    pid: int
    peak_memory_mb: float | None = None  # the largest server process's peak, known once it stopped


@contextmanager
def running_server(log_dir: str, workers: int | None = None) -> Iterator[Server]:
    """Serve Dossier until the block ends; yields the server once /healthz answers."""
    port = free_port()
    log_path = Path(log_dir) / f"gunicorn-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(gunicorn_command("127.0.0.1", port, workers), stdout=log, stderr=subprocess.STDOUT,
                                   env={"DJANGO_SETTINGS_MODULE": "dossier.settings", **os.environ})
    server = Server(f"http://127.0.0.1:{port}", process.pid)
    try:
        _wait_healthy(server.url, process, log_path)
        yield server
    finally:
        server.peak_memory_mb = _peak_memory_mb([process.pid, *_children(process.pid)])
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _peak_memory_mb(pids: list[int]) -> float | None:
    """The largest peak resident memory (VmHWM) among `pids`, in MB; None where /proc cannot tell."""
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")]
    return round(max(peaks) / 1024, 1) if peaks else None


def _wait_healthy(base: str, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {base}/healthz within {timeout:.0f} s")


def api_key_header() -> dict[str, str]:
    """An Authorization header with a fresh key that may read and write profiles."""
    _, raw = do_create_api_key(f"bench-{time.monotonic_ns()}", ["profiles:read", "profiles:write"])
    return {"Authorization": f"Bearer {raw}"}


def session_cookie_header(role: str = "editor") -> dict[str, str]:
    """A Cookie header of a logged-in user, as a browser would send it."""
    user = do_create_user(f"bench-{role}-{time.monotonic_ns()}", "bench-passphrase-1", role, validate=False)
    client = Client()
    client.force_login(user)
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}


class KeepAliveClient:
    """One HTTP/1.1 connection reused for every request, with as little client-side work as possible.

    The bench machine's cores are shared by the server and the load generator, so the client
    writes pre-built request bytes and reads a response by its Content-Length, nothing more.
    """

    def __init__(self, base_url: str, headers: dict[str, str]):
        host_port = base_url.removeprefix("http://").rstrip("/")
        host, _, port = host_port.partition(":")
        self.address = (host, int(port or 80))
        self.fixed_headers = f"Host: {host_port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.sock: socket.socket | None = None
        self.buffer = bytearray()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=120)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer.clear()
        return sock

    def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> tuple[int, bytes]:
        """Send one request; `headers` is extra header lines, each ending in CRLF. Returns (status, body)."""
        if self.sock is None:
            self.sock = self._connect()
        content_type = "Content-Type: application/json\r\n" if body else ""
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed_headers}{headers}{content_type}Content-Length: {len(body)}\r\n\r\n"
        self.sock.sendall(head.encode() + body)
        status, response_headers, payload = self._read_response()
        if b"connection: close" in response_headers.lower():
            self.close()
        return status, payload

    def _read_response(self) -> tuple[int, bytes, bytes]:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = bytes(self.buffer[:end])
        del self.buffer[:end + 4]
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._fill()
        payload = bytes(self.buffer[:length])
        del self.buffer[:length]
        return status, head, payload

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
