"""Cross-cutting records: idempotency keys of the API."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a POST that carried an Idempotency-Key, replayed on a repeat."""

    principal = models.CharField(max_length=200)
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_unique")]
