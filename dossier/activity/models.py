"""The activity list: every event of every profile, including the change records."""

from django.db import models


class Event(models.Model):
    """One entry of a profile's activity list.

    `profile.created` / `profile.updated` rows are the change log: they are written by the change
    service in the same transaction as the change they describe, and replaying them reproduces the
    profile (`dossier verify`).
    """

    profile = models.ForeignKey("profiles.Profile", on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64)
    time = models.DateTimeField()
    source = models.CharField(max_length=16)
    actor = models.CharField(max_length=200)
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    caused_by = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    request_id = models.CharField(max_length=64, blank=True, default="")
    params = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["profile", "-id"]),
            models.Index(fields=["profile", "type", "-id"]),
            models.Index(fields=["job"]),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.profile_id}"
