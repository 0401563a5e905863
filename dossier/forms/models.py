"""Forms that customers submit on a hosted page, and the per-address counters that throttle them."""

import uuid

from django.db import models


class Form(models.Model):
    """A public form (SPEC §7). `fields` is a list of `{name, label, target, required, policy}` where
    `target` is a profile field path (`email`, `birthDate`, `attributes.plan`, `agreements.email`)
    or null for a field that is only recorded on the `form.submit` event, and `policy` says whether
    the field may overwrite a value an existing profile has (`always`) or only fill an empty one
    (`ifEmpty`, the default)."""

    class Identifier(models.TextChoices):
        EMAIL = "email"
        CUSTOM_ID = "customId"
        PHONE = "phone"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    identifier = models.CharField(max_length=16, choices=Identifier.choices, default=Identifier.EMAIL)
    fields = models.JSONField(default=list)
    add_tags = models.JSONField(default=list)
    redirect_url = models.CharField(max_length=2048, blank=True, default="")
    allowed_origins = models.JSONField(default=list)
    # Agreements a visitor turns on take effect at once, without a confirmation link. Only an admin
    # may set it: a form that can grant consent for any address it is given.
    single_opt_in = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "slug"]

    def __str__(self) -> str:
        return self.slug


class SubmissionCounter(models.Model):
    """Submissions from one address in one time bucket; shared by every web process."""

    address = models.CharField(max_length=64)
    bucket = models.BigIntegerField()  # start of the window, in seconds since the epoch
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address", "bucket"], name="submission_counter_unique")]
        indexes = [models.Index(fields=["bucket"])]


class ConsentRequest(models.Model):
    """Agreements a visitor asked for on a public form, waiting for the link emailed to the
    profile's address (double opt-in). The link carries this row's id, signed and dated; it works
    once (`confirmed_at`). `sent_at` stays empty until the message left, so a worker duty sends
    what a process that died after the commit did not."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    profile = models.ForeignKey("profiles.Profile", on_delete=models.CASCADE, related_name="+")
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="consent_requests")
    channels = models.JSONField(default=list)
    email = models.CharField(max_length=254)
    link_base = models.CharField(max_length=512)  # scheme and host the visitor used, for the link
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)
    confirmed_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"consent request {self.id} ({', '.join(self.channels)})"
