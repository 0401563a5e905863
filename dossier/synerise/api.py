"""The Synerise-compatible API under /v4: a client written for Synerise's profile API works with
Dossier by changing its base URL. Same API keys and scopes as /api/v1; every write goes through
the one change path with source `api`; errors in Synerise's envelope."""

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from dossier.activity.tracking import track
from dossier.core.api import ApiError, ApiKeyAuth, SessionPrincipalAuth, read_json, require
from dossier.profiles.api import change_context
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import Identity, WriteItem, apply_writes
from dossier.profiles.errors import FieldError, InvalidValue, ProfileWriteRejected
from dossier.profiles.fields import normalize_boolean
from dossier.profiles.filters import numbered_page, parse_filters
from dossier.profiles.models import MergedProfile, Profile, ProfileTag, Tag
from dossier.profiles.serializers import profile_json, profiles_json
from dossier.profiles.services import MAX_MERGED, do_delete_profile, do_merge_profiles, parse_identity
from dossier.profiles.writes import ProfileWrite
from dossier.synerise.client_ids import client_ids, profile_id_of
from dossier.synerise.translate import client_json, client_write

MAX_BATCH = 1000
PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000
LIST_FILTERS = ("email", "firstName", "lastName", "phone", "anonymous")
FILTER_PARAM = re.compile(r"filters\[(\w+)\]")
IDENTIFIER_TYPES = {"clientId": "clientId", "id": "clientId", "email": "email", "customId": "customId",
                    "custom_identify": "customId", "phone": "phone", "uuid": "id"}
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           409: "Conflict", 413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity",
           429: "Too Many Requests", 500: "Internal Server Error"}

v4 = NinjaAPI(title="Dossier: Synerise-compatible API", version="4", urls_namespace="v4", docs_url="/docs",
              auth=[ApiKeyAuth(), SessionPrincipalAuth()],
              description="Synerise's v4 profile and event endpoints; see docs/moving-from-synerise.md.")


def error_body(request: HttpRequest, status: int, message: str, errors: list[FieldError] = ()) -> dict[str, Any]:
    """Synerise's error: {status, error, message, errors: [{code, field, message, rejectedValue}], path, timestamp}."""
    return {"status": status, "error": REASONS.get(status, "Error"), "message": message,
            "errors": [_error_item(e, status) for e in errors], "path": request.path,
            "timestamp": timezone.now().isoformat()}


def _error_item(error: FieldError, status: int, index: int | None = None) -> dict[str, Any]:
    item = {"code": status, "field": error.field, "message": error.message, "rejectedValue": error.as_dict()["value"],
            "rule": error.code}
    if index is not None:
        item["index"] = index
    return item


def synerise_error(request: HttpRequest, status: int, message: str, errors: list[FieldError] = ()) -> JsonResponse:
    return JsonResponse(error_body(request, status, message, list(errors)), status=status)


@v4.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return synerise_error(request, exc.status if exc.status != 422 else 400, exc.message,
                          [d for d in exc.details if isinstance(d, FieldError)])


@v4.exception_handler(ProfileWriteRejected)
def _rejected(request, exc: ProfileWriteRejected):
    status = exc.status if exc.status in (404, 409) else 400
    return synerise_error(request, status, "; ".join(f"{e.field}: {e.message}" for e in exc.errors), exc.errors)


@v4.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return synerise_error(request, 401, "send Authorization: Bearer <API key>")


@v4.exception_handler(ValidationError)
def _validation(request, exc):
    return synerise_error(request, 400, "the request does not match the expected shape")


@v4.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return synerise_error(request, exc.status_code, str(exc))


def _accepted(body: Any = None, status: int = 202) -> HttpResponse:
    if body is None:
        return HttpResponse(status=status)
    return JsonResponse(body, status=status, safe=False)


def _client(profile_id: Any) -> dict[str, Any]:
    return client_json(profile_json(profile_id), client_ids([profile_id])[profile_id])


def _write_one(request: HttpRequest, body: Any, identity: Identity | None, *, create: bool) -> HttpResponse:
    principal = require(request, "profiles:write")
    registry = AttributeRegistry.load()
    parsed = client_write(body, registry, identify=identity is None)
    identity = identity or parsed.identity
    if parsed.errors:
        raise ProfileWriteRejected(parsed.errors)
    if identity is None:
        raise ProfileWriteRejected([FieldError("", "required", "name the profile by email, customId, phone or uuid", None)])
    item = WriteItem(0, identity, parsed.write, create=create)
    [result] = apply_writes([item], change_context(request, principal), registry=registry)
    if result.status in ("rejected", "skipped"):
        raise ProfileWriteRejected(result.errors, status=result.http_status)
    answer = _client(result.id)
    if parsed.ignored:
        answer["ignored"] = [_error_item(e, 400) for e in parsed.ignored]
    return _accepted(answer)


def _named(kind: str, value: Any) -> Identity:
    """The identity a path names, found or a 404."""
    if kind == "clientId":
        profile_id = profile_id_of(value)
    else:
        try:
            identity = parse_identity(kind, value)
        except InvalidValue:
            identity = None
        column = {"id": "id", "email": "email", "customId": "custom_id", "phone": "phone"}[kind]
        profile_id = (Profile.objects.filter(**{column: identity.value}).values_list("id", flat=True).first()
                      if identity else None)
        if profile_id is None and identity and kind == "id":  # a uuid merged into another profile
            profile_id = MergedProfile.objects.filter(id=identity.value).values_list("profile_id", flat=True).first()
    if profile_id is None:
        raise ApiError(404, "not_found", f"no profile has {kind} {value}")
    return Identity("id", profile_id)


@v4.get("/clients", summary="List profiles: filters[email|firstName|lastName|phone|anonymous], pageIndex "
        "(from 0), pageSize, sortBy, sortOrder")
def list_clients(request: HttpRequest):
    require(request, "profiles:read")
    errors: list[FieldError] = []
    queryset = _filtered(request, errors)
    index, size = _whole_number(request, "pageIndex", 0, errors), _whole_number(request, "pageSize", PAGE_SIZE, errors)
    if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
        errors.append(FieldError("pageSize", "out_of_range", f"from 1 to {MAX_PAGE_SIZE}", request.GET["pageSize"]))
    order = request.GET.get("sortOrder", "desc").lower()
    if order not in ("asc", "desc"):
        errors.append(FieldError("sortOrder", "invalid_choice", "asc or desc", request.GET["sortOrder"]))
    if errors:
        raise ApiError(400, "invalid_filter", "the list's parameters are not valid", errors)
    sort = request.GET.get("sortBy") or "createdAt"
    try:
        rows, _ = numbered_page(queryset, sort=("-" if order == "desc" else "") + sort, number=index + 1, size=size)
    except InvalidValue as exc:
        raise ApiError(400, "invalid_filter", exc.message, [FieldError("sortBy", exc.code, exc.message, sort)]) from None
    numbers = client_ids([row.id for row in rows])
    return _accepted([client_json(profile, numbers[row.id]) for row, profile in zip(rows, profiles_json(rows))], status=200)


def _filtered(request: HttpRequest, errors: list[FieldError]):
    """The profiles Synerise's `filters[...]` parameters select; any other parameter is an error."""
    params, anonymous = {}, None
    for key in request.GET:
        if key in ("pageIndex", "pageSize", "sortBy", "sortOrder"):
            continue
        match = FILTER_PARAM.fullmatch(key)
        name = match.group(1) if match else None
        if name not in LIST_FILTERS:
            errors.append(FieldError(key, "unknown_parameter", f"filter with filters[{']|filters['.join(LIST_FILTERS)}], "
                                     "page with pageIndex and pageSize, sort with sortBy and sortOrder", request.GET[key]))
        elif name == "anonymous":
            try:
                anonymous = normalize_boolean(request.GET[key])
            except InvalidValue as exc:
                errors.append(FieldError(key, exc.code, exc.message, request.GET[key]))
        else:
            params[name] = [request.GET[key]]
    query = parse_filters(params)
    errors += [FieldError(f"filters[{e.field}]", e.code, e.message, e.as_dict()["value"]) for e in query.errors]
    if anonymous is None:
        return query.queryset
    # as the client JSON says it: anonymous unless recognized
    return (query.queryset.exclude if anonymous else query.queryset.filter)(anonymous_type="recognized")


def _whole_number(request: HttpRequest, name: str, default: int, errors: list[FieldError]) -> int | None:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit():
        errors.append(FieldError(name, "invalid_integer", "a whole number from 0", raw))
        return None
    return int(raw)


def _tag_json(tag_id: int, name: str) -> dict[str, Any]:
    """Synerise's tag object. Dossier's tags have no colour: `color` is always null."""
    return {"id": tag_id, "name": name, "color": None}


# The tag paths come before /clients/{client_id} and /clients/{identifier_type}/{identifier_value},
# which would otherwise take them (paths are matched in the order they are declared).
@v4.get("/clients/tags", summary="Every tag that can be given to a profile")
def list_tags(request: HttpRequest):
    require(request, "profiles:read")
    return _accepted([_tag_json(*row) for row in Tag.objects.order_by("name").values_list("id", "name")], status=200)


@v4.get("/clients/{client_id}/tags", summary="The tags of the profile with this clientId")
def client_tags(request: HttpRequest, client_id: str):
    if client_id in IDENTIFIER_TYPES:  # GET /clients/customId/tags: the profile whose customId is "tags"
        return read_by(request, client_id, "tags")
    require(request, "profiles:read")
    profile_id = _named("clientId", client_id).value
    tags = ProfileTag.objects.filter(profile_id=profile_id).order_by("tag__name").values_list("tag_id", "tag__name")
    return _accepted([_tag_json(*row) for row in tags], status=200)


@v4.post("/clients/{client_id}/tags/{tag_id}", summary="Give the profile a tag", response={204: None})
def add_tag(request: HttpRequest, client_id: str, tag_id: str):
    return _write_tag(request, client_id, tag_id, add=True)


@v4.delete("/clients/{client_id}/tags/{tag_id}", summary="Take a tag off the profile", response={204: None})
def remove_tag(request: HttpRequest, client_id: str, tag_id: str):
    return _write_tag(request, client_id, tag_id, add=False)


def _write_tag(request: HttpRequest, client_id: str, tag_id: str, *, add: bool) -> HttpResponse:
    """Through the change path like any write: a `profile.updated` event when the tags change."""
    principal = require(request, "profiles:write")
    identity = _named("clientId", client_id)
    known = tag_id.isascii() and tag_id.isdigit() and len(tag_id) < 19
    name = Tag.objects.filter(id=int(tag_id)).values_list("name", flat=True).first() if known else None
    if name is None:
        raise ApiError(404, "not_found", f"no tag has id {tag_id}; GET /v4/clients/tags lists them")
    write = ProfileWrite(add_tags={name}) if add else ProfileWrite(remove_tags={name})
    [result] = apply_writes([WriteItem(0, identity, write, create=False)], change_context(request, principal),
                            registry=AttributeRegistry.load())
    if result.status in ("rejected", "skipped"):
        raise ProfileWriteRejected(result.errors, status=result.http_status)
    return HttpResponse(status=204)


@v4.post("/clients/batch", summary="Batch add or update profiles (202, or 207 with the rejected items)",
         response={202: None, 207: None})
def batch(request: HttpRequest):
    principal = require(request, "profiles:write")
    data = read_json(request)
    if not isinstance(data, list):
        raise ApiError(400, "validation_failed", "the body must be a JSON array of profiles")
    if len(data) > MAX_BATCH:
        raise ApiError(400, "batch_too_large", f"a batch holds at most {MAX_BATCH} profiles, this one {len(data)}")
    registry = AttributeRegistry.load()
    items, problems, seen = [], [], {}
    for index, body in enumerate(data):
        parsed = client_write(body, registry)
        errors = list(parsed.errors)
        if parsed.identity is None and not errors:
            if parsed.unknown_client_id is not None:
                errors.append(FieldError("clientId", "not_found", "no profile has this clientId; a clientId only "
                                         "updates, so none was created", parsed.unknown_client_id))
            else:
                errors.append(FieldError("", "required", "name the profile by clientId, uuid, email, customId or phone", None))
        if parsed.identity is not None:
            key = (parsed.identity.kind, parsed.identity.value)
            if key in seen:
                errors.append(FieldError(parsed.identity.kind, "duplicate",
                                         f"the same profile is named by item {seen[key]} of this batch", str(key[1])))
            seen.setdefault(key, index)
        problems += [(index, e) for e in parsed.ignored]
        items.append(WriteItem(index, parsed.identity, parsed.write, create=parsed.identity is None
                               or parsed.identity.kind != "id", errors=errors))
    for result in apply_writes(items, change_context(request, principal), registry=registry):
        if result.status in ("rejected", "skipped"):
            problems += [(result.index, e) for e in result.errors]
    if not problems:
        return _accepted()
    problems.sort(key=lambda p: p[0])
    return _accepted([_error_item(error, 404 if error.code == "not_found" else 400, index)
                      for index, error in problems], status=207)


@v4.post("/clients", summary="Create a profile (or update the one its identifier names)", response={202: None})
def create(request: HttpRequest):
    return _write_one(request, read_json(request), None, create=True)


@v4.post("/clients/instant", summary="Create a profile; needs email, phone, customId or uuid", response={202: None})
def create_instant(request: HttpRequest):
    return _write_one(request, read_json(request), None, create=True)


@v4.post("/clients/by-email/{email}", summary="Update the profile with this email", response={202: None})
def update_by_email(request: HttpRequest, email: str):
    require(request, "profiles:write")
    return _write_one(request, read_json(request), _named("email", email), create=False)


@v4.post("/clients/by-customid/{custom_id}", summary="Update the profile with this customId", response={202: None})
def update_by_custom_id(request: HttpRequest, custom_id: str):
    require(request, "profiles:write")
    return _write_one(request, read_json(request), _named("customId", custom_id), create=False)


@v4.post("/clients/{client_id}", summary="Update the profile with this clientId", response={202: None})
def update_by_client_id(request: HttpRequest, client_id: str):
    require(request, "profiles:write")
    return _write_one(request, read_json(request), _named("clientId", client_id), create=False)


@v4.post("/clients/merge/from/ids/{from_ids}/to/id/{to_id}", summary="Merge profiles (clientIds, comma-separated) "
         "into one")
def merge_by_client_ids(request: HttpRequest, from_ids: str, to_id: str):
    return _merge(request, "clientId", from_ids, to_id)


@v4.post("/clients/merge/from/custom-ids/{from_ids}/to/custom-id/{to_id}", summary="Merge profiles (customIds, "
         "comma-separated) into one")
def merge_by_custom_ids(request: HttpRequest, from_ids: str, to_id: str):
    return _merge(request, "customId", from_ids, to_id)


def _merge(request: HttpRequest, kind: str, from_ids: str, to_id: str) -> HttpResponse:
    """The surviving client, its `previousClients` the clientIds merged into it."""
    principal = require(request, "profiles:write")
    named = [part.strip() for part in from_ids.split(",") if part.strip()]
    if len(named) > MAX_MERGED:
        raise ApiError(400, "too_many", f"at most {MAX_MERGED} profiles merge at once, not {len(named)}",
                       [FieldError("fromIds", "max_items", f"at most {MAX_MERGED}", len(named))])
    sources = [_named(kind, value).value for value in named]
    target = _named(kind, to_id).value
    previous = client_ids(sources)
    do_merge_profiles(sources, target, change_context(request, principal))
    body = _client(target)
    body["previousClients"] = [previous[pid] for pid in dict.fromkeys(sources)]
    return _accepted(body, status=200)


@v4.get("/clients/{client_id}", summary="Read a profile by clientId")
def read(request: HttpRequest, client_id: str):
    require(request, "profiles:read")
    return _accepted(_client(_named("clientId", client_id).value), status=200)


# Before /clients/{identifier_type}/{identifier_value}: paths are matched in the order they are
# declared, and that one would take a DELETE of by-custom-id as a method it does not allow.
@v4.delete("/clients/by-custom-id/{custom_id}", summary="Delete the profile with this customId", response={204: None})
def delete_by_custom_id(request: HttpRequest, custom_id: str):
    principal = require(request, "profiles:write")
    do_delete_profile(_named("customId", custom_id).value, change_context(request, principal))
    return HttpResponse(status=204)


@v4.get("/clients/{identifier_type}/{identifier_value}", summary="Read a profile by an identifier")
def read_by(request: HttpRequest, identifier_type: str, identifier_value: str):
    require(request, "profiles:read")
    kind = IDENTIFIER_TYPES.get(identifier_type)
    if kind is None:
        raise ApiError(400, "invalid_identifier", f"identifierType is one of {', '.join(IDENTIFIER_TYPES)}")
    return _accepted(_client(_named(kind, identifier_value).value), status=200)


@v4.delete("/clients/{client_id}", summary="Delete a profile and its activity", response={204: None})
def delete(request: HttpRequest, client_id: str):
    principal = require(request, "profiles:write")
    do_delete_profile(_named("clientId", client_id).value, change_context(request, principal))
    return HttpResponse(status=204)


def _tracked(body: Any) -> Any:
    """A Synerise event ({action, label, client, time, params}) as Dossier's tracked event."""
    if not isinstance(body, dict):
        return body
    client = body.get("client") if isinstance(body.get("client"), dict) else {}
    profile = {}
    if client.get("id") is not None:
        profile_id = profile_id_of(client["id"])
        profile = {"id": str(profile_id) if profile_id else "00000000-0000-0000-0000-000000000000"}
    elif client.get("uuid"):
        profile = {"id": client["uuid"]}
    elif client.get("email") or client.get("customId"):
        profile = {k: client[k] for k in ("email", "customId") if client.get(k)}
    time = body.get("time")
    if isinstance(time, str):
        try:
            moment = dt.datetime.fromisoformat(time.replace("Z", "+00:00"))
            if (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)) > timezone.now():
                time = None  # Synerise takes a future time as the time of receipt
        except ValueError:
            pass
    return {"profile": profile, "type": body.get("action"), "params": body.get("params"), "time": time}


def _track(request: HttpRequest, events: list) -> HttpResponse:
    principal = require(request, "events:write")
    results = track([_tracked(e) for e in events], change_context(request, principal))
    rejected = [(r["index"], FieldError(**e)) for r in results for e in r["errors"]]
    if not rejected:
        return _accepted()
    if len(events) == 1:
        status = 404 if rejected[0][1].code == "not_found" else 400
        return synerise_error(request, status, "; ".join(f"{e.field}: {e.message}" for _, e in rejected),
                              [e for _, e in rejected])
    return _accepted([_error_item(e, 404 if e.code == "not_found" else 400, index) for index, e in rejected], status=207)


@v4.post("/events/custom", summary="Track a custom event", response={202: None})
def custom_event(request: HttpRequest):
    return _track(request, [read_json(request)])


@v4.post("/events/batch", summary="Track up to 1000 events", response={202: None, 207: None})
def event_batch(request: HttpRequest):
    data = read_json(request)
    if not isinstance(data, list):
        raise ApiError(400, "validation_failed", "the body must be a JSON array of events")
    if len(data) > MAX_BATCH:
        raise ApiError(400, "batch_too_large", f"a batch holds at most {MAX_BATCH} events, this one {len(data)}")
    return _track(request, data)
