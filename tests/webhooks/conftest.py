"""A real HTTP receiver on localhost, and webhook settings that let Dossier call it."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def event_ids(self) -> list[int]:
        return [event["id"] for event in self.json["data"]["events"]]


@dataclass
class Receiver:
    """Answers each POST with the next of `answers` (a status code, or ("sleep", seconds) before a
    200), then 200; records what it received."""

    url: str = ""
    answers: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} requests received, expected {count}")


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                answer = state.answers.pop(0) if state.answers else 200
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            if isinstance(answer, tuple):
                time.sleep(answer[1])
                answer = 200
            self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/dossier"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_settings(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    return settings


@pytest.fixture
def run_worker():
    def run() -> None:
        call_command("worker", batch=True, interval=0, verbosity=0)

    return run


@pytest.fixture
def subscribe(api, receiver, webhook_settings):
    def make(**fields) -> dict:
        response = api.post("/webhooks", {"url": receiver.url, "eventTypes": ["*"], **fields})
        assert response.status_code == 201, response.content
        return response.json()

    return make
