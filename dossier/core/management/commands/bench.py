"""`dossier bench` (`make bench`): the speed figures of SPEC §10 beside their raw-database ceilings."""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dossier.bench.runner import HarnessError, bench_scale, run_bench


class Command(BaseCommand):
    help = ("Run the benchmark scenarios on SQLite and, when it answers, PostgreSQL; print a table and write "
            "<data dir>/bench/latest.json. BENCH_SCALE=small runs each at a tenth of its size.")

    def add_arguments(self, parser):
        parser.add_argument("--scenario", action="append", metavar="NAME", help="run only this scenario (repeatable)")
        parser.add_argument("--database", action="append", choices=["sqlite", "postgresql"],
                            help="run only on this database (repeatable); PostgreSQL is found at "
                                 "DOSSIER_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres")
        parser.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_TIMEOUT", "3600")),
                            help="seconds one scenario may take before it is stopped and reported as failed")

    def handle(self, *args, **options):
        try:
            scale = bench_scale(os.environ.get("BENCH_SCALE"))
            run_bench(options["scenario"], options["database"], scale, settings.DATA_DIR / "bench", sys.stdout,
                      options["timeout"])
        except HarnessError as exc:
            raise CommandError(str(exc)) from None
