"""One HTTP POST of a signed message, to an address checked after DNS.

Signing follows Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the subscription's
secret (`whsec_` + base64 key), so receivers can verify with any of its libraries.

The target's host is resolved here, at delivery, and every address it resolves to must be a public
one unless DOSSIER_WEBHOOKS_ALLOW_PRIVATE is set; the connection then goes to the address that was
checked, so a DNS answer that changes between the check and the connection (rebinding) cannot
point the request at the loopback or the cloud's metadata service.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

USER_AGENT = "Dossier-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Refused(Exception):
    """The target may not be called (a private address, a host that does not resolve)."""


def public_address(host: str, port: int) -> str:
    """The first address `host` resolves to, when every address it resolves to may be called."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve ({exc})") from None
    addresses = [info[4][0] for info in infos]
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not ip.is_global or ip.is_multicast:
                raise Refused(f"{host} resolves to {address}, a private, loopback or link-local address "
                              "(set DOSSIER_WEBHOOKS_ALLOW_PRIVATE=1 to allow it)")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # the certificate names the host


def post(url: str, secret: str, message_id: str, body: bytes) -> Outcome:
    """Send `body` to `url`, signed; the outcome, never an exception."""
    started = time.monotonic()

    def outcome(status: int | None, error: str = "") -> Outcome:
        return Outcome(status, round((time.monotonic() - started) * 1000), error[:500])

    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        address = public_address(parts.hostname or "", port)
    except Refused as exc:
        return outcome(None, str(exc))
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "webhook-id": message_id,
        "webhook-timestamp": str(timestamp), "webhook-signature": signature(secret, message_id, timestamp, body),
    }
    connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, address, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        if 200 <= response.status < 300:
            return outcome(response.status)
        return outcome(response.status, f"the receiver answered {response.status} {response.reason}")
    except TimeoutError:
        return outcome(None, f"no answer within {settings.WEBHOOK_TIMEOUT_SECONDS} s")
    except (OSError, http.client.HTTPException) as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
