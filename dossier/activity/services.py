"""Writing events: the one place that inserts into the activity list.

Events are inserted set-wise with ids allocated up front, so a bulk write of 10,000 profile
changes is a handful of statements and every event's id is known before commit (workflow
triggers and `causedBy` need it).
"""

import datetime as dt
import operator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from dossier.activity.models import Event
from dossier.activity import event_types, outbox
from dossier.core.bulk import allocate_ids, insert_rows, json_text


@dataclass
class NewEvent:
    profile_id: Any
    type: str
    time: dt.datetime
    source: str
    actor: str
    params: dict = field(default_factory=dict)
    job_id: Any = None
    caused_by_id: int | None = None
    request_id: str = ""
    id: int | None = None


EVENT_COLUMNS = ("id", "profile_id", "type", "time", "source", "actor", "job_id", "caused_by_id", "request_id", "params")
_EVENT_VALUES = operator.attrgetter(*EVENT_COLUMNS)


def _event_row(event: NewEvent) -> tuple:
    row = _EVENT_VALUES(event)
    if event.type in event_types.CHANGE_EVENT_TYPES:  # built by the change service: plain JSON types
        return (*row[:-1], json_text(row[-1]))
    return row


def record_events(events: list[NewEvent]) -> list[NewEvent]:
    """Insert events in the caller's transaction; fill in their ids; hand them to the outbox."""
    if not events:
        return events
    ids = allocate_ids(Event, len(events))
    for event, event_id in zip(events, ids):
        event.id = event_id
    insert_rows(Event, EVENT_COLUMNS, map(_event_row, events))
    outbox.hand_over(events)
    return events


def vendor() -> str:
    return connection.vendor
