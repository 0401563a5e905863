"""Use cases on profiles, one `do_*` function each; all writes go through `changes.apply_writes`."""

import datetime as dt
import uuid
from typing import Any, Mapping, Sequence

from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.activity.services import NewEvent, record_events
from dossier.core.jsonvalues import check_json
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, Identity, WriteItem, WriteResult, apply_writes, load_states
from dossier.profiles.errors import FieldError, InvalidValue, ProfileWriteRejected
from dossier.profiles.fields import AGREEMENT_CHANNELS, normalize_custom_id, normalize_email, normalize_phone
from dossier.profiles.models import Company, MergedProfile, Profile
from dossier.profiles.writes import UNSET, ProfileWrite, parse_profile_json

IDENTITY_NORMALIZERS = {"email": normalize_email, "customId": normalize_custom_id, "phone": normalize_phone}
MAX_EVENT_PARAMS_BYTES = 64 * 1024
MAX_MERGED = 100  # profiles one merge request may name to merge into another


def parse_identity(kind: str, raw: Any) -> Identity:
    if kind == "id":
        try:
            return Identity("id", uuid.UUID(str(raw)))
        except ValueError:
            raise InvalidValue("invalid_id", "must be a profile id (UUID)") from None
    value = IDENTITY_NORMALIZERS[kind](raw)
    if value is None:
        raise InvalidValue("required", "must not be empty")
    return Identity(kind, value)


def identity_of(data: Mapping[str, Any]) -> tuple[Identity | None, list[FieldError]]:
    """The profile a JSON item names: id, email, customId or, only when none of those, phone."""
    for kind in ("id", "email", "customId", "phone"):
        raw = data.get(kind)
        if raw is None or raw == "":
            continue
        try:
            return parse_identity(kind, raw), []
        except InvalidValue as exc:
            return None, [FieldError(kind, exc.code, exc.message, raw)]
    return None, []


def _single(item: WriteItem, ctx: ChangeContext, registry: AttributeRegistry) -> WriteResult:
    result = apply_writes([item], ctx, registry=registry)[0]
    if result.status in ("rejected", "skipped"):
        raise ProfileWriteRejected(result.errors, status=result.http_status)
    return result


def do_create_profile(data: Mapping[str, Any], ctx: ChangeContext) -> WriteResult:
    registry = AttributeRegistry.load()
    write, errors = parse_profile_json({k: v for k, v in data.items() if k != "id"}, registry)
    if errors:
        raise ProfileWriteRejected(errors)
    return _single(WriteItem(0, None, write, create=True), ctx, registry)


def do_update_profile(profile_id: Any, data: Mapping[str, Any], ctx: ChangeContext,
                      expected_version: int | None = None) -> WriteResult:
    registry = AttributeRegistry.load()
    write, errors = parse_profile_json(data, registry)
    if errors:
        raise ProfileWriteRejected(errors)
    return do_apply_write(profile_id, write, ctx, registry=registry, expected_version=expected_version)


def do_apply_write(profile_id: Any, write: ProfileWrite, ctx: ChangeContext, *, registry: AttributeRegistry,
                   expected_version: int | None = None) -> WriteResult:
    item = WriteItem(0, Identity("id", profile_id), write, create=False, expected_version=expected_version)
    return _single(item, ctx, registry)


def do_upsert_profiles(items: Sequence[Any], ctx: ChangeContext) -> list[WriteResult]:
    """Batch add or update (SPEC §4): per-item results in input order; a bad item blocks nothing."""
    registry = AttributeRegistry.load()
    write_items = []
    seen: dict[tuple[str, Any], int] = {}
    for index, data in enumerate(items):
        if not isinstance(data, dict):
            error = FieldError("", "invalid_type", "each item must be a profile object", data)
            write_items.append(WriteItem(index, None, ProfileWrite(), errors=[error]))
            continue
        identity, errors = identity_of(data)
        body = {k: v for k, v in data.items() if k != "id"}
        write, more = parse_profile_json(body, registry)
        errors += more
        if identity is None and not errors:
            errors.append(FieldError("", "required", "name the profile by id, email, customId or phone", None))
        for key in _identifier_keys(identity, write):
            if key in seen:
                errors.append(FieldError(key[0], "duplicate", f"the same identifier is used by item {seen[key]} of this batch", key[1]))
            else:
                seen[key] = index
        write_items.append(WriteItem(index, identity, write, errors=errors))
    return apply_writes(write_items, ctx, registry=registry)


def _identifier_keys(identity: Identity | None, write: ProfileWrite) -> set[tuple[str, Any]]:
    keys = set()
    if identity is not None:
        keys.add((identity.kind, identity.value))
    if write.columns.get("email"):
        keys.add(("email", write.columns["email"]))
    if write.columns.get("custom_id"):
        keys.add(("customId", write.columns["custom_id"]))
    return keys


def do_delete_profile(profile_id: Any, ctx: ChangeContext) -> bool:
    """Erase a profile and its activity list (the right to be forgotten)."""
    return do_delete_profiles([profile_id], ctx) == 1


def do_delete_profiles(profile_ids: Sequence[Any], ctx: ChangeContext) -> int:
    """Erase profiles and their activity lists set-wise; returns how many profiles were erased.

    Each erased profile leaves one `profile.deleted` event, which names it by id and holds
    nothing else of it: webhooks and the change feed tell other systems to forget it too."""
    with transaction.atomic():
        erased = list(Profile.objects.filter(id__in=profile_ids).select_for_update().values_list("id", flat=True))
        if not erased:
            return 0
        Event.objects.filter(profile_id__in=erased).delete()
        Profile.objects.filter(id__in=erased).delete()
        now = timezone.now()
        record_events([NewEvent(profile_id=None, type=event_types.PROFILE_DELETED, time=now, source=ctx.source,
                                actor=ctx.actor, params={"profileId": str(profile_id)}, job_id=ctx.job_id,
                                caused_by_id=ctx.caused_by_id, request_id=ctx.request_id) for profile_id in erased])
    return len(erased)


def do_merge_profiles(source_ids: Sequence[Any], target_id: Any, ctx: ChangeContext) -> WriteResult:
    """Merge profiles into one, all or nothing: the same person known twice.

    The target keeps every value it has; what it lacks (an empty field, an attribute it does not
    have, a company) it takes from the sources, the first source given first, and it gets all
    their tags. Its agreements stay as they are: a merge never grants a consent. The sources'
    activity lists move to the target; then the sources are erased, each leaving a
    `profile.deleted` event naming the profile it went into (`mergedInto`), and their ids and
    clientIds keep naming the target (`MergedProfile`). What the target takes is one
    `profile.updated` event through the change path, so identifiers stay unique and validated.
    """
    sources = list(dict.fromkeys(source_ids))
    if not sources:
        raise ProfileWriteRejected([FieldError("from", "required", "name at least one profile to merge", None)])
    if target_id in sources:
        raise ProfileWriteRejected([FieldError("from", "same_profile", "a profile cannot be merged into itself",
                                               str(target_id))], status=409)
    with transaction.atomic():
        states = load_states([target_id, *sources])
        missing = [str(pid) for pid in (target_id, *sources) if pid not in states]
        if missing:
            raise ProfileWriteRejected([FieldError("", "not_found", f"no profile has id {pid}", pid) for pid in missing],
                                       status=404)
        write = _taken_from(states[target_id], [states[pid] for pid in sources])
        numbers = dict(Profile.objects.filter(id__in=sources).values_list("id", "client_id"))
        Event.objects.filter(profile_id__in=sources).update(profile_id=target_id)
        MergedProfile.objects.filter(profile_id__in=sources).update(profile_id=target_id)
        now = timezone.now()
        MergedProfile.objects.bulk_create([MergedProfile(id=pid, client_id=numbers[pid], profile_id=target_id,
                                                         merged_at=now) for pid in sources])
        Profile.objects.filter(id__in=sources).delete()
        record_events([NewEvent(profile_id=None, type=event_types.PROFILE_DELETED, time=now, source=ctx.source,
                                actor=ctx.actor, params={"profileId": str(pid), "mergedInto": str(target_id)},
                                job_id=ctx.job_id, caused_by_id=ctx.caused_by_id, request_id=ctx.request_id)
                       for pid in sources])
        return do_apply_write(target_id, write, ctx, registry=AttributeRegistry.load())


_KEPT_ON_MERGE = frozenset({"id", "tags", "attributes", "company_id", *AGREEMENT_CHANNELS.values()})


def _taken_from(target: dict, sources: list[dict]) -> ProfileWrite:
    """What the target lacks and the sources have, the first source that has it first."""
    write = ProfileWrite(add_tags=set().union(*(source["tags"] for source in sources)) - target["tags"])
    for source in sources:
        for column, value in source.items():
            if column not in _KEPT_ON_MERGE and value is not None and target.get(column) is None:
                write.columns.setdefault(column, value)
        for name, value in (source["attributes"] or {}).items():
            if name not in (target["attributes"] or {}):
                write.attributes.setdefault(name, value)
        if target["company_id"] is None and source["company_id"] is not None and write.company_id is UNSET:
            write.company_id = source["company_id"]
    return write


def do_add_event(profile_id: Any, type_: Any, params: Any, time: dt.datetime | None, ctx: ChangeContext) -> NewEvent:
    errors = check_event(type_, params)
    if errors:
        raise ProfileWriteRejected(errors)
    with transaction.atomic():
        if not Profile.objects.filter(id=profile_id).exists():
            raise Profile.DoesNotExist
        event = NewEvent(profile_id=profile_id, type=type_, time=time or timezone.now(), source=ctx.source,
                         actor=ctx.actor, params=params or {}, caused_by_id=ctx.caused_by_id, request_id=ctx.request_id)
        record_events([event])
    return event


def check_event(type_: Any, params: Any) -> list[FieldError]:
    """Rules of a hand-added or tracked event: a custom type name, params an object of bounded size."""
    import json

    errors = []
    if not isinstance(type_, str) or not event_types.EVENT_TYPE_PATTERN.match(type_):
        errors.append(FieldError("type", "invalid_type_name", "an event type is 2-64 letters, digits, '.', '_' or '-'", type_))
    elif type_ in event_types.RESERVED_EVENT_TYPES:
        errors.append(FieldError("type", "reserved", f"{type_} events are written by Dossier itself (so are "
                                 f"{', '.join(t for t in event_types.RESERVED_EVENT_TYPES if t != type_)})", type_))
    if params is not None and not isinstance(params, dict):
        errors.append(FieldError("params", "invalid_type", "params must be an object", params))
    elif params:
        problems = check_json(params, "params")
        if problems:
            errors += problems
        elif len(json.dumps(params)) > MAX_EVENT_PARAMS_BYTES:
            errors.append(FieldError("params", "too_large", f"params must be at most {MAX_EVENT_PARAMS_BYTES} bytes as JSON", None))
    return errors


def do_delete_company(company: Company, ctx: ChangeContext) -> None:
    """Unassign every profile through the change path, then delete the company."""
    registry = AttributeRegistry.load()
    profile_ids = list(Profile.objects.filter(company=company).values_list("id", flat=True))
    with transaction.atomic():
        for start in range(0, len(profile_ids), 1000):
            chunk = profile_ids[start:start + 1000]
            apply_writes([WriteItem(i, Identity("id", pid), ProfileWrite(company_id=None), create=False)
                          for i, pid in enumerate(chunk)], ctx, registry=registry)
        company.delete()
