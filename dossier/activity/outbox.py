"""The outbox: how recorded events leave Dossier, without the writers knowing who reads them.

Every event row carries `tx`, the id of the transaction that wrote it (PostgreSQL's
`pg_current_xact_id()`; 0 on SQLite, whose writers commit one at a time in id order). A reader
takes events in (tx, id) order, and only those below the *horizon*: the oldest transaction of
this database still running. Everything below it has committed or never will, so a cursor that has passed an event
never sees another appear behind it, however writers interleave their commits. That one rule
serves every consumer: the change feed (`GET /api/v1/events?after=`), webhook delivery, and any
consumer added later, each with its own cursor (`ConsumerCursor`).

Consumers register at start (`register`, from their app's `ready()`): `mark` runs in the writing
transaction with the events just recorded (the workflow dispatcher queues its triggers there; a
cursor-based consumer only asks to be woken after commit). A process that dies right after a
commit loses only the wake-up: each consumer's periodic duty reads from its cursor and finds the
events. `activity` imports no consumer, and adding one touches no writer.
"""

import base64
import binascii
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from django.db import connection
from django.db.models import Q

from dossier.activity.models import ConsumerCursor, Event


@dataclass(frozen=True)
class Consumer:
    name: str
    mark: Callable[[Sequence], None]  # called in the writing transaction with the recorded events


_consumers: dict[str, Consumer] = {}


def register(consumer: Consumer) -> None:
    _consumers[consumer.name] = consumer


def hand_over(events: Sequence) -> None:
    """Called by `record_events` in the writing transaction: each consumer marks what it needs."""
    for consumer in _consumers.values():
        consumer.mark(events)


@dataclass(frozen=True, order=True)
class Position:
    """A place in the event stream: after the event `event_id` written by transaction `tx`."""

    tx: int = 0
    event_id: int = 0

    def token(self) -> str:
        return base64.urlsafe_b64encode(f"{self.tx}.{self.event_id}".encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> "Position":
        """The position a token names; ValueError for anything that is not one."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            tx, event_id = (int(part) for part in text.split("."))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise ValueError("not a cursor this feed returned") from None
        if tx < 0 or event_id < 0:
            raise ValueError("not a cursor this feed returned")
        return cls(tx, event_id)


# The oldest transaction of this database still running (an event it writes will commit with
# its id), or, with none running, the first id not yet given out. Only this database's
# transactions can write events, so transactions of other databases on the server (another
# application, a test run) do not hold the stream back. A transaction that ends between the two
# looks here is taken as ended: the events read after this statement, by a later snapshot, see
# what it committed.
_HORIZON_SQL = """
SELECT COALESCE(
    (SELECT min(running::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS running
     WHERE running::text::bigint % 4294967296 IN (
         SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE datname = current_database() AND backend_xid IS NOT NULL)),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
"""


def horizon() -> int | None:
    """Events of transactions below this id are all committed or never will be; None on SQLite,
    where writers commit one at a time, so an event not yet visible will have a higher id than
    any visible one."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(_HORIZON_SQL)
        return cursor.fetchone()[0]


def end_of_stream(below: int | None = None) -> Position:
    """The position of the last event a reader may see now (below the horizon `below`)."""
    query = Event.objects.all() if below is None else Event.objects.filter(tx__lt=below)
    last = query.order_by("-tx", "-id").values_list("tx", "id").first()
    return Position(*last) if last else Position()


def events_after(position: Position, *, types: Iterable[str] = (), limit: int = 100) -> tuple[list[Event], Position]:
    """Up to `limit` events after `position` in stream order, and where the next read starts.

    The end of what may be read is fixed first, and only events up to it are read: when fewer than
    `limit` of them match `types`, the next read starts after that end, so events of other types
    are not scanned again on every poll. (Taking the end first is what makes that safe on SQLite
    too, where there is no horizon: an event committed meanwhile lies beyond the end.)
    """
    end = end_of_stream(horizon())
    if end <= position:
        return [], position
    query = Event.objects.filter(Q(tx__gt=position.tx) | Q(tx=position.tx, id__gt=position.event_id))
    query = query.filter(Q(tx__lt=end.tx) | Q(tx=end.tx, id__lte=end.event_id))
    types = list(types)
    if types:
        query = query.filter(type__in=types)
    events = list(query.order_by("tx", "id")[:limit])
    if len(events) < limit:
        return events, end
    return events, Position(events[-1].tx, events[-1].id)


def cursor_of(name: str, *, lock: bool = False) -> ConsumerCursor:
    """The named consumer's cursor (created at the start of the stream); `lock` holds it for the
    rest of the transaction, so two processes of one consumer never read the same events."""
    ConsumerCursor.objects.get_or_create(name=name)
    query = ConsumerCursor.objects.filter(name=name)
    return (query.select_for_update() if lock else query).get()
