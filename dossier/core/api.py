"""The JSON API's frame: authentication, scopes, the error envelope and idempotency (SPEC §4)."""

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from dossier.accounts.models import ROLE_SCOPES, ApiKey, hash_key, role_of
from dossier.core.models import IdempotencyRecord
from dossier.core.params import row_id
from dossier.core.queries import CompiledLookup
from dossier.profiles.errors import FieldError, ProfileWriteRejected

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who is asking: an API key or a logged-in user, with what they may do."""

    kind: str  # apikey or user
    name: str
    scopes: frozenset[str]
    user: Any = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    def may(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


class ApiKeyAuth(HttpBearer):
    # Every API request runs this lookup; it is compiled once (and never cached: a revoked key
    # stops working on the next request).
    active_key = CompiledLookup(ApiKey, "key_hash", ("name", "scopes"), lambda qs: qs.filter(revoked_at__isnull=True))

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        rows = self.active_key.rows(hash_key(token))
        if not rows:
            return None
        name, scopes = rows[0]
        return Principal("apikey", name, frozenset(scopes))


class SessionPrincipalAuth(APIKeyCookie):
    """The browser's login session; CSRF-checked on unsafe methods by APIKeyCookie.

    A request that carries no logged-in session is not checked for CSRF: it has nothing a forged
    request could borrow, and it is answered 401 (with how to authenticate), not 403 "CSRF".
    """

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        role = role_of(request.user)
        if role is None:
            return None
        return Principal("user", request.user.get_username(), ROLE_SCOPES[role], request.user)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[FieldError] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> JsonResponse:
    return JsonResponse(data, status=status, encoder=DjangoJSONEncoder, safe=False, headers=headers,
                        json_dumps_params={"ensure_ascii": False})


def error_response(status: int, code: str, message: str, details: list | None = None) -> JsonResponse:
    body = {"error": {"code": code, "message": message,
                      "details": [d.as_dict() if isinstance(d, FieldError) else d for d in details or []]}}
    return json_response(body, status=status)


def require(request: HttpRequest, scope: str) -> Principal:
    principal: Principal = request.auth
    if not principal.may(scope):
        raise ApiError(403, "forbidden", f"this requires the '{scope}' scope")
    return principal


api = NinjaAPI(
    title="Dossier API",
    version="1",
    description="Customer profiles, their activity, imports, batch edits, forms and workflows.",
    urls_namespace="api",
    docs_url="/docs",
    auth=[ApiKeyAuth(), SessionPrincipalAuth()],
)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ProfileWriteRejected)
def _rejected(request, exc: ProfileWriteRejected):
    codes = {409: "conflict", 412: "precondition_failed", 404: "not_found"}
    message = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return error_response(exc.status, codes.get(exc.status, "validation_failed"), message, exc.errors)


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    details = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        details.append({"field": ".".join(loc), "code": error.get("type", "invalid"), "message": error.get("msg", ""), "value": None})
    return error_response(422, "validation_failed", "the request does not match the expected shape", details)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(404, "not_found", "no such resource")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error_response(413, "body_too_large", "the request body is larger than 1 MB")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(401, "unauthenticated", "send Authorization: Bearer <API key>, or log in")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error_response(exc.status_code, "error", str(exc))


def read_json(request: HttpRequest) -> Any:
    """The request body as JSON; a 413 past the size limit, a 415 when it says it is something
    else (a form post, text), a 400 when malformed."""
    try:
        body = request.body
    except RequestDataTooBig:
        raise ApiError(413, "body_too_large", "the request body is larger than 1 MB") from None
    if body:
        require_content_type(request, "application/json")
    return parse_json(body or b"null")


def require_content_type(request: HttpRequest, expected: str) -> None:
    """415 unless the request's Content-Type is `expected` (or, for JSON, a +json type). A body
    without a Content-Type is taken as what the endpoint expects."""
    given = (request.content_type or "").lower()
    if not given or given == expected or (expected == "application/json" and given.endswith("+json")):
        return
    raise ApiError(415, "unsupported_media_type", f"send the body as {expected} (Content-Type: {expected}), not {given}")


def parse_json(text: str | bytes, field: str = "") -> Any:
    """JSON from a client; malformed or absurdly deep nesting is a 400, never a server error."""
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"{field or 'the body'} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed_json", f"{field or 'the body'} is nested too deeply") from None


def newest_first_page(request: HttpRequest, queryset, *, maximum: int, default: int = 50) -> tuple[list, str | None]:
    """A page of rows newest first by id, and the cursor of the next page (the last id shown)."""
    limit = page_limit(request, default=default, maximum=maximum)
    raw = request.GET.get("cursor")
    if raw:
        cursor = row_id(raw)
        if cursor is None:
            message = "cursor is the nextCursor of a previous page"
            raise ApiError(422, "invalid_filter", message, [FieldError("cursor", "invalid_cursor", message, raw)])
        queryset = queryset.filter(id__lt=cursor)
    rows = list(queryset.order_by("-id")[: limit + 1])
    return rows[:limit], (str(rows[limit - 1].id) if len(rows) > limit else None)


def page_limit(request: HttpRequest, *, default: int, maximum: int) -> int:
    """The `limit` query parameter: a whole number from 1 to `maximum`, else a 422 naming it."""
    raw = request.GET.get("limit")
    limit = default if raw is None else row_id(raw)
    if limit is None or not 1 <= limit <= maximum:
        message = f"limit is a whole number from 1 to {maximum}"
        raise ApiError(422, "invalid_filter", message, [FieldError("limit", "out_of_range", message, raw)])
    return limit


def idempotent(view: Callable) -> Callable:
    """Honour `Idempotency-Key` (SPEC §4): a repeat with the same body gets the first response back."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            raise ApiError(422, "invalid_idempotency_key", "Idempotency-Key is at most 255 characters")
        principal: Principal = request.auth
        try:
            body = request.body
        except RequestDataTooBig:
            raise ApiError(413, "body_too_large", "the request body is larger than 1 MB") from None
        body_hash = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        replay = _replay(principal, key, body_hash)
        if replay is not None:
            return replay
        try:
            # The key is claimed in the same transaction as the work: a concurrent repeat waits on
            # the unique key, then replays the committed response; a failed request frees the key.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(principal=principal.actor, key=key, path=request.path,
                                                          body_hash=body_hash, status=0, response=b"")
                response = view(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                record.status = response.status_code
                record.response = response.content
                record.save(update_fields=["status", "response"])
        except IntegrityError:
            replay = _replay(principal, key, body_hash)
            if replay is None:
                raise
            return replay
        return response

    return wrapper


def _replay(principal: Principal, key: str, body_hash: str) -> HttpResponse | None:
    record = IdempotencyRecord.objects.filter(principal=principal.actor, key=key).first()
    if record is None:
        return None
    if record.body_hash != body_hash:
        raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used with another request body")
    return HttpResponse(bytes(record.response), status=record.status, content_type="application/json",
                        headers={"Idempotent-Replayed": "true"})
