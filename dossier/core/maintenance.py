"""Periodic upkeep run by `dossier worker` beside the task queue, and its patience with a database
that went away.

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


class DatabaseUnavailable(Exception):
    """The database stayed away longer than the caller would wait for it."""


def connection_lost() -> bool:
    """True when the default connection is gone or broken: the error just raised was the database
    going away (a restart, a cut network), not the work being wrong. (A failed transaction whose
    rollback also failed leaves the connection closed; a query error on a live one does not.)"""
    return connection.connection is None or not connection.is_usable()


class DatabaseOutage:
    """Waits for a lost database to come back: drops the broken connection (the next query opens
    a new one) and pauses, longer at each attempt of the same outage."""

    PAUSES = (0.2, 0.5, 1.0, 2.0, 5.0)

    def __init__(self):
        self.started: float | None = None
        self.attempts = 0

    def wait(self, what: str, error: Exception, give_up_after: float | None = None) -> None:
        now = time.monotonic()
        self.started = self.started if self.started is not None else now
        if give_up_after is not None and now - self.started > give_up_after:
            raise DatabaseUnavailable(f"{what}: the database has been away for {now - self.started:.0f} s") from error
        pause = self.PAUSES[min(self.attempts, len(self.PAUSES) - 1)]
        self.attempts += 1
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        logger.warning("%s: database connection lost (%s); trying again in %.1f s", what, reason, pause)
        connection.close()
        time.sleep(pause)

    def end(self) -> None:
        """The database answered again: the next loss is a new outage."""
        self.started, self.attempts = None, 0


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
