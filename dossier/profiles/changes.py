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
import json
import operator
import os
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.services import NewEvent, record_events
from dossier.core.bulk import (db_values, delete_pairs, execute_in, fetch_in, field_of, insert_rows, json_text,
                                python_values, row_lock_clause, select_rows, update_rows)
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.consents import record_agreement_changes
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_COLUMN, normalize_phone
from dossier.profiles.models import Company, Profile, ProfileTag, Tag, company_name_key
from dossier.profiles.writes import UNSET, ProfileWrite

STATE_COLUMNS = tuple(FIELDS_BY_COLUMN) + tuple(AGREEMENT_CHANNELS.values()) + ("company_id", "attributes")
ROW_COLUMNS = ("id", *STATE_COLUMNS, "version", "created_at", "updated_at")
_ROW_VALUES = operator.itemgetter(*ROW_COLUMNS)
_ATTRIBUTES_AT = ROW_COLUMNS.index("attributes")
CHANNEL_BY_COLUMN = {column: channel for channel, column in AGREEMENT_CHANNELS.items()}
NAME_BY_COLUMN = {column: spec.name for column, spec in FIELDS_BY_COLUMN.items()}
IDENTITY_COLUMNS = {"email": "email", "customId": "custom_id", "phone": "phone"}
UNIQUE_COLUMNS = {"email": "email", "customId": "custom_id"}

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
    # Overrides the call's context for this item's event: a workflow engine applies the runs of
    # many triggering events in one call, each with its own actor and causedBy.
    context: ChangeContext | None = None
    # An import's `invalidValues: skipValue`: a value found invalid here is left out of the write
    # and listed in `warnings` (with those its door left out already) instead of rejecting the item.
    skip_invalid_values: bool = False
    warnings: list[FieldError] = field(default_factory=list)


@dataclass
class WriteResult:
    index: int
    status: str  # created, updated, unchanged, skipped, rejected
    id: Any = None
    version: int | None = None
    changes: list[dict] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    http_status: int = 200
    warnings: list[FieldError] = field(default_factory=list)  # values left out of an applied write

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "status": self.status,
            "id": str(self.id) if self.id else None,
            "version": self.version,
            "errors": [e.as_dict() for e in self.errors],
        }


_EMPTY_COLUMNS = {column: None for column in STATE_COLUMNS} | {column: False for column in AGREEMENT_CHANNELS.values()}


def new_profile_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits.

    Ids that grow with time land at the end of every index keyed by profile id (the profile's
    own, its events', its tags'), where a random UUID would land anywhere: at a million
    profiles that is the difference between appending to a warm page and reading a cold one
    for every row a bulk import writes. The creation time it reveals is public as createdAt.
    """
    random = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 for rand_a, 62 for rand_b
    rand_a, rand_b = (random >> 62) & 0xFFF, random & ((1 << 62) - 1)
    return uuid.UUID(int=((time.time_ns() // 1_000_000) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b)


def empty_state() -> dict[str, Any]:
    return {**_EMPTY_COLUMNS, "attributes": {}, "tags": set()}


def json_value(column_or_path: str, value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


_JSON_NATIVE = frozenset({str, int, float, bool, type(None)})


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a boolean attribute turning into an integer is a change.
    return type(a) is type(b) and a == b


# --- diffing ---------------------------------------------------------------------------------

def diff_write(state: dict, write: ProfileWrite, *, is_new: bool, policies: dict[str, str],
               companies: dict[Any, str]) -> tuple[dict, list[dict]]:
    """Apply `write` to a copy of `state`; return the new state and the changes, in field order."""
    new = dict(state)
    if write.attributes:
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
        old = state[column]
        if type(old) is type(value) and old == value:
            continue
        name = NAME_BY_COLUMN[column]
        if policies and not allowed(name, old):
            continue
        new[column] = value
        changes.append({
            "attribute": name,
            "old": old if type(old) in _JSON_NATIVE else json_value(column, old),
            "new": value if type(value) in _JSON_NATIVE else json_value(column, value),
        })

    if "anonymous_type" not in write.columns and new["anonymous_type"] != "recognized":
        became_known = ((state["email"] is None and new["email"] is not None)
                        or (state["custom_id"] is None and new["custom_id"] is not None))
        if is_new and new["anonymous_type"] is None:
            new["anonymous_type"] = "recognized" if became_known else "anonymous"
        elif became_known:
            new["anonymous_type"] = "recognized"
        if new["anonymous_type"] != state["anonymous_type"]:
            changes.append({"attribute": "anonymousType", "old": state["anonymous_type"], "new": new["anonymous_type"]})

    checked = bool(policies) and not is_new  # otherwise every path is allowed
    for name, value in write.attributes.items():
        path = f"attributes.{name}"
        current = state["attributes"].get(name)
        if checked and not allowed(path, current):
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

_TAGS_OF_PROFILES = (f"SELECT l.profile_id, t.name FROM {ProfileTag._meta.db_table} l"
                     f" JOIN {Tag._meta.db_table} t ON t.id = l.tag_id WHERE l.profile_id IN ({{}})")


def load_states(profile_ids: Iterable[Any], *, lock: bool = True, columns: Sequence[str] = ROW_COLUMNS,
                with_tags: bool = True) -> dict[Any, dict]:
    """Current state of the given profiles (tags included), rows locked for this transaction.

    A writer that knows which columns its writes read may ask for only those (`id` first) and
    skip the tags: converting the values nobody reads is most of the cost of reading a row.
    """
    ids = list(profile_ids)
    if not ids:
        return {}
    states = {}
    for row in select_rows(Profile, columns, "id", ids, lock=lock):
        row["tags"] = set()
        states[row["id"]] = row
    if not with_tags:
        return states
    links = fetch_in(_TAGS_OF_PROFILES, db_values(ProfileTag, "profile_id", states))
    if links:
        profile_ids, names = zip(*links)
        for profile_id, name in zip(python_values(ProfileTag, "profile_id", profile_ids), names):
            states[profile_id]["tags"].add(name)
    return states


def _resolve(items: Sequence[WriteItem]) -> tuple[dict[int, Any], dict[tuple[str, Any], Any]]:
    """Map item index -> profile id for items whose identity (other than an id) names a stored profile.

    Also returns who holds each unique identifier (email, customId) that the items name or set,
    so checking that a new value is free costs no query per item: one query per identifier kind
    answers both questions.
    """
    by_kind: dict[str, set] = {}
    for item in items:
        if item.errors:
            continue
        if item.identity is not None:
            by_kind.setdefault(item.identity.kind, set()).add(item.identity.value)
        columns = item.write.columns
        for kind, column in UNIQUE_COLUMNS.items():
            value = columns.get(column)
            if value is not None:
                by_kind.setdefault(kind, set()).add(value)
    owners: dict[tuple[str, Any], Any] = {}
    ambiguous: set = set()
    for kind, values in by_kind.items():
        if kind == "id":  # resolved against the states `load_states` reads by id anyway
            continue
        column = IDENTITY_COLUMNS[kind]
        for row in select_rows(Profile, (column, "id"), column, values):
            value = row[column]
            if kind == "phone" and ("phone", value) in owners:
                ambiguous.add(value)
            owners[(kind, value)] = row["id"]
    resolved = {}
    for item in items:
        if item.identity is None or item.errors or item.identity.kind == "id":
            continue
        key = (item.identity.kind, item.identity.value)
        if item.identity.kind == "phone" and item.identity.value in ambiguous:
            item.errors.append(FieldError("phone", "ambiguous", "more than one profile has this phone number; name the profile by id, email or customId", item.identity.value))
        elif key in owners:
            resolved[item.index] = owners[key]
    return resolved, owners


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
    resolved, stored_owners = _resolve(items)
    by_id = [item for item in items if item.identity is not None and item.identity.kind == "id" and not item.errors]
    columns, with_tags = _columns_read(items)
    states = load_states({*resolved.values(), *(item.identity.value for item in by_id)}, columns=columns,
                         with_tags=with_tags)
    for item in by_id:
        if item.identity.value in states:
            resolved[item.index] = item.identity.value
    _settle_national_phones(items, resolved, states)
    companies = _companies_for(items, states)
    results: dict[int, WriteResult] = {}
    created: dict[Any, dict] = {}  # profile id -> state, for profiles this chunk creates
    touched: dict[Any, dict] = {}  # profile id -> state before the chunk, for updated profiles
    changes_by_profile: dict[Any, list[tuple[list[dict], ChangeContext]]] = {}
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
            profile_id = new_profile_id()
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
        errors = _check_new_state(changes, profile_id, new_identity_owner, stored_owners)
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
            changes_by_profile[profile_id] = [(changes, item.context or ctx)]
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
        changes_by_profile.setdefault(profile_id, []).append((changes, item.context or ctx))
        results[item.index] = WriteResult(item.index, "updated", id=profile_id, version=new_state["version"], changes=changes)

    if not dry_run:
        _write(created, {pid: states[pid] for pid in touched}, touched, changes_by_profile, registry, now,
               agreements=any(item.write.agreements for item in items))
    ordered = [results[item.index] for item in items]
    for item, result in zip(items, ordered):
        result.warnings = item.warnings
    return ordered


def _settle_national_phones(items: Sequence[WriteItem], resolved: dict[int, Any], states: dict[Any, dict]) -> None:
    """Read again, in the country its profile has stored, each phone written without a country in a
    write that names none (`NationalPhone`); a new profile, or one without a country, keeps the
    reading in the write's fallback region."""
    for item in items:
        national = item.write.national_phone
        if national is None or item.errors:
            continue
        state = states.get(resolved.get(item.index))
        region = (state.get("country_code") if state else None) or national.region
        try:
            if region == national.region:
                if national.problem is not None:
                    raise national.problem
                continue
            phone = normalize_phone(national.text, region)
        except InvalidValue as exc:
            error = FieldError("phone", exc.code, exc.message, national.text)
            columns = {c: v for c, v in item.write.columns.items() if c != "phone"}
            item.write = replace(item.write, columns=columns, national_phone=None)
            (item.warnings if item.skip_invalid_values else item.errors).append(error)
            continue
        # writes may be shared by several items (one write for many profiles): never change one in place
        item.write = replace(item.write, columns={**item.write.columns, "phone": phone}, national_phone=None)


_ALWAYS_READ = ("id", "version", "email", "custom_id", "anonymous_type")  # identity, and what derives anonymousType


def _columns_read(items: Sequence[WriteItem]) -> tuple[tuple[str, ...], bool]:
    """The columns `diff_write` and `_write` read for these items' writes, and whether the tags."""
    columns = dict.fromkeys(_ALWAYS_READ)
    with_tags = False
    for item in items:
        write = item.write
        columns.update(dict.fromkeys(write.columns))
        if write.attributes:
            columns["attributes"] = None
        for channel in write.agreements:
            columns[AGREEMENT_CHANNELS[channel]] = None
        if write.company_id is not UNSET or write.company_name is not UNSET:
            columns["company_id"] = None
        if write.national_phone is not None:
            columns["country_code"] = columns["phone"] = None
        with_tags = with_tags or write.tags is not None or bool(write.add_tags or write.remove_tags)
    return tuple(columns), with_tags


def _check_new_state(changes: list[dict], profile_id: Any, owners: dict, stored_owners: dict) -> list[FieldError]:
    """Unique identifiers: free in the database and not claimed by an earlier item of the chunk."""
    errors = []
    for change in changes:
        name = change["attribute"]
        if name not in UNIQUE_COLUMNS or change["new"] is None:
            continue
        key = (name, change["new"])
        owner = owners.get(key)
        if owner is None:
            owner = stored_owners.get(key)
        if owner is not None and owner != profile_id:
            errors.append(FieldError(name, "taken", "another profile already has this identifier", change["new"]))
        else:
            owners[key] = profile_id
    return errors


def _companies_for(items: Sequence[WriteItem], states: dict[Any, dict]) -> dict[Any, str]:
    _resolve_company_names(items)
    ids = {i.write.company_id for i in items if i.write.company_id not in (UNSET, None)}
    ids |= {s["company_id"] for s in states.values() if s.get("company_id") is not None}
    if not ids:
        return {}
    names = dict(Company.objects.filter(id__in=ids).values_list("id", "name"))
    for item in items:
        if item.write.company_id not in (UNSET, None) and item.write.company_id not in names:
            item.errors.append(FieldError("companyId", "not_found", "no company has this id", str(item.write.company_id)))
    return names


def _resolve_company_names(items: Sequence[WriteItem]) -> None:
    """Give each write that names its company by name that company's id: the oldest company of
    that name, case and spacing aside, or a new one under the first spelling met."""
    named = [item for item in items if item.write.company_name is not UNSET and not item.errors]
    if not named:
        return
    spellings: dict[str, str] = {}
    for item in named:
        spellings.setdefault(company_name_key(item.write.company_name), item.write.company_name)
    found: dict[str, Any] = {}
    for key, company_id in Company.objects.filter(name_key__in=spellings).order_by("created_at", "id").values_list("name_key", "id"):
        found.setdefault(key, company_id)
    missing = [Company(name=name, name_key=key) for key, name in spellings.items() if key not in found]
    if missing:
        Company.objects.bulk_create(missing)
        found.update((company.name_key, company.id) for company in missing)
    for item in named:  # writes may be shared by several items: replaced, never changed in place
        item.write = replace(item.write, company_id=found[company_name_key(item.write.company_name)], company_name=UNSET)


def _insert_row(state: dict) -> tuple:
    row = _ROW_VALUES(state)
    return (*row[:_ATTRIBUTES_AT], json_text(row[_ATTRIBUTES_AT]), *row[_ATTRIBUTES_AT + 1:])


def _write(created: dict, updated: dict, before: dict, changes_by_profile: dict, registry: AttributeRegistry,
           now: dt.datetime, *, agreements: bool) -> None:
    """Write the chunk's new and changed profiles, their tags and events; with `agreements` (some
    write names one), their consent records too."""
    registry.save_new()
    if created:
        insert_rows(Profile, ROW_COLUMNS, map(_insert_row, created.values()))
    groups: dict[tuple[str, ...], list[list]] = {}
    for profile_id, state in updated.items():
        old = before[profile_id]
        # diff_write copies the state, so an untouched column still holds the very same object
        columns = tuple(c for c in STATE_COLUMNS if c in old and old[c] is not state[c] and not _same(old[c], state[c]))
        values = [json_text(state[c]) if c == "attributes" else state[c] for c in columns]
        groups.setdefault(columns, []).append([*values, state["version"], now, profile_id])
    for columns, rows in groups.items():
        update_rows(Profile, (*columns, "version", "updated_at"), "id", rows)
    _write_tags(created, updated, before)
    events = []
    for profile_id, change_lists in changes_by_profile.items():
        for position, (changes, item_ctx) in enumerate(change_lists):
            is_creation = position == 0 and profile_id in created
            events.append(NewEvent(
                profile_id=profile_id,
                type=event_types.PROFILE_CREATED if is_creation else event_types.PROFILE_UPDATED,
                time=now, source=item_ctx.source, actor=item_ctx.actor, params={"changes": changes},
                job_id=item_ctx.job_id, caused_by_id=item_ctx.caused_by_id, request_id=item_ctx.request_id,
            ))
    record_events(events)
    if agreements:
        record_agreement_changes(((pid, changes, item_ctx) for pid, change_lists in changes_by_profile.items()
                                  for changes, item_ctx in change_lists), now)


def _write_tags(created: dict, updated: dict, before: dict) -> None:
    added: list[tuple[Any, str]] = [(pid, t) for pid, state in created.items() for t in state["tags"]]
    removed: list[tuple[Any, str]] = []
    for profile_id, state in updated.items():
        old = before[profile_id]["tags"]
        if state["tags"] is old:  # diff_write shares the set when the tags did not change
            continue
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


# --- one write for many profiles -----------------------------------------------------------

def apply_write_to_each(profile_ids: Sequence[Any], write: ProfileWrite, ctx: ChangeContext, *,
                        registry: AttributeRegistry, dry_run: bool = False) -> list[WriteResult]:
    """Apply the same `write` to each of the profiles (batch edit); one result per id, in order.

    The same rules and the same diff as `apply_writes`, but since every profile receives the same
    values, only what the diff needs is read (the written columns, the written attributes' current
    values, membership of the named tags) and the profiles that change are written with one UPDATE
    per chunk instead of a row each. A write that sets a unique identifier, replaces the whole tag
    set, names its company by name or holds a phone without its country takes the general path:
    its outcome depends on more than these values.
    """
    if (write.tags is not None or write.national_phone is not None or write.company_name is not UNSET
            or any(column in write.columns for column in UNIQUE_COLUMNS.values())):
        items = [WriteItem(index, Identity("id", pid), write, create=False) for index, pid in enumerate(profile_ids)]
        return apply_writes(items, ctx, registry=registry, dry_run=dry_run)
    with transaction.atomic():
        results = _apply_to_each(profile_ids, write, ctx, registry, dry_run)
        if dry_run:
            transaction.set_rollback(True)
        return results


def _apply_to_each(profile_ids: Sequence[Any], write: ProfileWrite, ctx: ChangeContext,
                   registry: AttributeRegistry, dry_run: bool) -> list[WriteResult]:
    now = timezone.now()
    states = _load_partial_states(profile_ids, write)
    companies: dict[Any, str] = {}
    if write.company_id is not UNSET:
        probe = WriteItem(0, None, write)
        companies = _companies_for([probe], states)
        if probe.errors:  # the company is gone: no profile can take it
            return [WriteResult(index, "rejected", errors=probe.errors, http_status=422) for index in range(len(profile_ids))]
    results: list[WriteResult] = []
    changed: dict[Any, list[dict]] = {}
    new_states: dict[Any, dict] = {}
    for index, profile_id in enumerate(profile_ids):
        state = states.get(profile_id)
        if state is None:
            error = FieldError("id", "not_found", "no profile matches this identifier", profile_id)
            results.append(WriteResult(index, "skipped", errors=[error], http_status=404))
            continue
        new, changes = diff_write(state, write, is_new=False, policies={}, companies=companies)
        if changes:
            changed[profile_id] = changes
            new_states[profile_id] = new
            results.append(WriteResult(index, "updated", id=profile_id, version=state["version"] + 1, changes=changes))
        else:
            results.append(WriteResult(index, "unchanged", id=profile_id, version=state["version"]))
    if changed and not dry_run:
        registry.save_new()
        _update_each(list(changed), write, now)
        if write.add_tags or write.remove_tags:
            _write_tags({}, new_states, states)
        record_events([
            NewEvent(profile_id=pid, type=event_types.PROFILE_UPDATED, time=now, source=ctx.source, actor=ctx.actor,
                     params={"changes": changes}, job_id=ctx.job_id, caused_by_id=ctx.caused_by_id,
                     request_id=ctx.request_id)
            for pid, changes in changed.items()
        ])
        if write.agreements:
            record_agreement_changes(((pid, changes, ctx) for pid, changes in changed.items()), now)
    return results


def _load_partial_states(profile_ids: Sequence[Any], write: ProfileWrite) -> dict[Any, dict]:
    """Per profile, the stored values `diff_write` reads for this write, rows locked; `tags` holds
    only those of the tags the write adds or removes that the profile has."""
    columns = ["version", "email", "custom_id", "anonymous_type", *write.columns]
    columns += [AGREEMENT_CHANNELS[channel] for channel in write.agreements]
    if write.company_id is not UNSET:
        columns.append("company_id")
    columns = list(dict.fromkeys(columns))
    names = list(write.attributes)
    selected = [connection.ops.quote_name(field_of(Profile, c).column) for c in columns]
    # `->` gives an attribute's JSON text (SQLite) or jsonb (PostgreSQL, read as text by Django)
    selected += ["attributes -> %s"] * len(names)
    paths = names if connection.vendor == "postgresql" else [f'$."{name}"' for name in names]
    keys = db_values(Profile, "id", profile_ids)
    key_of = dict(zip(keys, profile_ids))
    sql = (f"SELECT id, {', '.join(selected)} FROM {Profile._meta.db_table} WHERE id IN ({{}})"
           f" ORDER BY id{row_lock_clause()}")  # locked in id order, as load_states does: no deadlock
    rows = fetch_in(sql, keys, before=paths)
    by_column = [python_values(Profile, c, [row[i] for row in rows]) for i, c in enumerate(columns, start=1)]
    states: dict[Any, dict] = {}
    first_attribute = 1 + len(columns)
    for position, row in enumerate(rows):
        state = {c: values[position] for c, values in zip(columns, by_column)}
        state["attributes"] = {name: _json_value(row[first_attribute + offset]) for offset, name in enumerate(names)
                               if row[first_attribute + offset] is not None}
        state["tags"] = set()
        states[key_of[row[0]]] = state
    tag_names = sorted(write.add_tags | write.remove_tags)
    if tag_names and states:
        sql = (f"SELECT l.profile_id, t.name FROM {ProfileTag._meta.db_table} l JOIN {Tag._meta.db_table} t"
               f" ON t.id = l.tag_id WHERE t.name IN ({', '.join(['%s'] * len(tag_names))}) AND l.profile_id IN ({{}})")
        for key, name in fetch_in(sql, keys, before=tag_names):
            states[key_of[key]]["tags"].add(name)
    return states


def _json_value(text: Any) -> Any:
    # The standard library, not orjson: orjson reads an integer past 64 bits as a float, which
    # would make an unchanged value look changed.
    return json.loads(text)


def _update_each(profile_ids: list[Any], write: ProfileWrite, now: dt.datetime) -> None:
    """One UPDATE per chunk: the write's values (the same for every profile), version + 1."""
    quote = connection.ops.quote_name
    sets, params = [], []
    values = {**write.columns, **{AGREEMENT_CHANNELS[c]: v for c, v in write.agreements.items()}}
    if write.company_id is not UNSET:
        values["company_id"] = write.company_id
    for column, value in values.items():
        sets.append(f"{quote(field_of(Profile, column).column)} = %s")
        params.append(db_values(Profile, column, [value])[0])
    if write.attributes:
        cleared = [name for name, value in write.attributes.items() if value is None]
        assigned = {name: value for name, value in write.attributes.items() if value is not None}
        if connection.vendor == "postgresql":
            sets.append("attributes = (attributes - %s::text[]) || %s::jsonb")
            params += [cleared, json_text(assigned)]
        else:
            expression = "attributes"
            if cleared:
                expression = f"json_remove({expression}, {', '.join(['%s'] * len(cleared))})"
                params += [f'$."{name}"' for name in cleared]
            if assigned:
                expression = f"json_set({expression}, {', '.join(['%s, json(%s)'] * len(assigned))})"
                for name, value in assigned.items():
                    params += [f'$."{name}"', json_text(value)]
            sets.append(f"attributes = {expression}")
    sets += ["version = version + 1", "updated_at = %s"]
    params.append(db_values(Profile, "updated_at", [now])[0])
    sql = f"UPDATE {Profile._meta.db_table} SET {', '.join(sets)} WHERE id IN ({{}})"
    execute_in(sql, db_values(Profile, "id", profile_ids), before=params)
