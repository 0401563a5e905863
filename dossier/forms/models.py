"""Forms that customers submit on a hosted page, and the per-address counters that throttle them."""

from django.db import models


class Form(models.Model):
    """A public form (SPEC §7). `fields` is a list of `{name, label, target, required}` where
    `target` is a profile field path (`email`, `birthDate`, `attributes.plan`, `agreements.email`)
    or null for a field that is only recorded on the `form.submit` event."""

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
