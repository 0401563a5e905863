"""The login page, with rate limits on failed log-ins.

Failed log-ins are counted three ways within `WINDOW` (LIMITS): for one username from one address,
for one username from any address (guesses spread over many addresses), and from one address for
any username (one address trying many accounts). Once a count reaches its limit, further attempts
it covers are refused (with 429 and a message saying which limit and when to try again) without
the password being checked, until the oldest of those failures leaves the window. A successful
log-in clears its pair's failures only: the other two counts are what an attacker who also holds
an account of their own must not be able to reset. The wider limits are set high enough that a
user mistyping from a shared office address is not stopped by them; the price of the per-username
limit is that someone guessing at an account from many addresses locks it for up to `WINDOW`.
The failures are rows in the database, so every web process counts the same ones;
`purge_failures` (a worker duty) deletes the ones past the window.

The address is the connection's (REMOTE_ADDR), or behind a trusted reverse proxy the client's as
the proxy reports it (DOSSIER_TRUSTED_PROXIES, dossier.core.middleware.ClientAddressMiddleware).
Several attempts racing in the same instant may each pass the check before any failure is
recorded: the limit bounds a guessing rate, it is not a lock.
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

WINDOW = dt.timedelta(minutes=15)
PAIR, USERNAME, ADDRESS = "pair", "username", "address"
LIMITS = {PAIR: 5, USERNAME: 20, ADDRESS: 30}  # failures within WINDOW


def attempt_keys(username: str, address: str) -> dict[str, str]:
    """The hashed key of each count an attempt by `username` from `address` falls under."""
    name = username.casefold()
    texts = {PAIR: f"{name}\0{address}", USERNAME: f"user\0{name}", ADDRESS: f"addr\0{address}"}
    return {kind: hashlib.sha256(text.encode("utf-8", "replace")).hexdigest() for kind, text in texts.items()}


def seconds_until_allowed(key: str, limit: int) -> int:
    """0 when a log-in may be tried now; otherwise how long until the oldest counted failure expires."""
    now = timezone.now()
    recent = list(LoginFailure.objects.filter(key=key, failed_at__gt=now - WINDOW)
                  .order_by("-failed_at").values_list("failed_at", flat=True)[:limit])
    if len(recent) < limit:
        return 0
    return max(1, math.ceil((recent[-1] + WINDOW - now).total_seconds()))


def purge_failures() -> int:
    deleted, _ = LoginFailure.objects.filter(failed_at__lte=timezone.now() - WINDOW).delete()
    return deleted


class RateLimitedAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password didn't match. Please try again.",
        "rate_limited": "Too many failed log-ins %(whose)s. Try again in %(minutes)s minute(s).",
    }
    whose = {PAIR: "for this username from your address", USERNAME: "for this username",
             ADDRESS: "from your address"}
    retry_after = 0

    def clean(self):
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()
        keys = attempt_keys(username, self.request.META.get("REMOTE_ADDR", "") if self.request else "")
        for kind, key in keys.items():
            self.retry_after = seconds_until_allowed(key, LIMITS[kind])
            if self.retry_after:
                logger.warning("log-in refused by the %s rate limit (attempt key %s…)", kind, key[:12])
                raise ValidationError(self.error_messages["rate_limited"], code="rate_limited",
                                      params={"whose": self.whose[kind], "minutes": math.ceil(self.retry_after / 60)})
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if exc.code == "invalid_login":
                now = timezone.now()
                LoginFailure.objects.bulk_create([LoginFailure(key=key, failed_at=now) for key in keys.values()])
            raise
        LoginFailure.objects.filter(key=keys[PAIR]).delete()
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
