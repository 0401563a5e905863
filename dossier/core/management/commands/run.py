"""`dossier run`: migrate, load demo data into an empty database, serve the app and one worker."""

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dossier.accounts.services import do_create_user
from dossier.profiles.models import Profile


def gunicorn_command(host: str, port: int, workers: int | None = None) -> list[str]:
    """The production web server as `dossier run` starts it (and `make bench` measures it).

    Threaded workers keep HTTP connections alive between requests; the threads overlap database
    waits, the processes give real parallelism past the GIL.
    """
    workers = workers or 2 * (os.cpu_count() or 1)
    return [
        sys.executable, "-m", "gunicorn", "dossier.wsgi:application", "--bind", f"{host}:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", "3",
        "--keep-alive", "30", "--log-level", "warning",
    ]


class Command(BaseCommand):
    help = "Migrate, then serve Dossier with gunicorn and one background worker until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty database")
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("DOSSIER_WEB_WORKERS", "0")) or None,
                            help="gunicorn worker processes (default: two per CPU core)")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"] and not Profile.objects.exists():
            self.stdout.write("Loading demo data into the empty database...")
            call_command("demo")
        login = self._admin_login()
        address = f"http://{settings.HOST}:{settings.PORT}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dossier.settings"}
        web = subprocess.Popen(gunicorn_command(settings.HOST, settings.PORT, options["web_workers"]), env=env)
        worker = subprocess.Popen([sys.executable, "-m", "dossier.cli", "worker"], env=env)
        self.stdout.write(self.style.SUCCESS(f"Dossier is running at {address}/"))
        self.stdout.write(f"API docs: {address}/api/v1/docs")
        self.stdout.write(login)
        self.stdout.write("Press Ctrl-C to stop.")
        self._wait([web, worker])

    def _admin_login(self) -> str:
        password_file = settings.DATA_DIR / "admin-password"
        User = get_user_model()
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            do_create_user("admin", password, "admin", validate=False)
            password_file.write_text(password)
            password_file.chmod(0o600)
        if password_file.exists():
            return f"Log in as admin / {password_file.read_text().strip()} (delete {password_file} once you changed it)"
        return "Log in with your Dossier user."

    def _wait(self, processes: list[subprocess.Popen]) -> None:
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.stdout.write("Stopped.")
