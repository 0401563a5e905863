"""The one change path: every write to a profile goes through `apply_writes`.

A use case reads top to bottom: resolve the profiles the items name (one query per identifier
kind, rows locked), compare each item with the stored state in memory, reject what is invalid,
then write only what changed with a few statements per chunk: profile rows, tag links, and one
`profile.created` / `profile.updated` event per changed profile, in the same transaction. A write
that changes nothing writes nothing: no version bump, no event.

The card, the API, batch edit, import, forms, workflows and undo are thin doors that parse their
input into `WriteItem`s and call this module.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.services import NewEvent, record_events
from dossier.core.bulk import delete_pairs, insert_rows, update_rows
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_COLUMN, FIELDS_BY_NAME
from dossier.profiles.models import Company, Profile, ProfileTag, Tag
from dossier.profiles.writes import UNSET, ProfileWrite

STATE_COLUMNS = tuple(FIELDS_BY_COLUMN) + tuple(AGREEMENT_CHANNELS.values()) + ("company_id", "attributes")
ROW_COLUMNS = ("id", *STATE_COLUMNS, "version", "created_at", "updated_at")
CHANNEL_BY_COLUMN = {column: channel for channel, column in AGREEMENT_CHANNELS.items()}
IDENTITY_COLUMNS = {"email": "email", "customId": "custom_id", "phone": "phone"}

# Import column policies (SPEC §6): `always` overwrites, `ifEmpty` only fills an unset value,
# `never` only applies when the profile is created.
ALWAYS, IF_EMPTY, NEVER = "always", "ifEmpty", "never"


@dataclass(frozen=True)
class ChangeContext:
    """Who writes, through which door, as part of what."""

    source: str
    actor: str
    job_id: Any = None
    caused_by_id: int | None = None
    request_id: str = ""


@dataclass(frozen=True)
class Identity:
    kind: str  # id, email, customId or phone
    value: Any


@dataclass
class WriteItem:
    index: int
    identity: Identity | None
    write: ProfileWrite
    create: bool = True
    expected_version: int | None = None
    policies: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class WriteResult:
    index: int
    status: str  # created, updated, unchanged, skipped, rejected
    id: Any = None
    version: int | None = None
    changes: list[dict] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    http_status: int = 200

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "status": self.status,
            "id": str(self.id) if self.id else None,
            "version": self.version,
            "errors": [e.as_dict() for e in self.errors],
        }


def empty_state() -> dict[str, Any]:
    state: dict[str, Any] = {column: None for column in STATE_COLUMNS}
    for column in AGREEMENT_CHANNELS.values():
        state[column] = False
    state["attributes"] = {}
    state["tags"] = set()
    return state


def json_value(column_or_path: str, value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a boolean attribute turning into an integer is a change.
    return type(a) is type(b) and a == b


# --- diffing ---------------------------------------------------------------------------------

def diff_write(state: dict, write: ProfileWrite, *, is_new: bool, policies: dict[str, str],
               companies: dict[Any, str]) -> tuple[dict, list[dict]]:
    """Apply `write` to a copy of `state`; return the new state and the changes, in field order."""
    new = dict(state)
    new["attributes"] = dict(state["attributes"])
    changes: list[dict] = []

    def allowed(path: str, current: Any) -> bool:
        policy = policies.get(path, ALWAYS)
        if policy == ALWAYS or is_new:
            return True
        if policy == IF_EMPTY:
            return current is None or current == ""
        return False

    for column, value in write.columns.items():
        spec = FIELDS_BY_COLUMN[column]
        if not allowed(spec.name, state[column]) or _same(state[column], value):
            continue
        new[column] = value
        changes.append({"attribute": spec.name, "old": json_value(column, state[column]), "new": json_value(column, value)})

    if "anonymous_type" not in write.columns and new["anonymous_type"] != "recognized":
        became_known = any(state[c] is None and new[c] is not None for c in ("email", "custom_id"))
        if is_new and new["anonymous_type"] is None:
            new["anonymous_type"] = "recognized" if became_known else "anonymous"
        elif became_known:
            new["anonymous_type"] = "recognized"
        if new["anonymous_type"] != state["anonymous_type"]:
            changes.append({"attribute": "anonymousType", "old": state["anonymous_type"], "new": new["anonymous_type"]})

    for name, value in write.attributes.items():
        path = f"attributes.{name}"
        current = state["attributes"].get(name)
        if not allowed(path, current):
            continue
        if value is None:
            if name in new["attributes"]:
                del new["attributes"][name]
                changes.append({"attribute": path, "old": current, "new": None})
        elif not _same(current, value):
            new["attributes"][name] = value
            changes.append({"attribute": path, "old": current, "new": value})

    for channel, value in write.agreements.items():
        column = AGREEMENT_CHANNELS[channel]
        if state[column] != value and allowed(f"agreements.{channel}", None if is_new else state[column]):
            new[column] = value
            changes.append({"attribute": f"agreements.{channel}", "old": state[column], "new": value})

    if write.company_id is not UNSET and write.company_id != state["company_id"] and allowed("companyId", state["company_id"]):
        new["company_id"] = write.company_id
        changes.append({
            "attribute": "company",
            "old": _company_json(state["company_id"], companies),
            "new": _company_json(write.company_id, companies),
        })

    if write.tags is not None or write.add_tags or write.remove_tags:
        base = write.tags if write.tags is not None else state["tags"]
        tags = (set(base) | write.add_tags) - write.remove_tags
        added, removed = tags - state["tags"], state["tags"] - tags
        if added or removed:
            new["tags"] = tags
            changes.append({"attribute": "tags", "added": sorted(added), "removed": sorted(removed)})
    return new, changes


def _company_json(company_id: Any, companies: dict[Any, str]) -> dict | None:
    if company_id is None:
        return None
    return {"id": str(company_id), "name": companies.get(company_id, "")}


# --- loading ---------------------------------------------------------------------------------

def load_states(profile_ids: Iterable[Any], *, lock: bool = True) -> dict[Any, dict]:
    """Current state of the given profiles (tags included), rows locked for this transaction."""
    ids = list(profile_ids)
    if not ids:
        return {}
    query = Profile.objects.filter(id__in=ids).order_by("id")
    if lock:
        query = query.select_for_update()
    states = {}
    for row in query.values(*ROW_COLUMNS):
        row["tags"] = set()
        states[row["id"]] = row
    for profile_id, name in ProfileTag.objects.filter(profile_id__in=list(states)).values_list("profile_id", "tag__name"):
        states[profile_id]["tags"].add(name)
    return states


def _resolve(items: Sequence[WriteItem]) -> dict[int, Any]:
    """Map item index -> profile id for items whose identity names a stored profile."""
    by_kind: dict[str, set] = {}
    for item in items:
        if item.identity is not None and not item.errors:
            by_kind.setdefault(item.identity.kind, set()).add(item.identity.value)
    owners: dict[tuple[str, Any], Any] = {}
    ambiguous: set = set()
    for kind, values in by_kind.items():
        if kind == "id":
            for pk in Profile.objects.filter(id__in=values).values_list("id", flat=True):
                owners[("id", pk)] = pk
            continue
        column = IDENTITY_COLUMNS[kind]
        for value, pk in Profile.objects.filter(**{f"{column}__in": values}).values_list(column, "id"):
            if kind == "phone" and ("phone", value) in owners:
                ambiguous.add(value)
            owners[(kind, value)] = pk
    resolved = {}
    for item in items:
        if item.identity is None or item.errors:
            continue
        key = (item.identity.kind, item.identity.value)
        if item.identity.kind == "phone" and item.identity.value in ambiguous:
            item.errors.append(FieldError("phone", "ambiguous", "more than one profile has this phone number; name the profile by id, email or customId", item.identity.value))
        elif key in owners:
            resolved[item.index] = owners[key]
    return resolved


# --- applying --------------------------------------------------------------------------------

def apply_writes(items: Sequence[WriteItem], ctx: ChangeContext, *, registry: AttributeRegistry,
                 dry_run: bool = False) -> list[WriteResult]:
    """Apply a chunk of writes in one transaction; return one result per item, in input order.

    An invalid item is rejected whole and never blocks the others. When the database refuses the
    chunk (a unique identifier taken by a concurrent writer), the chunk is retried item by item so
    only the offending item is rejected.
    """
    try:
        with transaction.atomic():
            results = _apply_chunk(items, ctx, registry, dry_run)
            if dry_run:
                transaction.set_rollback(True)
            return results
    except IntegrityError:
        if len(items) == 1:
            return [_conflict_result(items[0])]
    results = []
    for item in items:
        try:
            with transaction.atomic():
                results.extend(_apply_chunk([item], ctx, registry, dry_run))
                if dry_run:
                    transaction.set_rollback(True)
        except IntegrityError:
            results.append(_conflict_result(item))
    return results


def _conflict_result(item: WriteItem) -> WriteResult:
    error = FieldError("email" if "email" in item.write.columns else "customId", "taken",
                       "another profile already has this identifier")
    return WriteResult(item.index, "rejected", errors=[error], http_status=409)


def _apply_chunk(items: Sequence[WriteItem], ctx: ChangeContext, registry: AttributeRegistry,
                 dry_run: bool) -> list[WriteResult]:
    now = timezone.now()
    resolved = _resolve(items)
    states = load_states(set(resolved.values()))
    companies = _companies_for(items, states)
    results: dict[int, WriteResult] = {}
    created: dict[Any, dict] = {}  # profile id -> state, for profiles this chunk creates
    touched: dict[Any, dict] = {}  # profile id -> state before the chunk, for updated profiles
    changes_by_profile: dict[Any, list[list[dict]]] = {}
    new_identity_owner: dict[tuple[str, Any], Any] = {}
    pending_identity: dict[tuple[str, Any], Any] = {}  # identities of profiles created earlier in the chunk

    for item in items:
        if item.errors:
            results[item.index] = WriteResult(item.index, "rejected", errors=item.errors, http_status=422)
            continue
        profile_id = resolved.get(item.index)
        if profile_id is None and item.identity is not None:
            profile_id = pending_identity.get((item.identity.kind, item.identity.value))
        is_new = False
        if profile_id is None:
            if item.identity is not None and (item.identity.kind == "id" or not item.create):
                status = "rejected" if item.identity.kind == "id" and item.create else "skipped"
                error = FieldError(item.identity.kind, "not_found", "no profile matches this identifier", item.identity.value)
                results[item.index] = WriteResult(item.index, status, errors=[error], http_status=404)
                continue
            is_new = True
            profile_id = uuid.uuid4()
            state = empty_state()
            if item.identity is not None and item.identity.kind != "id":
                column = IDENTITY_COLUMNS[item.identity.kind]
                item.write.columns.setdefault(column, item.identity.value)
        else:
            state = created.get(profile_id) or states[profile_id]
            if item.expected_version is not None and state["version"] != item.expected_version:
                error = FieldError("version", "stale", f"the profile is at version {state['version']}, not {item.expected_version}", item.expected_version)
                results[item.index] = WriteResult(item.index, "rejected", id=profile_id, version=state["version"], errors=[error], http_status=412)
                continue

        new_state, changes = diff_write(state, item.write, is_new=is_new, policies=item.policies, companies=companies)
        errors = _check_new_state(new_state, changes, profile_id, new_identity_owner)
        if errors:
            status = 409 if errors[0].code == "taken" else 422
            results[item.index] = WriteResult(item.index, "rejected", id=None if is_new else profile_id, errors=errors, http_status=status)
            continue
        if is_new:
            new_state.update(id=profile_id, version=1, created_at=now, updated_at=now)
            created[profile_id] = new_state
            for kind, column in IDENTITY_COLUMNS.items():
                if new_state[column] is not None and kind != "phone":
                    pending_identity[(kind, new_state[column])] = profile_id
            if item.identity is not None:
                pending_identity[(item.identity.kind, item.identity.value)] = profile_id
            changes_by_profile[profile_id] = [changes]
            results[item.index] = WriteResult(item.index, "created", id=profile_id, version=1, changes=changes, http_status=201)
            continue
        if not changes:
            results[item.index] = WriteResult(item.index, "unchanged", id=profile_id, version=state["version"])
            continue
        new_state["version"] = state["version"] + 1
        new_state["updated_at"] = now
        if profile_id in created:
            created[profile_id] = new_state
        else:
            touched.setdefault(profile_id, state)
            states[profile_id] = new_state
        changes_by_profile.setdefault(profile_id, []).append(changes)
        results[item.index] = WriteResult(item.index, "updated", id=profile_id, version=new_state["version"], changes=changes)

    if not dry_run:
        _write(created, {pid: states[pid] for pid in touched}, touched, changes_by_profile, ctx, registry, now)
    return [results[item.index] for item in items]


def _check_new_state(state: dict, changes: list[dict], profile_id: Any, owners: dict) -> list[FieldError]:
    """Unique identifiers: free in the database and not claimed by an earlier item of the chunk."""
    errors = []
    for change in changes:
        name = change["attribute"]
        if name not in ("email", "customId") or change["new"] is None:
            continue
        column = IDENTITY_COLUMNS[name]
        key = (name, change["new"])
        owner = owners.get(key)
        if owner is None:
            owner = Profile.objects.filter(**{column: change["new"]}).values_list("id", flat=True).first()
        if owner is not None and owner != profile_id:
            errors.append(FieldError(name, "taken", "another profile already has this identifier", change["new"]))
        else:
            owners[key] = profile_id
    return errors


def _companies_for(items: Sequence[WriteItem], states: dict[Any, dict]) -> dict[Any, str]:
    ids = {i.write.company_id for i in items if i.write.company_id not in (UNSET, None)}
    ids |= {s["company_id"] for s in states.values() if s["company_id"] is not None}
    if not ids:
        return {}
    names = dict(Company.objects.filter(id__in=ids).values_list("id", "name"))
    for item in items:
        if item.write.company_id not in (UNSET, None) and item.write.company_id not in names:
            item.errors.append(FieldError("companyId", "not_found", "no company has this id", str(item.write.company_id)))
    return names


def _write(created: dict, updated: dict, before: dict, changes_by_profile: dict, ctx: ChangeContext,
           registry: AttributeRegistry, now: dt.datetime) -> None:
    registry.save_new()
    if created:
        insert_rows(Profile, ROW_COLUMNS, ([state[c] for c in ROW_COLUMNS] for state in created.values()))
    groups: dict[tuple[str, ...], list[list]] = {}
    for profile_id, state in updated.items():
        old = before[profile_id]
        columns = tuple(c for c in STATE_COLUMNS if not _same(old[c], state[c]))
        groups.setdefault(columns, []).append([*(state[c] for c in columns), state["version"], now, profile_id])
    for columns, rows in groups.items():
        update_rows(Profile, (*columns, "version", "updated_at"), "id", rows)
    _write_tags(created, updated, before)
    events = []
    for profile_id, change_lists in changes_by_profile.items():
        for position, changes in enumerate(change_lists):
            is_creation = position == 0 and profile_id in created
            events.append(NewEvent(
                profile_id=profile_id,
                type=event_types.PROFILE_CREATED if is_creation else event_types.PROFILE_UPDATED,
                time=now, source=ctx.source, actor=ctx.actor, params={"changes": changes},
                job_id=ctx.job_id, caused_by_id=ctx.caused_by_id, request_id=ctx.request_id,
            ))
    record_events(events)


def _write_tags(created: dict, updated: dict, before: dict) -> None:
    added: list[tuple[Any, str]] = [(pid, t) for pid, state in created.items() for t in state["tags"]]
    removed: list[tuple[Any, str]] = []
    for profile_id, state in updated.items():
        old = before[profile_id]["tags"]
        added.extend((profile_id, t) for t in state["tags"] - old)
        removed.extend((profile_id, t) for t in old - state["tags"])
    if not added and not removed:
        return
    ids = tag_ids({t for _, t in added} | {t for _, t in removed}, create=bool(added))
    if removed:
        delete_pairs(ProfileTag, "profile_id", "tag_id", ((pid, ids[t]) for pid, t in removed))
    if added:
        insert_rows(ProfileTag, ("profile_id", "tag_id"), ((pid, ids[t]) for pid, t in added))


def tag_ids(names: set[str], *, create: bool) -> dict[str, int]:
    """Ids of the named tags, creating the missing ones."""
    ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = names - ids.keys()
    if missing and create:
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(missing)], ignore_conflicts=True)
        ids.update(Tag.objects.filter(name__in=missing).values_list("name", "id"))
    return ids
