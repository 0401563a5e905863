"""The activity list: every event of every profile, including the change records."""

from django.db import models


class TransactionId(models.Func):
    """The id of the transaction evaluating it: PostgreSQL's pg_current_xact_id(); 0 elsewhere
    (SQLite commits its writers one at a time, so the event id alone is the stream order)."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra):
        return "0", []

    def as_postgresql(self, compiler, connection, **extra):
        return "(pg_current_xact_id()::text::bigint)", []


class Event(models.Model):
    """One entry of a profile's activity list.

    `profile.created` / `profile.updated` rows are the change log: they are written by the change
    service in the same transaction as the change they describe, and replaying them reproduces the
    profile (`dossier verify`).
    """

    # No index of their own: (profile, -id) leads with the profile, and a cause is only ever read
    # by the id of the event it names (workflow loop checks), so an index on it would only slow
    # every event write. A cause whose profile was deleted stays as the id it was.
    # Only a `profile.deleted` event has no profile: it outlives the erased profile, for the
    # consumers of the stream, and names it by id alone in its params (`profileId`).
    profile = models.ForeignKey("profiles.Profile", null=True, on_delete=models.CASCADE, related_name="events",
                                db_index=False)
    type = models.CharField(max_length=64)
    time = models.DateTimeField()
    source = models.CharField(max_length=16)
    actor = models.CharField(max_length=200)
    job = models.ForeignKey("jobs.Job", null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    caused_by = models.ForeignKey("self", null=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                  db_index=False)
    request_id = models.CharField(max_length=64, blank=True, default="")
    params = models.JSONField(default=dict)
    # The writing transaction's id, set by the database (dossier.activity.outbox): the stream order.
    tx = models.BigIntegerField(db_default=TransactionId(), editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["profile", "-id"]),
            models.Index(fields=["profile", "type", "-id"]),
            models.Index(fields=["tx", "id"], name="activity_event_stream"),
        ]  # the job's own foreign-key index serves "changed by job X" and undo

    def __str__(self) -> str:
        return f"{self.type} {self.profile_id}"


class ConsumerCursor(models.Model):
    """How far one consumer of the event stream has read (dossier.activity.outbox)."""

    name = models.CharField(max_length=64, unique=True)
    tx = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
