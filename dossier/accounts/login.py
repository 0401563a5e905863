"""The login page, with a rate limit on failed log-ins.

After `MAX_FAILURES` failed log-ins for one username from one address within `WINDOW`, further
attempts for that pair are refused (with 429 and a message saying when to try again) without
the password being checked, until the oldest of those failures leaves the window. A successful
log-in clears the pair's failures. The failures are rows in the database, so every web process
counts the same ones; `purge_failures` (a worker duty) deletes the ones past the window.

The address is the connection's (REMOTE_ADDR): a proxy in front of Dossier must pass the client's
address through, or the limit counts per username and proxy. Several attempts racing in the same
instant may each pass the check before any failure is recorded: the limit bounds a guessing
rate, it is not a lock.
"""

import datetime as dt
import hashlib
import logging
import math

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from dossier.accounts.models import LoginFailure

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


def attempt_key(username: str, address: str) -> str:
    return hashlib.sha256(f"{username.casefold()}\0{address}".encode("utf-8", "replace")).hexdigest()


def seconds_until_allowed(key: str) -> int:
    """0 when a log-in may be tried now; otherwise how long until the oldest counted failure expires."""
    now = timezone.now()
    recent = list(LoginFailure.objects.filter(key=key, failed_at__gt=now - WINDOW)
                  .order_by("-failed_at").values_list("failed_at", flat=True)[:MAX_FAILURES])
    if len(recent) < MAX_FAILURES:
        return 0
    return max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))


def purge_failures() -> int:
    deleted, _ = LoginFailure.objects.filter(failed_at__lte=timezone.now() - WINDOW).delete()
    return deleted


class RateLimitedAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password didn't match. Please try again.",
        "rate_limited": "Too many failed log-ins for this username from your address. "
                        "Try again in %(minutes)s minute(s).",
    }
    retry_after = 0

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()
        key = attempt_key(username, self.request.META.get("REMOTE_ADDR", "") if self.request else "")
        self.retry_after = seconds_until_allowed(key)
        if self.retry_after:
            logger.warning("log-in refused by the rate limit (attempt key %s…)", key[:12])
            raise ValidationError(self.error_messages["rate_limited"], code="rate_limited",
                                  params={"minutes": math.ceil(self.retry_after / 60)})
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if exc.code == "invalid_login":
                LoginFailure.objects.create(key=key, failed_at=timezone.now())
            raise
        LoginFailure.objects.filter(key=key).delete()
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    template_name = "accounts/login.html"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "rate_limited"):
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
