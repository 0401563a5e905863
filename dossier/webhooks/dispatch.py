"""Webhook delivery: from the outbox to messages, from messages to the receivers.

Two steps, each a task the worker runs after the writing transaction commits:
- `dispatch` reads the event stream from the webhooks consumer's cursor and, in one transaction
  with moving that cursor, turns the events each enabled subscription wants into messages of up
  to 100 events: every event becomes part of exactly one message per subscription.
- `deliver` sends one subscription's pending messages, oldest first, one at a time (a lease on the
  subscription keeps a second deliverer out), so each receiver gets events in the order they were
  recorded. A failure is retried with exponential backoff and jitter; after
  WEBHOOK_DISABLE_AFTER_HOURS of failures without a success the subscription is disabled, its
  messages kept for when it is enabled again.
A worker killed mid-send leaves its message pending: it is sent again once the lease lapses, with
the same webhook-id, which is what lets a receiver drop the repeat (at least once).
The `sweep` duty restarts both steps when a wake-up was lost (a process that died after a commit).
"""

import datetime as dt
import random

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from dossier.activity import event_types, outbox
from dossier.activity.models import Event
from dossier.activity.serializers import event_json
from dossier.core.tasks import enqueue_once, enqueue_once_on_commit
from dossier.webhooks.models import Attempt, Message, Subscription
from dossier.webhooks.sending import post
from dossier.webhooks.tasks import deliver_webhooks, dispatch_webhooks

CONSUMER = "webhooks"
MESSAGE_EVENTS = 100
READ_EVENTS = 1000
MAX_BACKOFF_SECONDS = 3600


def mark(events) -> None:
    """In the writing transaction: when any subscription is enabled, ask for a dispatch after commit."""
    table = connection.ops.quote_name(Subscription._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE enabled = %s LIMIT 1", [True])
        if cursor.fetchone() is None:
            return
    enqueue_once_on_commit(dispatch_webhooks)


def wants(subscription: Subscription, event: Event) -> bool:
    if outbox.Position(event.tx, event.id) <= outbox.Position(subscription.start_tx, subscription.start_event_id):
        return False
    if "*" not in subscription.event_types and event.type not in subscription.event_types:
        return False
    if subscription.changed and event.type in event_types.CHANGE_EVENT_TYPES:
        changed = {change.get("attribute") for change in event.params.get("changes", []) if isinstance(change, dict)}
        return bool(changed & set(subscription.changed))
    return True


def dispatch() -> int:
    """Turn every event past the cursor into messages; the number of messages made."""
    made = 0
    while True:
        with transaction.atomic():
            cursor = outbox.cursor_of(CONSUMER, lock=True)
            position = outbox.Position(cursor.tx, cursor.event_id)
            subscriptions = list(Subscription.objects.filter(enabled=True))
            if subscriptions:
                events, after = outbox.events_after(position, limit=READ_EVENTS)
            else:  # nobody listens: nothing to read, the cursor goes to the end
                events, after = [], max(position, outbox.end_of_stream(outbox.horizon()))
            if after == position:
                return made
            now = timezone.now()
            messages = []
            for subscription in subscriptions:
                wanted = [event.id for event in events if wants(subscription, event)]
                for start in range(0, len(wanted), MESSAGE_EVENTS):
                    messages.append(Message(subscription=subscription, event_ids=wanted[start:start + MESSAGE_EVENTS],
                                            next_attempt_at=now))
            Message.objects.bulk_create(messages)
            cursor.tx, cursor.event_id = after.tx, after.event_id
            cursor.save(update_fields=["tx", "event_id", "updated_at"])
            for subscription_id in {message.subscription_id for message in messages}:
                enqueue_once_on_commit(deliver_webhooks, str(subscription_id))
            made += len(messages)


def _lease() -> dt.timedelta:
    """How long a deliverer holds a subscription: past one attempt's timeout with room to record
    it; a deliverer that died is replaced once it lapses."""
    return dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3)


def _take_lease(subscription_id) -> bool:
    now = timezone.now()
    return bool(Subscription.objects.filter(Q(delivering_until__isnull=True) | Q(delivering_until__lt=now),
                                            id=subscription_id, enabled=True)
                .update(delivering_until=now + _lease()))


def _release_lease(subscription_id) -> None:
    Subscription.objects.filter(id=subscription_id).update(delivering_until=None)


def payload(message: Message) -> bytes:
    events = Event.objects.filter(id__in=message.event_ids).order_by("tx", "id") if message.event_ids else []
    body = {"type": "webhook.test" if message.test else "events", "timestamp": message.created_at.isoformat(),
            "data": {"events": [event_json(event) for event in events]}}
    if message.test:
        body["data"]["message"] = "A test message from Dossier: this subscription reaches you."
    return orjson.dumps(body)


def backoff_seconds(attempts: int) -> float:
    """After the n-th failed attempt: base * 2^(n-1), at most an hour, give or take a fifth."""
    delay = min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
    return delay * random.uniform(0.8, 1.2)


def deliver(subscription_id) -> int:
    """Send the subscription's due messages in order while they succeed; the number delivered."""
    if not _take_lease(subscription_id):
        return 0
    delivered = 0
    try:
        while True:
            subscription = Subscription.objects.filter(id=subscription_id, enabled=True).first()
            message = (Message.objects.filter(subscription_id=subscription_id, status=Message.Status.PENDING)
                       .order_by("id").first()) if subscription else None
            if message is None:
                return delivered
            if message.next_attempt_at > timezone.now():
                _defer(subscription_id, message.next_attempt_at)
                return delivered
            outcome = post(subscription.url, subscription.secret, f"msg_{message.id}", payload(message))
            _record(subscription, message, outcome)
            if not outcome.delivered:
                _defer(subscription_id, message.next_attempt_at)
                return delivered
            delivered += 1
    finally:
        _release_lease(subscription_id)


def _record(subscription: Subscription, message: Message, outcome) -> None:
    """Log the attempt and its outcome, and renew the deliverer's lease for the next message: one
    write transaction per message sent (on SQLite every write transaction is a turn writers wait for)."""
    now = timezone.now()
    with transaction.atomic():
        message.attempts += 1
        Attempt.objects.create(message=message, subscription=subscription, number=message.attempts, at=now,
                               status_code=outcome.status_code, latency_ms=outcome.latency_ms, error=outcome.error)
        if outcome.delivered:
            message.status, message.delivered_at = Message.Status.DELIVERED, now
            Subscription.objects.filter(id=subscription.id).update(failing_since=None, delivering_until=now + _lease())
        else:
            message.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(message.attempts))
            failing_since = subscription.failing_since or now
            update = {"failing_since": failing_since, "delivering_until": now + _lease()}
            if now - failing_since >= dt.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS):
                update.update(enabled=False, disabled_reason=(
                    f"disabled {now:%Y-%m-%d %H:%M} UTC after {settings.WEBHOOK_DISABLE_AFTER_HOURS:g} hours of failed "
                    f"deliveries; the last: {outcome.error or outcome.status_code}")[:500])
            Subscription.objects.filter(id=subscription.id).update(**update)
        message.save(update_fields=["attempts", "status", "delivered_at", "next_attempt_at"])


def _defer(subscription_id, when: dt.datetime) -> None:
    if deliver_webhooks.get_backend().supports_defer:
        deliver_webhooks.using(run_after=when).enqueue(str(subscription_id))
    # otherwise the sweep starts it once it is due


def sweep() -> None:
    """A worker duty: start the dispatch a lost wake-up left behind, and the delivery of every
    subscription with a message due and no deliverer (one that died lets its lease lapse)."""
    if Subscription.objects.filter(enabled=True).exists():
        cursor = outbox.cursor_of(CONSUMER)
        if outbox.end_of_stream(outbox.horizon()) > outbox.Position(cursor.tx, cursor.event_id):
            enqueue_once(dispatch_webhooks)
    now = timezone.now()
    due = (Message.objects.filter(status=Message.Status.PENDING, subscription__enabled=True)
           .filter(Q(subscription__delivering_until__isnull=True) | Q(subscription__delivering_until__lt=now))
           .values("subscription_id").annotate(first=Min("next_attempt_at")).filter(first__lte=now))
    for row in due:
        enqueue_once(deliver_webhooks, str(row["subscription_id"]))
