"""REST endpoints of webhooks: subscriptions, their delivery log, a test message, redelivery.

Admins only (scope `admin`): a subscription sends every profile's data to an address of its
creator's choosing.
"""

import uuid

from django.http import HttpRequest, HttpResponse
from ninja import Router

from dossier.core.api import ApiError, json_response, newest_first_page, read_json, require
from dossier.webhooks import openapi
from dossier.webhooks.models import Attempt, Message, Subscription
from dossier.webhooks.serializers import message_counts, message_json, subscription_json
from dossier.webhooks.services import (
    SubscriptionRejected,
    do_create_subscription,
    do_redeliver,
    do_rotate_secret,
    do_send_test,
    do_update_subscription,
)

router = Router(tags=["webhooks"])
SCOPE = "admin"
MAX_MESSAGES_PAGE = 100


def _subscription(subscription_id: str) -> Subscription:
    try:
        pk = uuid.UUID(subscription_id)
    except ValueError:
        pk = None
    found = Subscription.objects.filter(id=pk).first() if pk else None
    if found is None:
        raise ApiError(404, "not_found", "no webhook subscription has this id")
    return found


def _rejected(exc: SubscriptionRejected) -> ApiError:
    return ApiError(422, "validation_failed", "the subscription is not valid", exc.errors)


@router.get("/webhooks", summary="List webhook subscriptions", openapi_extra=openapi.LIST)
def list_subscriptions(request: HttpRequest):
    require(request, SCOPE)
    subscriptions = list(Subscription.objects.all())
    counts = message_counts(subscriptions)
    return json_response({"items": [subscription_json(s, counts=counts[s.id]) for s in subscriptions]})


@router.post("/webhooks", summary="Subscribe a URL to events", response={201: None}, openapi_extra=openapi.CREATE)
def create_subscription(request: HttpRequest):
    principal = require(request, SCOPE)
    try:
        subscription = do_create_subscription(read_json(request), principal.actor)
    except SubscriptionRejected as exc:
        raise _rejected(exc) from None
    return json_response(subscription_json(subscription, secret=True), status=201)


@router.get("/webhooks/{subscription_id}", summary="Read a subscription, with its signing secret",
            openapi_extra=openapi.READ)
def get_subscription(request: HttpRequest, subscription_id: str):
    require(request, SCOPE)
    return json_response(subscription_json(_subscription(subscription_id), secret=True))


@router.patch("/webhooks/{subscription_id}", summary="Change a subscription; enabling resumes held messages",
              openapi_extra=openapi.UPDATE)
def update_subscription(request: HttpRequest, subscription_id: str):
    require(request, SCOPE)
    subscription = _subscription(subscription_id)
    try:
        subscription = do_update_subscription(subscription, read_json(request))
    except SubscriptionRejected as exc:
        raise _rejected(exc) from None
    return json_response(subscription_json(subscription, secret=True))


@router.delete("/webhooks/{subscription_id}", summary="Delete a subscription and its delivery log",
               response={204: None}, openapi_extra=openapi.DELETE)
def delete_subscription(request: HttpRequest, subscription_id: str):
    require(request, SCOPE)
    _subscription(subscription_id).delete()
    return HttpResponse(status=204)


@router.post("/webhooks/{subscription_id}/rotate-secret", summary="Replace the signing secret",
             openapi_extra=openapi.READ_NO_BODY)
def rotate_secret(request: HttpRequest, subscription_id: str):
    require(request, SCOPE)
    return json_response(subscription_json(do_rotate_secret(_subscription(subscription_id)), secret=True))


@router.post("/webhooks/{subscription_id}/test", summary="Send a test message", response={202: None},
             openapi_extra=openapi.SEND_TEST)
def send_test(request: HttpRequest, subscription_id: str):
    require(request, SCOPE)
    message = do_send_test(_subscription(subscription_id))
    return json_response(message_json(message, []), status=202)


@router.get("/webhooks/{subscription_id}/messages", summary="The delivery log: messages newest first, with every attempt",
            openapi_extra=openapi.MESSAGES)
def list_messages(request: HttpRequest, subscription_id: str):
    require(request, SCOPE)
    subscription = _subscription(subscription_id)
    query = Message.objects.filter(subscription=subscription)
    status = request.GET.get("status")
    if status:
        if status not in Message.Status.values:
            raise ApiError(422, "invalid_filter", f"status is one of {', '.join(Message.Status.values)}")
        query = query.filter(status=status)
    messages, next_cursor = newest_first_page(request, query, maximum=MAX_MESSAGES_PAGE)
    attempts: dict[int, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(message__in=messages).order_by("number"):
        attempts.setdefault(attempt.message_id, []).append(attempt)
    return json_response({"items": [message_json(m, attempts.get(m.id, [])) for m in messages], "nextCursor": next_cursor})


@router.post("/webhooks/{subscription_id}/messages/{message_id}/redeliver", summary="Send a message again",
             response={202: None}, openapi_extra=openapi.REDELIVER)
def redeliver(request: HttpRequest, subscription_id: str, message_id: str):
    require(request, SCOPE)
    subscription = _subscription(subscription_id)
    number = message_id.removeprefix("msg_")
    message = Message.objects.filter(subscription=subscription, id=int(number)).first() if number.isdigit() else None
    if message is None:
        raise ApiError(404, "not_found", "this subscription has no message with this id")
    message = do_redeliver(message)
    return json_response(message_json(message, list(message.log.order_by("number"))), status=202)
