"""`dossier worker`: runs background tasks (django-tasks) and the periodic duties of the apps."""

import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from dossier.core import maintenance

# A task loop that ran this long before it lost the database had been working: a new outage.
HEALTHY_SECONDS = 60


class Command(BaseCommand):
    help = "Run background jobs: imports, batch edits, workflow runs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.2, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit when no task is left (for tests and scripts)")
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, **options):
        connection.ensure_connection()  # a database that never answered is a setting to fix: fail at start
        stop = threading.Event()
        maintenance.run_due()
        thread = maintenance.start_thread(stop)
        worker_options = {"interval": options["interval"], "verbosity": options["verbosity"], "startup_delay": False}
        if options["batch"]:
            worker_options["batch"] = True
        if options["worker_id"]:
            worker_options["worker_id"] = options["worker_id"]
        try:
            self._run_tasks(worker_options)
        finally:
            stop.set()
            thread.join(timeout=5)

    def _run_tasks(self, worker_options: dict) -> None:
        """django_tasks_db's task loop, started again when the database connection is lost: its
        loop lets that error out, which would end the worker at the first database restart."""
        outage = maintenance.DatabaseOutage()
        while True:
            started = time.monotonic()
            try:
                call_command("db_worker", **worker_options)
                return
            except DatabaseError as exc:
                if not maintenance.connection_lost():
                    raise
                if time.monotonic() - started > HEALTHY_SECONDS:
                    outage.end()
                outage.wait("dossier worker", exc)
