"""`dossier run` as an operator uses it: a fresh data folder, a real server and worker, Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_serves_the_app_with_a_worker_and_stops_cleanly_on_ctrl_c(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    env.update(DOSSIER_DATA_DIR=str(tmp_path), DOSSIER_PORT=str(port), DOSSIER_WEB_WORKERS="1")
    process = subprocess.Popen([sys.executable, "-m", "dossier.cli", "run", "--no-demo"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still loading the app
                time.sleep(0.3)
        assert health is not None and health.json() == {"status": "ok"}
        login_page = requests.get(f"http://127.0.0.1:{port}/login/", timeout=5)
        assert login_page.status_code == 200
        assert "default-src 'self'" in login_page.headers["Content-Security-Policy"]
        assert login_page.headers["X-Frame-Options"] == "DENY"
        password = (tmp_path / "admin-password").read_text().strip()
        while time.monotonic() < deadline and not any("Starting worker" in line for line in lines):
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        reader.join(timeout=10)
    output = "".join(lines)

    assert process.returncode == 0, output
    assert f"Dossier is running at http://127.0.0.1:{port}/" in output
    assert f"Log in as admin / {password}" in output
    assert "Starting worker" in output
    assert (tmp_path / "dossier.sqlite3").exists()
    leftover = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert leftover == []
