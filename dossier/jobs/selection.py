"""A job's selection: the profile ids it works on, recorded once and paged through in id order.

Recording a filter's matches is one INSERT ... SELECT, so "all 100,000 matching" costs the
database one statement and never travels through Python.
"""

import uuid
from typing import Any, Iterable

from django.db import connection
from django.db.models import QuerySet

from dossier.core.bulk import insert_rows
from dossier.jobs.models import Job, JobItem


def record_matches(job: Job, profile_ids: QuerySet) -> int:
    """Record the ids a `values_list("...", flat=True)` queryset yields; return how many."""
    sql, params = profile_ids.query.sql_with_params()
    table = connection.ops.quote_name(JobItem._meta.db_table)
    job_id = Job._meta.pk.get_db_prep_value(job.id, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (job_id, profile_id) SELECT %s, m.pid FROM ({sql}) AS m (pid)"
                       if connection.vendor == "postgresql" else
                       f"INSERT INTO {table} (job_id, profile_id) SELECT %s, * FROM ({sql})", [job_id, *params])
        return cursor.rowcount


def record_ids(job: Job, profile_ids: Iterable[uuid.UUID]) -> int:
    ids = sorted(set(profile_ids))
    insert_rows(JobItem, ("job_id", "profile_id"), ((job.id, pid) for pid in ids))
    return len(ids)


def next_ids(job: Job, after: Any, limit: int) -> list[uuid.UUID]:
    """The next `limit` profile ids of the selection after the cursor `after` (None: from the start)."""
    items = JobItem.objects.filter(job=job).order_by("profile_id")
    if after is not None:
        items = items.filter(profile_id__gt=uuid.UUID(after))
    return list(items.values_list("profile_id", flat=True)[:limit])
