"""Tracking events of profiles named by an identifier: one or a batch, each checked on its own."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from dossier.activity.services import NewEvent, record_events
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.models import Profile
from dossier.profiles.services import check_event, identity_of


def parse_time(raw: Any) -> dt.datetime | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            # in UTC: PostgreSQL keeps offsets up to 15:59 only, Python's go to 23:59
            return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
        except (ValueError, OverflowError):
            pass
    raise InvalidValue("invalid_datetime", "time must be an ISO 8601 date and time")


def tracked_event(data: Any, ctx) -> tuple[NewEvent | None, list[FieldError], Any]:
    if not isinstance(data, dict):
        return None, [FieldError("", "invalid_type", "an event is an object", data)], None
    profile = data.get("profile")
    if not isinstance(profile, dict):
        return None, [FieldError("profile", "required", "name the profile: {id} or {email} or {customId}", profile)], None
    identity, errors = identity_of({k: v for k, v in profile.items() if k in ("id", "email", "customId")})
    if identity is None and not errors:
        errors = [FieldError("profile", "required", "name the profile: {id} or {email} or {customId}", profile)]
    errors += check_event(data.get("type"), data.get("params"))
    try:
        time = parse_time(data.get("time"))
    except InvalidValue as exc:
        errors.append(FieldError("time", exc.code, exc.message, data.get("time")))
        time = None
    if errors:
        return None, errors, None
    event = NewEvent(profile_id=None, type=data["type"], time=time or timezone.now(), source=ctx.source,
                     actor=ctx.actor, params=data.get("params") or {}, request_id=ctx.request_id)
    return event, [], identity


def track(items: list, ctx) -> list[dict]:
    """Record tracked events; an event naming an unknown profile is rejected, the others go on."""
    prepared = [tracked_event(item, ctx) for item in items]
    by_kind: dict[str, set] = {}
    for event, errors, identity in prepared:
        if event is not None:
            by_kind.setdefault(identity.kind, set()).add(identity.value)
    columns = {"id": "id", "email": "email", "customId": "custom_id"}
    owners = {}
    for kind, values in by_kind.items():
        for value, pid in Profile.objects.filter(**{f"{columns[kind]}__in": values}).values_list(columns[kind], "id"):
            owners[(kind, value)] = pid
    results, events = [], []
    for index, (event, errors, identity) in enumerate(prepared):
        if event is not None:
            event.profile_id = owners.get((identity.kind, identity.value))
            if event.profile_id is None:
                errors = [FieldError(f"profile.{identity.kind}", "not_found", "no profile matches", str(identity.value))]
            else:
                events.append(event)
        results.append({"index": index, "status": "rejected" if errors else "accepted", "errors": [e.as_dict() for e in errors], "_event": event if not errors else None})
    with transaction.atomic():
        record_events(events)
    for result in results:
        event = result.pop("_event")
        result["id"] = event.id if event else None
    return results
