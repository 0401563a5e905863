"""Workflows, their versions, their runs and the outbox of events waiting to be matched.

A workflow's definition lives in immutable `WorkflowVersion` rows; the workflow points at its
current version by number and a run keeps the version it started with. `PendingTrigger` is the
transactional outbox: `dispatch.queue_triggers` inserts one row per event that some enabled
workflow may listen to, in the transaction that records the event, so a trigger survives any
crash after the commit. The engine turns those rows into `WorkflowRun`s, one per workflow and
event (a unique constraint, whatever the number of workers), and advances the runs.
"""

from django.db import models


class Workflow(models.Model):
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    # The current version's trigger event type, kept here so `queue_triggers` reads one tiny index.
    trigger_event = models.CharField(max_length=64)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["enabled", "trigger_event"])]

    def __str__(self) -> str:
        return self.name

    @property
    def actor(self) -> str:
        return f"workflow:{self.id}"


class WorkflowVersion(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_unique")]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.number}"


class WorkflowRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        DONE = "done", "Done"
        FILTERED = "filtered", "Filtered out"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed"

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(WorkflowVersion, on_delete=models.CASCADE, related_name="runs")
    # The triggering event; no constraint, so erasing a profile's events never blocks on its runs.
    event_id = models.BigIntegerField()
    profile = models.ForeignKey("profiles.Profile", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    position = models.PositiveSmallIntegerField(default=0)  # the index of the next node to run
    resume_at = models.DateTimeField(null=True)
    reason = models.CharField(max_length=500, blank=True, default="")
    log = models.JSONField(default=list)
    changes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)

    class Meta:
        # Led by event_id, so the same index answers "which runs did this event start".
        constraints = [models.UniqueConstraint(fields=["event_id", "workflow"], name="workflow_run_once_per_event")]
        indexes = [
            models.Index(fields=["status", "resume_at"]),
            models.Index(fields=["workflow", "-id"]),
            models.Index(fields=["workflow", "profile", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"run {self.id} of workflow {self.workflow_id} ({self.status})"


class PendingTrigger(models.Model):
    """An event waiting to be matched against the enabled workflows (the outbox)."""

    event_id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"])]
