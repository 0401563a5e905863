"""What a job tells about its items: counters, per-attribute tallies, a sample of diffs, errors.

Errors are kept in input order up to `MAX_ERRORS` (the job row is rewritten with every chunk, so
the list must stay bounded); past that, only the counters grow.
"""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from dossier.jobs.models import Job
from dossier.profiles.errors import FieldError

MAX_ERRORS = 1000
SAMPLE_SIZE = 10


def add_error(job: Job, profile_id: Any, error: FieldError) -> None:
    job.summary["errorCount"] = job.summary.get("errorCount", 0) + 1
    if len(job.errors) < MAX_ERRORS:
        entry = {"profileId": str(profile_id) if profile_id else None, **error.as_dict()}
        job.errors.append(json.loads(json.dumps(entry, cls=DjangoJSONEncoder)))  # ids, dates as text


def count(job: Job, key: str, by: int = 1) -> None:
    job.summary[key] = job.summary.get(key, 0) + by


def add_changes(job: Job, profile_id: Any, changes: list[dict]) -> None:
    """Tally the attributes a profile's change touched and keep the first few diffs as a sample."""
    attributes = job.summary.setdefault("attributes", {})
    for change in changes:
        attributes[change["attribute"]] = attributes.get(change["attribute"], 0) + 1
    sample = job.summary.setdefault("sample", [])
    if len(sample) < SAMPLE_SIZE:
        sample.append({"profileId": str(profile_id), "changes": changes})
