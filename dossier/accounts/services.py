"""Users and API keys."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from dossier.accounts.models import ROLES, SCOPES, ApiKey, UserRole


def do_create_user(username: str, password: str, role: str, *, validate: bool = True):
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    User = get_user_model()
    user = User(username=username, is_staff=role == "admin")
    if validate:
        validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        UserRole.objects.create(user=user, role=role)
    return user


def do_create_api_key(name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}; known: {', '.join(SCOPES)}")
    if ApiKey.objects.filter(name=name).exists():
        raise ValueError(f"an API key named {name!r} exists already")
    return ApiKey.generate(name, scopes)


def do_revoke_api_key(name: str) -> bool:
    return bool(ApiKey.objects.filter(name=name, revoked_at__isnull=True).update(revoked_at=timezone.now()))
