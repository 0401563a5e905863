"""Web addresses a user gives Dossier to send a browser or a request to: checked part by part."""

import re
from typing import Any
from urllib.parse import urlsplit

# A host a browser may be sent to: DNS labels of letters, digits and hyphens (an IDN in its
# xn-- form), an IPv4 address, or an IPv6 address in brackets.
_HOST_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?|\[[0-9a-f:.]+\]")


def web_origin(text: Any) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, rebuilt from its validated parts (so it
    can go into a header such as a Content-Security-Policy as it is); None for anything else:
    another scheme, user info, a host with characters no host has (`;`, spaces, quotes)."""
    if not isinstance(text, str) or len(text) > 2048 or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.netloc.rpartition("@")[2].rsplit(":", 1)[0] if port is not None else parts.netloc).lower()
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or not _HOST.fullmatch(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def is_http_url(text: Any, *, path_allowed: bool) -> bool:
    if web_origin(text) is None:
        return False
    parts = urlsplit(text)
    return path_allowed or not (parts.path or parts.query or parts.fragment)
