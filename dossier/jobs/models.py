"""Jobs: batch edits, imports and their undos, run in the background and reported per item."""

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        BATCH_EDIT = "batch_edit", "Batch edit"
        IMPORT = "import", "Import"
        UNDO = "undo", "Undo"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

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
    # cancel was asked for, which worker holds the job and when it last showed life, and the task
    # queued to run it (so recovery does not queue a second one while the first still waits).
    state = models.JSONField(default=dict)
    cancel_requested = models.BooleanField(default=False)
    lease_token = models.CharField(max_length=64, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True)
    task_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"]), models.Index(fields=["-created_at", "id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class JobItem(models.Model):
    """One profile of a job's selection, recorded once when the job is created.

    A job pages through its items in profile id order, so whoever matches the filter later does
    not change what the job works on. `payload` keeps what an item needs beyond its id: an undo
    stores here the last state of each profile it deleted, so undoing the undo can re-create it.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items", db_index=False)  # led by the unique index
    profile_id = models.UUIDField()
    payload = models.JSONField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "profile_id"], name="job_item_unique")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.profile_id}"
