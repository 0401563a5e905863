"""Undo of any job that wrote change events with its id: batch edits, imports, and undos (redo).

The original job's `profile.created` / `profile.updated` events, folded per profile, say what it
did: for each attribute the value before (the first `old`) and after (the last `new`), for tags
the net set added and removed. Per profile and attribute, the undo
restores the value before when the profile still holds the value the job wrote; otherwise someone
changed it since, and the undo leaves it and reports a conflict.
A profile the job created is deleted when it is still exactly as the job left it and has no
other activity; its last state is kept on the undo's item so that undoing the undo re-creates
it. The undo writes through the change service with `source: undo` and its own job id, which is
what makes it undoable in turn.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.activity.replay import differences, replay
from dossier.core.bulk import update_rows
from dossier.jobs import reporting
from dossier.jobs.batch_edit import CHUNK_SIZE
from dossier.jobs.models import Job, JobItem
from dossier.jobs.selection import next_ids
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, Identity, WriteItem, apply_writes, json_value, load_states
from dossier.profiles.errors import FieldError
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME
from dossier.profiles.models import Company
from dossier.profiles.serializers import state_json
from dossier.profiles.services import do_delete_profiles
from dossier.profiles.writes import ProfileWrite, parse_profile_json, parse_write

UNDO_CHUNK_SIZE = min(CHUNK_SIZE, 500)
SNAPSHOT_SKIP = ("id", "version", "createdAt", "updatedAt")
CONFLICT_CODES = ("changed_since", "has_activity")
CREATED_CHANGED = "the job created this profile, which changed since; kept"
CREATED_ACTIVE = "the job created this profile, which has other activity since; kept"


def net_changes(change_lists: list[list[dict]]) -> dict[str, dict]:
    """attribute -> {old, new} (first old, last new); `tags` -> {added, removed} as net sets."""
    net: dict[str, dict] = {}
    for changes in change_lists:
        for change in changes:
            name = change["attribute"]
            if name == "tags":
                tags = net.setdefault("tags", {"added": set(), "removed": set()})
                for tag in change["added"]:
                    tags["removed"].discard(tag) if tag in tags["removed"] else tags["added"].add(tag)
                for tag in change["removed"]:
                    tags["added"].discard(tag) if tag in tags["added"] else tags["removed"].add(tag)
            elif name in net:
                net[name]["new"] = change["new"]
            else:
                net[name] = {"old": change["old"], "new": change["new"]}
    return net


def current_value(state: dict, name: str) -> Any:
    """The profile's value of an attribute as change events write it."""
    if name == "company":
        return str(state["company_id"]) if state["company_id"] else None
    if name.startswith("attributes."):
        return state["attributes"].get(name[len("attributes."):])
    if name.startswith("agreements."):
        return state[AGREEMENT_CHANNELS[name[len("agreements."):]]]
    column = FIELDS_BY_NAME[name].column
    return json_value(column, state[column])


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _company_id(value: dict | None) -> str | None:
    return value["id"] if value else None


def restore_plan(state: dict, net: dict[str, dict]) -> tuple[dict, set, set, list[FieldError]]:
    """What to write to take the profile back: (values, tags to add, tags to remove, conflicts)."""
    values: dict[str, Any] = {}
    add_tags: set[str] = set()
    remove_tags: set[str] = set()
    conflicts: list[FieldError] = []
    for name, change in net.items():
        if name == "tags":
            for tag in sorted(change["added"]):
                if tag in state["tags"]:
                    remove_tags.add(tag)
                else:
                    conflicts.append(FieldError("tags", "changed_since", f"'{tag}' was removed since the job added it", tag))
            for tag in sorted(change["removed"]):
                if tag not in state["tags"]:
                    add_tags.add(tag)
                else:
                    conflicts.append(FieldError("tags", "changed_since", f"'{tag}' was added again since the job removed it", tag))
            continue
        old, new = change["old"], change["new"]
        if name == "company":
            old, new = _company_id(old), _company_id(new)
        now = current_value(state, name)
        if not _same(now, new):
            message = "changed back since the job to the value before it" if _same(now, old) else "changed since the job; left as it is"
            conflicts.append(FieldError(name, "changed_since", message, now))
            continue
        values["companyId" if name == "company" else name] = old
    return values, add_tags, remove_tags, conflicts


class Undo:
    """The `undo` job kind: the selection is every profile the original job wrote or deleted."""

    def run_chunk(self, job: Job) -> bool:
        ids = next_ids(job, job.state.get("after"), UNDO_CHUNK_SIZE)
        if ids:
            undo_profiles(job, ids)
            job.processed += len(ids)
            job.state = {"after": str(ids[-1])}
        return len(ids) < UNDO_CHUNK_SIZE


@dataclass
class OriginalWork:
    """What the original job did to a chunk of profiles, read from its events and items."""

    change_lists: dict[Any, list[list[dict]]] = field(default_factory=lambda: defaultdict(list))
    created: set = field(default_factory=set)
    deleted: dict[Any, dict] = field(default_factory=dict)  # profile id -> last state, when an undo deleted it


def read_original(original: uuid.UUID, ids: list[uuid.UUID]) -> OriginalWork:
    work = OriginalWork()
    events = (Event.objects.filter(job_id=original, profile_id__in=ids, type__in=event_types.CHANGE_EVENT_TYPES)
              .order_by("id").values_list("profile_id", "type", "params"))
    for profile_id, type_, params in events:
        if type_ == event_types.PROFILE_CREATED:
            work.created.add(profile_id)
        work.change_lists[profile_id].append(params.get("changes", []))
    snapshots = JobItem.objects.filter(job_id=original, job__kind=Job.Kind.UNDO, profile_id__in=ids)
    work.deleted = dict(snapshots.filter(payload__isnull=False).values_list("profile_id", "payload"))
    return work


def undo_profiles(job: Job, ids: list[uuid.UUID]) -> None:
    """Plan each profile's way back, delete what the job created, then write the rest in one go."""
    work = read_original(uuid.UUID(job.params["undoes"]), ids)
    states = load_states(ids)
    registry = AttributeRegistry.load()
    problems: dict[Any, list[FieldError]] = defaultdict(list)
    items: list[WriteItem] = []
    item_profiles: list[Any] = []
    deletable: list[Any] = []

    for profile_id in ids:
        if profile_id in work.deleted:
            body = {k: v for k, v in work.deleted[profile_id].items() if k not in SNAPSHOT_SKIP}
            write, errors = parse_profile_json(body, registry)
            items.append(WriteItem(len(items), None, write, create=True, errors=errors))
            item_profiles.append(profile_id)
        elif profile_id not in states:
            problems[profile_id].append(FieldError("id", "not_found", "deleted since the job", str(profile_id)))
        elif profile_id in work.created:
            if differences(states[profile_id], replay(work.change_lists[profile_id])):
                problems[profile_id].append(FieldError("id", "changed_since", CREATED_CHANGED, str(profile_id)))
            else:
                deletable.append(profile_id)
        else:
            net = net_changes(work.change_lists[profile_id])
            values, add_tags, remove_tags, conflicts = restore_plan(states[profile_id], net)
            problems[profile_id].extend(conflicts)
            if values or add_tags or remove_tags:
                write, errors = parse_write(values, registry=registry, add_tags=add_tags, remove_tags=remove_tags)
                items.append(WriteItem(len(items), Identity("id", profile_id), write, create=False, errors=errors))
                item_profiles.append(profile_id)

    ctx = ChangeContext(source=event_types.SOURCE_UNDO, actor=job.created_by, job_id=job.id)
    if deletable:
        _delete_created(job, deletable, states, problems, ctx)
    for profile_id, result in zip(item_profiles, apply_writes(items, ctx, registry=registry)):
        if result.status in ("created", "updated"):
            reporting.count(job, "recreated" if result.status == "created" else "restored")
            reporting.add_changes(job, result.id, result.changes)
        elif result.status != "unchanged":
            problems[profile_id].extend(result.errors)
    _report(job, ids, problems)


def _report(job: Job, ids: list, problems: dict[Any, list[FieldError]]) -> None:
    troubled = 0
    for profile_id in ids:
        found = problems.get(profile_id)
        if not found:
            continue
        troubled += 1
        for problem in found:
            reporting.count(job, "conflicts" if problem.code in CONFLICT_CODES else "rejected")
            reporting.add_error(job, profile_id, problem)
    job.failed += troubled
    job.succeeded += len(ids) - troubled


def _delete_created(job: Job, profile_ids: list, states: dict, problems: dict, ctx: ChangeContext) -> None:
    """Delete profiles the original job created, unless they have other activity (custom events,
    form submissions) that deleting would erase; later changes were ruled out by the caller.
    Each one's last state is kept on this job's item, for a redo to re-create it."""
    others = Event.objects.filter(profile_id__in=profile_ids).exclude(type__in=event_types.CHANGE_EVENT_TYPES)
    active = set(others.values_list("profile_id", flat=True).distinct())
    doomed = [pid for pid in profile_ids if pid not in active]
    for profile_id in active:
        problems[profile_id].append(FieldError("id", "has_activity", CREATED_ACTIVE, str(profile_id)))
    if not doomed:
        return
    company_ids = {states[pid]["company_id"] for pid in doomed} - {None}
    companies = dict(Company.objects.filter(id__in=company_ids).values_list("id", "name"))
    item_ids = dict(JobItem.objects.filter(job=job, profile_id__in=doomed).values_list("profile_id", "id"))
    update_rows(JobItem, ("payload",), "id", ([state_json(states[pid], companies), item_ids[pid]] for pid in doomed))
    do_delete_profiles(list(doomed), ctx)
    reporting.count(job, "deleted", len(doomed))
