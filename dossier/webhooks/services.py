"""Webhook subscriptions: validate and save them, send a test, redeliver a message."""

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types, outbox
from dossier.core.tasks import enqueue_once_on_commit
from dossier.core.weburls import is_http_url
from dossier.profiles.attributes import check_attribute_name
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME
from dossier.webhooks.models import Message, Subscription
from dossier.webhooks.sending import new_secret
from dossier.webhooks.tasks import deliver_webhooks

KEYS = ("url", "eventTypes", "changed", "description", "enabled")
MAX_EVENT_TYPES = 50
CHANGE_NAMES = ("tags", "company")


@dataclass
class SubscriptionRejected(Exception):
    errors: list[FieldError]


def _literal_private_host(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None if host != "localhost" else host
    return host if not ip.is_global else None


def _changed_name(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    if name in FIELDS_BY_NAME or name in CHANGE_NAMES:
        return True
    if name.startswith("agreements."):
        return name[len("agreements."):] in AGREEMENT_CHANNELS
    if name.startswith("attributes."):
        try:
            check_attribute_name(name[len("attributes."):])
        except InvalidValue:
            return False
        return True
    return False


def clean(data: Any, current: Subscription | None = None) -> dict:
    """The subscription's columns from an API body (a whole one, or a PATCH's keys)."""
    if not isinstance(data, dict):
        raise SubscriptionRejected([FieldError("", "invalid_type", "send a JSON object {url, eventTypes, ...}", None)])
    errors = [FieldError(key, "unknown_field", f"unknown field; the fields are {', '.join(KEYS)}", key)
              for key in data if key not in KEYS]
    values: dict[str, Any] = {}
    if "url" in data or current is None:
        url = data.get("url")
        if not is_http_url(url, path_allowed=True):
            errors.append(FieldError("url", "invalid_url", "must be an absolute http(s) URL with a host name", url))
        elif not settings.WEBHOOKS_ALLOW_PRIVATE and _literal_private_host(url):
            errors.append(FieldError("url", "private_address", "must be a public address (private, loopback and "
                                     "link-local ones need DOSSIER_WEBHOOKS_ALLOW_PRIVATE=1)", url))
        else:
            values["url"] = url
    if "eventTypes" in data or current is None:
        types = data.get("eventTypes")
        if not isinstance(types, list) or not 1 <= len(types) <= MAX_EVENT_TYPES:
            errors.append(FieldError("eventTypes", "invalid_type", f"a list of 1-{MAX_EVENT_TYPES} event types, or [\"*\"]", types))
        else:
            bad = [t for t in types if t != "*" and not (isinstance(t, str) and event_types.EVENT_TYPE_PATTERN.match(t))]
            for t in bad:
                errors.append(FieldError("eventTypes", "invalid_type_name", "an event type is 2-64 letters, digits, "
                                         "'.', '_' or '-', or \"*\" for every event", t))
            if not bad:
                values["event_types"] = sorted(set(types))
    if "changed" in data:
        changed = data["changed"]
        if changed is None:
            changed = []
        if not isinstance(changed, list) or len(changed) > 100:
            errors.append(FieldError("changed", "invalid_type", "a list of profile field paths (email, "
                                     "attributes.plan, agreements.sms, tags)", changed))
        else:
            for index, name in enumerate(changed):
                if not _changed_name(name):
                    errors.append(FieldError(f"changed[{index}]", "unknown_field", "not a profile field path", name))
            values["changed"] = changed
    if "description" in data:
        description = data["description"] or ""
        if not isinstance(description, str) or len(description) > 255:
            errors.append(FieldError("description", "invalid_type", "text of at most 255 characters", description))
        else:
            values["description"] = description
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            errors.append(FieldError("enabled", "invalid_boolean", "must be true or false", data["enabled"]))
        else:
            values["enabled"] = data["enabled"]
    if errors:
        raise SubscriptionRejected(errors)
    return values


def do_create_subscription(data: Any, actor: str) -> Subscription:
    values = clean(data)
    start = outbox.end_of_stream(outbox.horizon())
    return Subscription.objects.create(secret=new_secret(), created_by=actor, start_tx=start.tx,
                                       start_event_id=start.event_id, **values)


def do_update_subscription(subscription: Subscription, data: Any) -> Subscription:
    """Apply a PATCH. Enabling a disabled subscription clears its failure record and resumes its
    held messages, oldest first."""
    values = clean(data, subscription)
    resumed = values.get("enabled") is True and not subscription.enabled
    if resumed:
        values.update(failing_since=None, disabled_reason="")
    elif values.get("enabled") is False and subscription.enabled:
        values["disabled_reason"] = "disabled by hand"
    with transaction.atomic():
        for key, value in values.items():
            setattr(subscription, key, value)
        subscription.save()
        if resumed:
            Message.objects.filter(subscription=subscription, status=Message.Status.PENDING).update(next_attempt_at=timezone.now())
            enqueue_once_on_commit(deliver_webhooks, str(subscription.id))
    return subscription


def do_rotate_secret(subscription: Subscription) -> Subscription:
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


def do_send_test(subscription: Subscription) -> Message:
    """Queue a test message behind the subscription's pending ones."""
    with transaction.atomic():
        message = Message.objects.create(subscription=subscription, test=True, next_attempt_at=timezone.now())
        enqueue_once_on_commit(deliver_webhooks, str(subscription.id))
    return message


def do_redeliver(message: Message) -> Message:
    """Send a message again (same webhook-id, same events), now or once those before it are sent."""
    with transaction.atomic():
        message.status, message.next_attempt_at = Message.Status.PENDING, timezone.now()
        message.save(update_fields=["status", "next_attempt_at"])
        enqueue_once_on_commit(deliver_webhooks, str(message.subscription_id))
    return message
