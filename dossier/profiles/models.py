"""Profiles, the companies they belong to, their tags and the custom attribute registry.

Rows here are written only by `dossier.profiles.changes` (the one change path); nothing else calls
`save()` on a Profile or touches its tags.
"""

import uuid

from django.db import models


def company_name_key(name: str) -> str:
    """What two spellings of one company's name share: `ACME sp. z o.o.` and `Acme Sp. z o.o.`."""
    return " ".join(name.casefold().split())


class Company(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    # The name without case or repeated spaces, kept by `save` (and by bulk writers): imports and
    # Synerise clients name companies, and SQLite's lower() folds ASCII letters only.
    name_key = models.CharField(max_length=255, default="")
    domain = models.CharField(max_length=255, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["name_key"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = company_name_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.CharField(max_length=254, null=True, unique=True)
    custom_id = models.CharField(max_length=128, null=True, unique=True)
    phone = models.CharField(max_length=64, null=True, db_index=True)
    first_name = models.CharField(max_length=255, null=True)
    last_name = models.CharField(max_length=255, null=True)
    display_name = models.CharField(max_length=255, null=True)
    city = models.CharField(max_length=255, null=True)
    province = models.CharField(max_length=255, null=True)
    zip_code = models.CharField(max_length=255, null=True)
    address = models.CharField(max_length=255, null=True)
    country_code = models.CharField(max_length=2, null=True)
    birth_date = models.DateField(null=True)
    sex = models.SmallIntegerField(null=True)
    anonymous_type = models.CharField(max_length=16, default="anonymous")
    avatar_url = models.CharField(max_length=2048, null=True)
    agreement_email = models.BooleanField(default=False)
    agreement_sms = models.BooleanField(default=False)
    agreement_push = models.BooleanField(default=False)
    agreement_web_push = models.BooleanField(default=False)
    company = models.ForeignKey(Company, null=True, on_delete=models.PROTECT, related_name="profiles")
    attributes = models.JSONField(default=dict)
    tags = models.ManyToManyField(Tag, through="ProfileTag", related_name="profiles")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # The numeric id the Synerise-compatible API (/v4) names the profile by, given out the first
    # time that API shows the profile (dossier.synerise.client_ids): not profile data, no event.
    client_id = models.BigIntegerField(null=True, unique=True, editable=False)

    class Meta:
        indexes = [
            # The list walks (created_at, id) newest first; filtered by city it walks this one.
            models.Index(fields=["city", "created_at", "id"]),
            models.Index(fields=["last_name"]),
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["updated_at", "id"]),
        ]

    def __str__(self) -> str:
        return self.email or self.custom_id or str(self.id)


class ProfileTag(models.Model):
    # Led by the unique (profile, tag) and the (tag, profile) indexes; single-column ones would
    # only be written, never read.
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="tag_links", db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="profile_links", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "tag"], name="profile_tag_unique")]
        indexes = [models.Index(fields=["tag", "profile"])]


class AttributeDefinition(models.Model):
    """The registry entry of a custom attribute (SPEC §2)."""

    class Type(models.TextChoices):
        TEXT = "text"
        INTEGER = "integer"
        NUMBER = "number"
        BOOLEAN = "boolean"
        DATE = "date"
        DATETIME = "datetime"
        LIST = "list"

    name = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=255, blank=True, default="")
    type = models.CharField(max_length=16, choices=Type.choices)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Consent(models.Model):
    """Where one marketing agreement of a profile stands, and when, how and by whom it got there:
    the proof of consent a marketer is asked for (SPEC §1 `consents`).

    `granted` and `withdrawn` follow the agreement's changes, written by the change service in the
    transaction of the change; `pending` is a public form's request waiting for its confirmation
    link (double opt-in), while the agreement itself stays false.
    """

    class State(models.TextChoices):
        GRANTED = "granted"
        PENDING = "pending"
        WITHDRAWN = "withdrawn"

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="consents", db_index=False)
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices)
    at = models.DateTimeField()
    source = models.CharField(max_length=16)
    actor = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "channel"], name="consent_per_channel")]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.channel} {self.state}"


class MergedProfile(models.Model):
    """A profile merged into another (`do_merge_profiles`): its id and clientId still name the
    survivor, as Synerise keeps a merged profile's UUID on the profile it went into."""

    id = models.UUIDField(primary_key=True)
    client_id = models.BigIntegerField(null=True, unique=True)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="merged")
    merged_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.id} -> {self.profile_id}"
