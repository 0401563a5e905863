"""Rebuild a profile from its change events and compare it with what is stored (`dossier verify`).

Besides the end state, the change chain itself is checked: in event order, each change's `old`
must be the value the previous changes left (the previous `new` of that attribute, or the empty
value before the first), a tag may only be added when absent and removed when present, the first
change event must be `profile.created` and the only one, and the stored version must equal the
number of change events (version 1 is the creation, each update adds one). A break means a change
was written against a state that was not the latest — a lost update — or that an event was lost,
doubled or altered.
"""

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Iterator

import orjson
from django.db import connection

from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.core.bulk import db_values
from dossier.profiles.changes import STATE_COLUMNS, empty_state, load_states
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME
from dossier.profiles.models import Profile

SHOWN_VALUE_LENGTH = 80
FETCH_ROWS = 2000


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


# --- the change chain ------------------------------------------------------------------------

def _same_json(a: Any, b: Any) -> bool:
    """Equal as JSON documents: `True` is not 1, and 1 is not 1.0 (the change service makes the
    same distinction: a boolean attribute turning into an integer is a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    return a == b


def _current_json(state: dict, name: str) -> Any:
    """What the previous changes left in `name`, as a change's `old` would show it."""
    if name.startswith("attributes."):
        return state["attributes"].get(name[len("attributes."):])
    if name.startswith("agreements."):
        return state[AGREEMENT_CHANNELS[name[len("agreements."):]]]
    value = state[FIELDS_BY_NAME[name].column]
    return value.isoformat() if isinstance(value, dt.date) else value


def _shown(value: Any) -> str:
    text = repr(sorted(value)) if isinstance(value, set) else repr(value)
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[:SHOWN_VALUE_LENGTH - 1] + "…"


def chain_problem(state: dict, change: dict) -> str | None:
    """Why `change` does not follow on from `state` (the profile rebuilt up to it), or None."""
    name = change["attribute"]
    if name == "tags":
        present = set(change["added"]) & state["tags"]
        absent = set(change["removed"]) - state["tags"]
        if present:
            return f"tags: adds {_shown(present)}, which the profile already had"
        if absent:
            return f"tags: removes {_shown(absent)}, which the profile did not have"
        return None
    if name == "company":
        old_id = change["old"]["id"] if change["old"] else None
        current = str(state["company_id"]) if state["company_id"] is not None else None
        if old_id != current:  # the name is the company's name at the time: only the id chains
            return f"company: old {_shown(old_id)} is not the previous new {_shown(current)}"
        return None
    current = _current_json(state, name)
    if not _same_json(change["old"], current):
        return f"{name}: old {_shown(change['old'])} is not the previous new {_shown(current)}"
    return None


@dataclass
class ChainReplay:
    """A profile rebuilt from its change events one at a time, noting every break in the chain."""

    state: dict = field(default_factory=empty_state)
    events: int = 0
    breaks: list[str] = field(default_factory=list)

    def add(self, event_id: int, event_type: str, changes: list[dict]) -> None:
        self.events += 1
        if self.events == 1 and event_type != event_types.PROFILE_CREATED:
            self.breaks.append(f"event {event_id}: the first change event is {event_type}, not profile.created")
        elif self.events > 1 and event_type == event_types.PROFILE_CREATED:
            self.breaks.append(f"event {event_id}: profile.created again, as change event {self.events}")
        for change in changes:
            problem = chain_problem(self.state, change)
            if problem:
                self.breaks.append(f"event {event_id}: {problem}")
            apply_change(self.state, change)

    def version_break(self, stored_version: int) -> str | None:
        if stored_version == self.events:
            return None
        return f"version {stored_version}, but {self.events} change event(s)"


# --- verify ----------------------------------------------------------------------------------

@dataclass
class ProfileCheck:
    """What `dossier verify` found wrong with one profile."""

    profile_id: Any
    differences: list[str]  # stored fields the events do not rebuild
    breaks: list[str]  # where the change chain does not follow on


def verify_profiles(batch_size: int = 2000) -> Iterator[ProfileCheck]:
    """Check every profile against its change events; yield those with a difference or a break.

    Profiles are taken `batch_size` at a time in id order; each batch's change events come as one
    stream ordered by profile, then event id, and each profile is folded as its events pass, so
    memory holds one batch of stored states whatever the number of profiles or events.
    """
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
        replays: dict[Any, ChainReplay] = {}
        for profile_id, profile_events in groupby(change_events(ids), key=lambda row: row[0]):
            chain = replays[profile_id] = ChainReplay()
            for _, event_id, event_type, params in profile_events:
                chain.add(event_id, event_type, params.get("changes", []))
        for profile_id in ids:
            if profile_id not in stored:  # erased since the batch was listed
                continue
            chain = replays.get(profile_id) or ChainReplay()
            breaks = list(chain.breaks)
            version_break = chain.version_break(stored[profile_id]["version"])
            if version_break:
                breaks.append(version_break)
            diff = differences(stored[profile_id], chain.state)
            if diff or breaks:
                yield ProfileCheck(profile_id, diff, breaks)


def change_events(profile_ids: list[Any]) -> Iterator[tuple[Any, int, str, dict]]:
    """(profile id, event id, type, params) of the profiles' change events, ordered by profile,
    then event id, read FETCH_ROWS rows at a time.

    A plain cursor rather than the ORM: profile keys are mapped back once per profile and params
    decoded by orjson, where Django's per-value converters (a UUID and a json.loads for every
    row) would be most of verify's time.
    """
    keys = db_values(Profile, "id", profile_ids)
    id_of_key = dict(zip(keys, profile_ids))
    placeholders = ", ".join(["%s"] * len(keys))
    sql = (f"SELECT profile_id, id, type, params FROM {connection.ops.quote_name(Event._meta.db_table)}"
           f" WHERE type IN (%s, %s) AND profile_id IN ({placeholders}) ORDER BY profile_id, id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*event_types.CHANGE_EVENT_TYPES, *keys])
        while rows := cursor.fetchmany(FETCH_ROWS):
            for key, event_id, event_type, params in rows:
                yield id_of_key[key], event_id, event_type, _json_document(params)


def _json_document(value: Any) -> Any:
    """orjson reads what the change path writes exactly: numbers are capped at 64 bits on the way
    in (past them orjson would read an integer as a float). What it refuses and the standard
    reader takes, a lone surrogate escape for one, goes to the standard reader."""
    if not isinstance(value, (str, bytes)):  # a driver that decodes JSON itself
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return json.loads(value)
