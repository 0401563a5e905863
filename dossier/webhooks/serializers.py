"""Webhook subscriptions, messages and attempts as the API shows them."""

from typing import Any

from django.db.models import Count, Q

from dossier.webhooks.models import Attempt, Message, Subscription


def _time(value) -> str | None:
    return value.isoformat() if value else None


def message_counts(subscriptions: list[Subscription]) -> dict[Any, dict[str, int]]:
    """Pending and delivered messages of each subscription, in one query."""
    counts = {s.id: {"pending": 0, "delivered": 0} for s in subscriptions}
    rows = (Message.objects.filter(subscription__in=subscriptions).values("subscription_id")
            .annotate(pending=Count("id", filter=Q(status=Message.Status.PENDING)),
                      delivered=Count("id", filter=Q(status=Message.Status.DELIVERED))))
    for row in rows:
        counts[row["subscription_id"]] = {"pending": row["pending"], "delivered": row["delivered"]}
    return counts


def subscription_json(subscription: Subscription, *, secret: bool = False, counts: dict[str, int] | None = None) -> dict[str, Any]:
    if counts is None:
        counts = message_counts([subscription])[subscription.id]
    body = {
        "id": str(subscription.id), "url": subscription.url, "description": subscription.description,
        "eventTypes": subscription.event_types, "changed": subscription.changed, "enabled": subscription.enabled,
        "disabledReason": subscription.disabled_reason or None, "failingSince": _time(subscription.failing_since),
        "messages": counts, "createdAt": _time(subscription.created_at), "createdBy": subscription.created_by,
    }
    if secret:
        body["secret"] = subscription.secret
    return body


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {"number": attempt.number, "at": _time(attempt.at), "statusCode": attempt.status_code,
            "latencyMs": attempt.latency_ms, "error": attempt.error or None}


def message_json(message: Message, attempts: list[Attempt]) -> dict[str, Any]:
    return {"id": f"msg_{message.id}", "status": message.status, "test": message.test, "eventIds": message.event_ids,
            "attempts": [attempt_json(a) for a in attempts], "nextAttemptAt": _time(message.next_attempt_at)
            if message.status == Message.Status.PENDING else None,
            "createdAt": _time(message.created_at), "deliveredAt": _time(message.delivered_at)}
