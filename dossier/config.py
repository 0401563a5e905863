"""Typed settings from the environment; a bad value fails loudly at start-up."""

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (CIDR), each checked."""
    found = []
    for part in (env_str(name) or "").split(","):
        if part.strip():
            try:
                found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
            except ValueError:
                raise ImproperlyConfigured(f"{name} must list IP addresses or networks (10.0.0.0/8), got {part!r}") from None
    return found


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


PRIVATE_UMASK = 0o077


def keep_files_private() -> None:
    """Make every file and directory this process creates its owner's only (0600 / 0700).

    The data directory holds the database and its WAL (profiles, password hashes, sessions), uploaded
    files and mail: nothing another account on the machine may read. SQLite creates its WAL and
    journal with the database file's mode, and the worker and web processes `dossier run` starts
    inherit the mask, so one call at settings time covers every file Dossier writes.
    """
    os.umask(PRIVATE_UMASK)


def data_dir() -> Path:
    path = Path(env_str("DOSSIER_DATA_DIR", "./var")).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def allowed_hosts(value: str | None, bound_host: str, public_url: str) -> list[str]:
    """DOSSIER_ALLOWED_HOSTS (comma-separated) or, by default, the host Dossier is bound to, the
    host of DOSSIER_PUBLIC_URL and the loopback names: never `*` unless the operator says so."""
    if value:
        return [host.strip() for host in value.split(",") if host.strip()]
    hosts = ["localhost", "127.0.0.1", "[::1]"]
    public_host = urlsplit(public_url).hostname if public_url else None
    for host in (bound_host, public_host):
        if host and host not in ("0.0.0.0", "::") and host not in hosts:
            hosts.append(f"[{host}]" if ":" in host else host)
    return hosts


def secret_key(directory: Path) -> str:
    """The secret key from the environment, or one generated once per install and kept on disk."""
    key = env_str("DOSSIER_SECRET_KEY")
    if key:
        return key
    key_file = directory / "secret_key"
    if not key_file.exists():
        _create_secret_key(key_file)
    return key_file.read_text().strip()


def _create_secret_key(key_file: Path) -> None:
    """Write a new key readable by its owner only, and whole or not at all.

    The key is written to a private temporary file first and then linked into place: no other user
    ever sees the file readable, and when two processes start at once on a fresh install the
    second link fails and both read the same, complete key.
    """
    temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(50))
        os.link(temporary, key_file)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def email_settings(url: str | None, directory: Path) -> tuple[str, str, dict]:
    """(EMAIL_BACKEND, EMAIL_FILE_PATH, the SMTP settings) from DOSSIER_EMAIL_URL."""
    if not url:
        return "django.core.mail.backends.filebased.EmailBackend", str(directory / "mail"), {}
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(f"DOSSIER_EMAIL_URL must be smtp://[user:password@]host[:port] or smtps://..., got {url!r}")
    query = parse_qs(parts.query)
    smtp = {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": parts.scheme == "smtp" and query.get("tls", ["1"])[0] not in ("0", "false", "no"),
        "EMAIL_TIMEOUT": 10,
    }
    return "django.core.mail.backends.smtp.EmailBackend", "", smtp
