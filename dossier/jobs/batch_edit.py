"""Batch edit (SPEC §5): the same change applied to every profile of a selection, chunk by chunk.

The request's `changes` are validated once up front (`parse_changes`) and kept on the job as
given; each chunk parses them again against the attribute registry of its own transaction, so a
custom attribute the first chunk registered is known to the next.
"""

from typing import Any

from dossier.activity.event_types import SOURCE_BATCH
from dossier.config import env_int
from dossier.jobs import reporting
from dossier.jobs.models import Job
from dossier.jobs.selection import next_ids
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, apply_write_to_each
from dossier.profiles.errors import FieldError
from dossier.profiles.writes import ProfileWrite, parse_write

CHUNK_SIZE = env_int("DOSSIER_JOB_CHUNK_SIZE", 2000)
CHANGE_KEYS = ("set", "clear", "addTags", "removeTags", "agreements", "companyId")


class InvalidChanges(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def parse_changes(changes: Any, registry: AttributeRegistry) -> tuple[ProfileWrite, list[FieldError]]:
    """`{set, clear, addTags, removeTags, agreements, companyId}` as one ProfileWrite; every problem
    is named by the field path it concerns (`birthDate`, `attributes.plan`, `addTags`)."""
    if not isinstance(changes, dict):
        return ProfileWrite(), [FieldError("changes", "invalid_type", "must be an object of changes", changes)]
    errors = [FieldError(f"changes.{key}", "unknown_field", f"changes are {', '.join(CHANGE_KEYS)}", changes[key])
              for key in changes if key not in CHANGE_KEYS]
    values: dict[str, Any] = {}
    to_set = changes.get("set") or {}
    if isinstance(to_set, dict):
        values.update(to_set)
    else:
        errors.append(FieldError("set", "invalid_type", "must be an object of field: value", to_set))
    to_clear = changes.get("clear") or []
    if isinstance(to_clear, list) and all(isinstance(path, str) for path in to_clear):
        for path in to_clear:
            if path in values:
                errors.append(FieldError(path, "conflict", "a field cannot be both set and cleared", None))
            values[path] = None
    else:
        errors.append(FieldError("clear", "invalid_type", "must be a list of field names", to_clear))
    agreements = changes.get("agreements") or {}
    if isinstance(agreements, dict):
        values.update({f"agreements.{channel}": value for channel, value in agreements.items()})
    else:
        errors.append(FieldError("agreements", "invalid_type", "must be an object of channel: true/false", agreements))
    if "companyId" in changes:
        values["companyId"] = changes["companyId"]
    tag_lists = {}
    for key in ("addTags", "removeTags"):
        tags = changes.get(key) or []
        if not isinstance(tags, list):
            errors.append(FieldError(key, "invalid_type", "must be a list of tag names", tags))
            tags = []
        tag_lists[key] = tags
    write, more = parse_write(values, registry=registry, add_tags=tag_lists["addTags"], remove_tags=tag_lists["removeTags"])
    errors += more
    if not errors and write.is_empty():
        errors.append(FieldError("changes", "required", "name at least one change", None))
    return write, errors


class BatchEdit:
    """The `batch_edit` job kind: each chunk sends its profiles through the change service."""

    def run_chunk(self, job: Job) -> bool:
        ids = next_ids(job, job.state.get("after"), CHUNK_SIZE)
        if ids:
            registry = AttributeRegistry.load()
            write, errors = parse_changes(job.params["changes"], registry)
            if errors:  # valid when the job was created; an attribute's type changed since
                raise InvalidChanges(errors)
            ctx = ChangeContext(source=SOURCE_BATCH, actor=job.created_by, job_id=job.id,
                                request_id=job.params.get("requestId", ""))
            results = apply_write_to_each(ids, write, ctx, registry=registry, dry_run=job.params.get("dryRun", False))
            for pid, result in zip(ids, results):
                if result.status == "updated":
                    reporting.count(job, "changed")
                    reporting.add_changes(job, pid, result.changes)
                elif result.status == "unchanged":
                    reporting.count(job, "unchanged")
                else:
                    reporting.count(job, "rejected")
                    for error in result.errors:
                        reporting.add_error(job, pid, error)
            job.processed += len(ids)
            job.succeeded = job.summary.get("changed", 0) + job.summary.get("unchanged", 0)
            job.failed = job.summary.get("rejected", 0)
            job.state = {"after": str(ids[-1])}
        return len(ids) < CHUNK_SIZE
