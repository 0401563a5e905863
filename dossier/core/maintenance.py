"""Periodic upkeep run by `dossier worker` beside the task queue.

Apps register what must be retried from committed rows after a crash (stalled jobs, workflow
triggers whose task was never queued, due delays); the worker calls each at its interval.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


@dataclass
class Duty:
    name: str
    run: Callable[[], object]
    every_seconds: float
    last_run: float = 0.0


DUTIES: list[Duty] = []


def register(name: str, run: Callable[[], object], every_seconds: float) -> None:
    DUTIES.append(Duty(name, run, every_seconds))


def run_due(now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    for duty in DUTIES:
        if now - duty.last_run < duty.every_seconds:
            continue
        duty.last_run = now
        try:
            duty.run()
        except Exception:  # a failing duty is logged and retried at its next turn, never fatal
            logger.exception("worker duty %s failed", duty.name)


def start_thread(stop: threading.Event, tick: float = 0.5) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            close_old_connections()
            run_due()
            stop.wait(tick)
        connection.close()

    thread = threading.Thread(target=loop, name="dossier-duties", daemon=True)
    thread.start()
    return thread
