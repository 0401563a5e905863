"""Rebuild a profile from its change events and compare it with what is stored (`dossier verify`)."""

import datetime as dt
import uuid
from typing import Any, Iterator

from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.profiles.changes import STATE_COLUMNS, empty_state, load_states
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME
from dossier.profiles.models import Profile


def replay(changes_lists: list[list[dict]]) -> dict[str, Any]:
    state = empty_state()
    for changes in changes_lists:
        for change in changes:
            apply_change(state, change)
    return state


def apply_change(state: dict, change: dict) -> None:
    name = change["attribute"]
    if name == "tags":
        state["tags"] = (state["tags"] | set(change["added"])) - set(change["removed"])
    elif name == "company":
        state["company_id"] = uuid.UUID(change["new"]["id"]) if change["new"] else None
    elif name.startswith("attributes."):
        key = name[len("attributes."):]
        if change["new"] is None:
            state["attributes"].pop(key, None)
        else:
            state["attributes"][key] = change["new"]
    elif name.startswith("agreements."):
        state[AGREEMENT_CHANNELS[name[len("agreements."):]]] = change["new"]
    else:
        spec = FIELDS_BY_NAME[name]
        value = change["new"]
        if spec.column == "birth_date" and value is not None:
            value = dt.date.fromisoformat(value)
        state[spec.column] = value


def differences(stored: dict, rebuilt: dict) -> list[str]:
    keys = (*STATE_COLUMNS, "tags")
    return [k for k in keys if stored.get(k) != rebuilt.get(k)]


def verify_profiles(batch_size: int = 500) -> Iterator[tuple[Any, list[str]]]:
    """Yield (profile id, differing fields) for every profile whose events do not rebuild it."""
    last = None
    while True:
        query = Profile.objects.order_by("id").values_list("id", flat=True)
        if last is not None:
            query = query.filter(id__gt=last)
        ids = list(query[:batch_size])
        if not ids:
            return
        last = ids[-1]
        stored = load_states(ids, lock=False)
        changes: dict[Any, list] = {pid: [] for pid in ids}
        events = (Event.objects.filter(profile_id__in=ids, type__in=event_types.CHANGE_EVENT_TYPES)
                  .order_by("id").values_list("profile_id", "params"))
        for profile_id, params in events:
            changes[profile_id].append(params.get("changes", []))
        for profile_id in ids:
            diff = differences(stored[profile_id], replay(changes[profile_id]))
            if diff:
                yield profile_id, diff
