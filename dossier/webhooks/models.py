"""Webhook subscriptions, the signed messages sent to them, and the log of every attempt."""

import uuid

from django.db import models


class Subscription(models.Model):
    """Where to send which events. Disabled by hand, or by Dossier after a day of failures."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.CharField(max_length=2048)
    description = models.CharField(max_length=255, blank=True, default="")
    event_types = models.JSONField(default=list)  # names, or ["*"] for every event
    changed = models.JSONField(default=list)  # profile.created/updated: only when one of these changed
    secret = models.CharField(max_length=100)  # whsec_<base64 key>, the Standard Webhooks form
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True, default="")
    failing_since = models.DateTimeField(null=True)  # the first failure since the last success
    delivering_until = models.DateTimeField(null=True)  # a deliverer's lease: one at a time keeps the order
    # The end of the event stream when it was created: it gets the events after, not the history.
    start_tx = models.BigIntegerField(default=0)
    start_event_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]


class Message(models.Model):
    """One signed POST of up to 100 events, sent again as it is (same webhook-id, same events)
    until the receiver answers 2xx: at least once, in order per subscription."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="messages", db_index=False)
    event_ids = models.JSONField(default=list)
    test = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["subscription", "status", "id"])]


class Attempt(models.Model):
    """One try at sending a message: the delivery log."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="log", db_index=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+", db_index=False)
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True)
    latency_ms = models.PositiveIntegerField(null=True)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["subscription", "-id"]), models.Index(fields=["message", "number"])]
