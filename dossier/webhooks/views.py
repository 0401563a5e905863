"""Settings → Webhooks (admin only): subscriptions, their state and delivery log, test and redelivery."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from dossier.accounts.views import admin_page
from dossier.webhooks.models import Attempt, Message, Subscription
from dossier.webhooks.services import (
    SubscriptionRejected,
    do_create_subscription,
    do_redeliver,
    do_rotate_secret,
    do_send_test,
    do_update_subscription,
)

LOG_MESSAGES = 50


def _posted(post) -> dict:
    types = [t.strip() for t in post.get("eventTypes", "").replace("\n", ",").split(",") if t.strip()]
    changed = [c.strip() for c in post.get("changed", "").replace("\n", ",").split(",") if c.strip()]
    return {"url": post.get("url", "").strip(), "eventTypes": types, "changed": changed,
            "description": post.get("description", "").strip()}


@admin_page
def webhook_settings(request):
    errors, posted = [], {}
    if request.method == "POST":
        posted = _posted(request.POST)
        try:
            subscription = do_create_subscription(posted, f"user:{request.user.username}")
        except SubscriptionRejected as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Webhook to {subscription.url} created.")
            return redirect("settings-webhook", subscription_id=subscription.id)
    return render(request, "webhooks/settings_webhooks.html", {
        "nav": "settings", "tab": "webhooks", "subscriptions": Subscription.objects.all(), "errors": errors,
        "posted": posted}, status=422 if errors else 200)


def _subscription(subscription_id) -> Subscription:
    try:
        return Subscription.objects.get(id=uuid.UUID(str(subscription_id)))
    except (ValueError, Subscription.DoesNotExist):
        raise Http404("no webhook subscription has this id") from None


@admin_page
def webhook_detail(request, subscription_id):
    subscription = _subscription(subscription_id)
    if request.method == "POST":
        return _act(request, subscription)
    log = list(Message.objects.filter(subscription=subscription).order_by("-id")[:LOG_MESSAGES])
    attempts: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(message__in=log).order_by("number"):
        attempts.setdefault(attempt.message_id, []).append(attempt)
    rows = [{"message": m, "attempts": attempts.get(m.id, []), "last": (attempts.get(m.id) or [None])[-1]} for m in log]
    return render(request, "webhooks/settings_webhook.html", {
        "nav": "settings", "tab": "webhooks", "subscription": subscription, "rows": rows,
        "pending": Message.objects.filter(subscription=subscription, status=Message.Status.PENDING).count()})


def _act(request, subscription: Subscription):
    action = request.POST.get("action")
    if action == "test":
        do_send_test(subscription)
        messages.success(request, "Test message queued: it is sent behind the messages waiting before it.")
    elif action in ("enable", "disable"):
        do_update_subscription(subscription, {"enabled": action == "enable"})
        messages.success(request, "Webhook enabled: held messages are sent again." if action == "enable" else "Webhook disabled.")
    elif action == "rotate":
        do_rotate_secret(subscription)
        messages.success(request, "New signing secret: receivers must use it from now on.")
    elif action == "redeliver":
        number = request.POST.get("message", "")
        message = Message.objects.filter(subscription=subscription, id=int(number)).first() if number.isdigit() else None
        if message is None:
            raise Http404("this webhook has no such message")
        do_redeliver(message)
        messages.success(request, f"Message msg_{message.id} queued again.")
    elif action == "delete":
        subscription.delete()
        messages.success(request, f"Webhook to {subscription.url} deleted.")
        return redirect("settings-webhooks")
    return redirect("settings-webhook", subscription_id=subscription.id)
