"""Security headers that Django's own middleware does not set; request ids; the client's address
behind a trusted proxy."""

import ipaddress
import uuid

from django.conf import settings
from django.http import JsonResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """Adds a Content-Security-Policy that allows no inline script, unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class RequestIdMiddleware:
    """Gives every request an id (or keeps the caller's X-Request-ID); change records carry it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming[:64] if incoming.isascii() and incoming.isprintable() and incoming else uuid.uuid4().hex
        response = self.get_response(request)
        response.headers["X-Request-ID"] = request.request_id
        return response


class ClientAddressMiddleware:
    """Behind a reverse proxy, REMOTE_ADDR is the proxy's: the login and form rate limits would
    count every visitor as one. When the connection comes from a proxy the operator trusts
    (DOSSIER_TRUSTED_PROXIES, addresses or networks), the client is the right-most address of
    X-Forwarded-For that is not itself a trusted proxy: the left part of that header is whatever
    the client wrote, so it is never believed. Without the setting, nothing is read from it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES]

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def __call__(self, request):
        if self.proxies and self._trusted(request.META.get("REMOTE_ADDR", "")):
            hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
            while hops and self._trusted(hops[-1]):
                hops.pop()
            if hops:
                try:
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(hops[-1]))
                except ValueError:
                    pass  # not an address: keep the proxy's, which at least counts this client
        return self.get_response(request)


API_PREFIXES = ("/api/", "/v4/")


def _dossier_envelope(request, status: int, code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "details": []}}


# The error body of each API by path prefix; an API with its own shape registers it at start
# (the Synerise-compatible one does, for /v4/).
ERROR_ENVELOPES = {"/api/": _dossier_envelope}
API_ERRORS = {
    400: ("bad_request", "the request could not be read"),
    403: ("forbidden", "this request is not allowed"),
    404: ("not_found", "no such endpoint: {method} {path} (the endpoints are listed at /api/v1/docs)"),
    405: ("method_not_allowed", "{method} is not allowed on {path}; allowed: {allow}"),
    413: ("body_too_large", "the request body is too large"),
    429: ("rate_limited", "too many requests; try again later"),
    500: ("server_error", "the server failed to answer this request; it is logged under request id {request_id}"),
}


class ApiErrorsMiddleware:
    """Under /api/ and /v4/, an error answered by Django itself (an unknown path, a method the
    path does not take, a crash) comes in the API's JSON error envelope, never as an HTML page:
    a client reads every error the same way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(API_PREFIXES):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code, message = API_ERRORS.get(status, ("error", "the request failed"))
        message = message.format(method=request.method, path=request.path, allow=response.get("Allow", ""),
                                 request_id=getattr(request, "request_id", ""))
        envelope = next((build for prefix, build in ERROR_ENVELOPES.items() if request.path.startswith(prefix)),
                        _dossier_envelope)
        replaced = JsonResponse(envelope(request, status, code, message), status=status)
        for header in ("Allow", "Retry-After", "X-Request-ID"):
            if header in response:
                replaced[header] = response[header]
        return replaced
