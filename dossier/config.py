"""Typed settings from the environment; a bad value fails loudly at start-up."""

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


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def data_dir() -> Path:
    path = Path(env_str("DOSSIER_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


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
