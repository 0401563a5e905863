"""Per-address submission counters in the database, so every web process shares one limit.

A counter row per (address, minute) is incremented with one upsert that returns the new count;
the duty `purge_counters` deletes rows older than an hour.
"""

import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from dossier.config import env_int
from dossier.forms.models import SubmissionCounter

WINDOW_SECONDS = 60
KEEP_SECONDS = 3600
PER_MINUTE = env_int("DOSSIER_FORM_SUBMISSIONS_PER_MINUTE", 30)
if PER_MINUTE < 1:
    raise ImproperlyConfigured(f"DOSSIER_FORM_SUBMISSIONS_PER_MINUTE must be at least 1, got {PER_MINUTE}")


def submissions_per_minute() -> int:
    """The limit per address and minute: DOSSIER_FORM_SUBMISSIONS_PER_MINUTE (default 30); a
    Django setting of the same name overrides it (tests)."""
    return getattr(settings, "DOSSIER_FORM_SUBMISSIONS_PER_MINUTE", PER_MINUTE)


def allow(address: str) -> bool:
    """Count one submission from `address`; False once it went over the limit in this minute."""
    bucket = int(time.time()) // WINDOW_SECONDS * WINDOW_SECONDS
    table = connection.ops.quote_name(SubmissionCounter._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (address, bucket, hits) VALUES (%s, %s, 1)"
            f" ON CONFLICT (address, bucket) DO UPDATE SET hits = {table}.hits + 1 RETURNING hits",
            [address[:64], bucket],
        )
        hits = cursor.fetchone()[0]
    return hits <= submissions_per_minute()


def purge_counters() -> int:
    deleted, _ = SubmissionCounter.objects.filter(bucket__lt=int(time.time()) - KEEP_SECONDS).delete()
    return deleted
