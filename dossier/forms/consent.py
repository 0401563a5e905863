"""Double opt-in: an agreement a visitor turns on in a public form is granted only when the owner of
the profile's email address confirms it with the link they were sent (GDPR art. 7: consent the
marketer can prove).

The request is recorded in the submission's transaction, the agreement's consent marked pending.
The message goes out after the commit; should the process die first, the worker's duty
`send_unsent_confirmations` sends it. The link holds the request's id, signed with the secret key
and dated (`django.core.signing`): it works once, for DOSSIER_CONSENT_LINK_DAYS days (default 7).
Confirming goes through the change service with `source: form`, `actor: form:SLUG`, and records
`agreement.confirmed`.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.services import NewEvent, record_events
from dossier.forms.models import ConsentRequest, Form
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, Identity, WriteItem, apply_writes
from dossier.profiles.consents import mark_pending
from dossier.profiles.forms import CHANNEL_LABELS
from dossier.profiles.models import Profile
from dossier.profiles.writes import ProfileWrite

logger = logging.getLogger(__name__)

SALT = "dossier.forms.consent"
HELD_PENDING = "waits for the visitor to confirm it with the link sent to the profile's email address"
HELD_NO_ADDRESS = "waits for a confirmation, and the profile has no email address to send the link to"
RESEND_AFTER = dt.timedelta(seconds=30)  # a message not sent by then was lost with its process


def link_days() -> int:
    return settings.CONSENT_LINK_DAYS


def request_consent(form: Form, profile_id: Any, channels: list[str], *, ctx: ChangeContext, now: dt.datetime,
                    link_base: str) -> tuple[ConsentRequest | None, str]:
    """Record the pending agreements of a submission and have the link sent after commit; (the
    request, the reason the agreements wait), the request None when there is no address to send to."""
    mark_pending(profile_id, channels, source=ctx.source, actor=ctx.actor, now=now)
    email = Profile.objects.filter(id=profile_id).values_list("email", flat=True).first()
    if not email:
        return None, HELD_NO_ADDRESS
    request = ConsentRequest.objects.create(profile_id=profile_id, form=form, channels=channels, email=email,
                                            link_base=link_base.rstrip("/"), created_at=now)
    transaction.on_commit(lambda: send_confirmation(request.id), robust=True)
    return request, HELD_PENDING


def confirmation_link(request: ConsentRequest) -> str:
    token = signing.dumps(str(request.id), salt=SALT, compress=True)
    return f"{request.link_base}/f/{request.form.slug}/confirm/{token}"


def send_confirmation(request_id: Any) -> bool:
    """Send a request's message unless it was sent; True when it went out now."""
    request = ConsentRequest.objects.select_related("form").filter(id=request_id, sent_at=None).first()
    if request is None:
        return False
    what = ", ".join(CHANNEL_LABELS[c].lower() for c in request.channels)
    body = (f"Hello,\n\nsomeone (we hope you) asked, on the form “{request.form.name}”, to receive {what} messages "
            f"from us at this address.\n\nTo confirm, open this link within {link_days()} days and press Confirm:\n\n"
            f"{confirmation_link(request)}\n\nIf it was not you, ignore this message: nothing changes.\n")
    send_mail(f"Please confirm: {request.form.name}", body, settings.DEFAULT_FROM_EMAIL, [request.email])
    ConsentRequest.objects.filter(id=request.id).update(sent_at=timezone.now())
    return True


def send_unsent_confirmations() -> int:
    """The worker's duty: send the messages of requests whose process died before sending them."""
    now = timezone.now()
    unsent = ConsentRequest.objects.filter(sent_at=None, confirmed_at=None, created_at__lt=now - RESEND_AFTER,
                                           created_at__gt=now - dt.timedelta(days=link_days()))
    sent = 0
    for request_id in unsent.values_list("id", flat=True)[:100]:
        try:
            sent += send_confirmation(request_id)
        except OSError:  # the mail server does not answer: the next turn tries again
            logger.warning("could not send the confirmation of consent request %s", request_id)
            break
    return sent


@dataclass
class Confirmation:
    status: str  # confirmed, already, expired, invalid
    form: Form | None = None
    channels: tuple[str, ...] = ()


def open_link(token: str) -> Confirmation:
    """What a link is, without using it (the page shows it and asks for the press of a button)."""
    request = _request_of(token)
    if isinstance(request, Confirmation):
        return request
    if request.confirmed_at is not None:
        return Confirmation("already", request.form, tuple(request.channels))
    return Confirmation("valid", request.form, tuple(request.channels))


def do_confirm_consent(token: str, *, request_id: str = "") -> Confirmation:
    """Grant the agreements of a valid link, once."""
    with transaction.atomic():
        found = _request_of(token, lock=True)
        if isinstance(found, Confirmation):
            return found
        request = found
        if request.confirmed_at is not None:
            return Confirmation("already", request.form, tuple(request.channels))
        now = timezone.now()
        ctx = ChangeContext(source=event_types.SOURCE_FORM, actor=f"form:{request.form.slug}", request_id=request_id)
        write = ProfileWrite(agreements={channel: True for channel in request.channels})
        apply_writes([WriteItem(0, Identity("id", request.profile_id), write, create=False)], ctx,
                     registry=AttributeRegistry({}))
        record_events([NewEvent(profile_id=request.profile_id, type=event_types.AGREEMENT_CONFIRMED, time=now,
                                source=ctx.source, actor=ctx.actor, request_id=request_id,
                                params={"channels": list(request.channels), "formId": request.form.slug,
                                        "requestedAt": request.created_at.isoformat(), "email": request.email})])
        request.confirmed_at = now
        request.save(update_fields=["confirmed_at"])
    return Confirmation("confirmed", request.form, tuple(request.channels))


def _request_of(token: str, *, lock: bool = False) -> ConsentRequest | Confirmation:
    try:
        request_id = signing.loads(token, salt=SALT, max_age=dt.timedelta(days=link_days()))
    except signing.SignatureExpired:
        return Confirmation("expired")
    except signing.BadSignature:
        return Confirmation("invalid")
    requests = ConsentRequest.objects.select_related("form")
    if lock:
        requests = requests.select_for_update()
    request = requests.filter(id=request_id).first()
    return request if request is not None else Confirmation("invalid")
