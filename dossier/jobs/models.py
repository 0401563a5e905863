"""Jobs: batch edits, imports and their undos, run in the background and reported per item."""

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        BATCH_EDIT = "batch_edit"
        IMPORT = "import"
        UNDO = "undo"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=200)
    created_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    params = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    undoes = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="undone_by")
    # Engine bookkeeping: where the next chunk starts (committed with each chunk's data), whether a
    # cancel was asked for, and which worker holds the job and when it last showed life.
    state = models.JSONField(default=dict)
    cancel_requested = models.BooleanField(default=False)
    lease_token = models.CharField(max_length=64, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"
