"""`dossier worker` processes for the scenarios that measure background work."""

import os
import subprocess
import sys
import time
from pathlib import Path


def start_workers(work_dir: str, count: int, **env: str) -> list[subprocess.Popen]:
    """`count` `dossier worker` processes, once each has started (its log says so)."""
    workers = []
    for number in range(count):
        log = open(Path(work_dir) / f"worker-{number}.log", "wb")
        workers.append(subprocess.Popen([sys.executable, "-m", "dossier.cli", "worker", "--interval", "0.05"],
                                        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}))
        log.close()
    deadline = time.monotonic() + 60
    logs = [Path(work_dir) / f"worker-{number}.log" for number in range(count)]
    while not all("Starting worker" in path.read_text(errors="replace") for path in logs):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            raise RuntimeError(f"the workers did not start: {[p.read_text()[-500:] for p in logs]}")
        time.sleep(0.05)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
