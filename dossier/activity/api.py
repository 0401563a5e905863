"""REST endpoints for the activity list and event tracking."""

from django.http import HttpRequest
from ninja import Router

from dossier.activity import event_types, openapi, outbox
from dossier.activity.models import Event
from dossier.activity.serializers import event_json
from dossier.activity.tracking import parse_time, track
from dossier.core.api import ApiError, idempotent, json_response, newest_first_page, page_limit, read_json, require
from dossier.profiles.api import _profile_id, change_context
from dossier.profiles.errors import FieldError, InvalidValue, ProfileWriteRejected
from dossier.profiles.models import Profile
from dossier.profiles.services import do_add_event

router = Router(tags=["events"])
MAX_EVENTS_BATCH = 1000
MAX_EVENTS_PAGE = 200
MAX_FEED_PAGE = 1000


@router.get("/profiles/{profile_id}/events", summary="A profile's activity list, newest first", openapi_extra=openapi.LIST_EVENTS)
def list_events(request: HttpRequest, profile_id: str):
    require(request, "profiles:read")
    pid = _profile_id(profile_id)
    if not Profile.objects.filter(id=pid).exists():
        raise ApiError(404, "not_found", "no profile has this id")
    query = Event.objects.filter(profile_id=pid)
    event_type = request.GET.get("type")
    if event_type:
        # a text no event type can have matches nothing (and a NUL never reaches PostgreSQL)
        query = query.filter(type=event_type) if event_types.EVENT_TYPE_PATTERN.match(event_type) else query.none()
    events, next_cursor = newest_first_page(request, query, maximum=MAX_EVENTS_PAGE)
    return json_response({"items": [event_json(e) for e in events], "nextCursor": next_cursor})


@router.post("/profiles/{profile_id}/events", summary="Add an event to a profile by hand", response={201: None},
             openapi_extra=openapi.ADD_EVENT)
@idempotent
def add_event(request: HttpRequest, profile_id: str):
    principal = require(request, "events:write")
    pid = _profile_id(profile_id)
    data = read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "send {type, params, time?}")
    try:
        time = parse_time(data.get("time"))
    except InvalidValue as exc:
        raise ProfileWriteRejected([FieldError("time", exc.code, exc.message, data.get("time"))]) from None
    try:
        event = do_add_event(pid, data.get("type"), data.get("params"), time, change_context(request, principal))
    except Profile.DoesNotExist:
        raise ApiError(404, "not_found", "no profile has this id") from None
    return json_response(event_json(Event.objects.get(id=event.id)), status=201)


@router.get("/events", summary="The change feed: events of every profile, in commit order", openapi_extra=openapi.FEED)
def change_feed(request: HttpRequest):
    """Poll with `after` set to the last `nextCursor`: every event is returned exactly once, also
    when writers commit out of id order (dossier.activity.outbox)."""
    require(request, "profiles:read")
    limit = page_limit(request, default=100, maximum=MAX_FEED_PAGE)
    raw = request.GET.get("after") or ""
    try:
        position = outbox.Position.parse(raw) if raw else outbox.Position()
    except ValueError:
        message = "after is the nextCursor of a previous call"
        raise ApiError(422, "invalid_filter", message, [FieldError("after", "invalid_cursor", message, raw)]) from None
    types = [t.strip() for t in request.GET.get("types", "").split(",") if t.strip()]
    refused = [t for t in types if not event_types.EVENT_TYPE_PATTERN.match(t)]
    if refused:
        message = "types is a comma-separated list of event types"
        raise ApiError(422, "invalid_filter", message, [FieldError("types", "invalid_type_name", message, refused[0])])
    events, after = outbox.events_after(position, types=types, limit=limit + 1)
    more = len(events) > limit
    if more:
        events = events[:limit]
        after = outbox.Position(events[-1].tx, events[-1].id)
    return json_response({"items": [event_json(e) for e in events], "nextCursor": after.token(), "hasMore": more})


@router.post("/events", summary="Track an event of a profile", response={201: None}, openapi_extra=openapi.TRACK_EVENT)
@idempotent
def track_event(request: HttpRequest):
    principal = require(request, "events:write")
    result = track([read_json(request)], change_context(request, principal))[0]
    if result["status"] == "rejected":
        status = 404 if result["errors"][0]["code"] == "not_found" else 422
        code = "not_found" if status == 404 else "validation_failed"
        raise ApiError(status, code, "; ".join(f"{e['field']}: {e['message']}" for e in result["errors"]),
                       [FieldError(**e) for e in result["errors"]])
    return json_response(event_json(Event.objects.get(id=result["id"])), status=201)


@router.post("/events/batch", summary="Track up to 1000 events", openapi_extra=openapi.TRACK_EVENTS)
@idempotent
def track_events(request: HttpRequest):
    principal = require(request, "events:write")
    data = read_json(request)
    if not isinstance(data, list):
        raise ApiError(422, "validation_failed", "the body must be a JSON array of events")
    if len(data) > MAX_EVENTS_BATCH:
        raise ApiError(422, "batch_too_large", f"a batch holds at most {MAX_EVENTS_BATCH} events, this one {len(data)}")
    return json_response({"results": track(data, change_context(request, principal))})


