"""`dossier worker`: runs background tasks (django-tasks) and the periodic duties of the apps."""

import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dossier.core import maintenance


class Command(BaseCommand):
    help = "Run background jobs: imports, batch edits, workflow runs."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.2, help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true", help="exit when no task is left (for tests and scripts)")
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, **options):
        stop = threading.Event()
        maintenance.run_due()
        thread = maintenance.start_thread(stop)
        worker_options = {"interval": options["interval"], "verbosity": options["verbosity"], "startup_delay": False}
        if options["batch"]:
            worker_options["batch"] = True
        if options["worker_id"]:
            worker_options["worker_id"] = options["worker_id"]
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()
            thread.join(timeout=5)
