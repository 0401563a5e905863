"""API keys (stored hashed, with scopes) and the roles of browser users."""

import hashlib
import secrets

from django.conf import settings
from django.db import models

SCOPES = ("profiles:read", "profiles:write", "imports", "workflows", "events:write", "admin")
ROLES = ("admin", "editor", "viewer")
ROLE_SCOPES = {
    "admin": frozenset(SCOPES),
    "editor": frozenset({"profiles:read", "profiles:write", "imports", "workflows", "events:write"}),
    "viewer": frozenset({"profiles:read"}),
}
KEY_PREFIX = "dsk_"


def hash_key(raw: str) -> str:
    # API keys are 256-bit random strings: a plain SHA-256 cannot be brute-forced, and it keeps the
    # per-request check to one indexed lookup.
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True)
    revoked_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def generate(cls, name: str, scopes: list[str]) -> tuple["ApiKey", str]:
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(name=name, prefix=raw[:12], key_hash=hash_key(raw), scopes=sorted(set(scopes)))
        return key, raw


class UserRole(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossier_role")
    role = models.CharField(max_length=16, choices=[(r, r) for r in ROLES], default="viewer")

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


def role_of(user) -> str | None:
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return "admin"
    try:
        return user.dossier_role.role
    except UserRole.DoesNotExist:
        return "viewer"


class LoginFailure(models.Model):
    """One failed log-in, kept while the login rate limit's window lasts (dossier.accounts.login).

    Each failure is a row per count it falls under: `key` is a hash of the username and the caller's
    address, of the username alone, or of the address alone, so who was tried and from where is
    counted without keeping either.
    """

    key = models.CharField(max_length=64)
    failed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "failed_at"]), models.Index(fields=["failed_at"])]
