"""An uploaded import file and each run over it (a dry run or the import itself), 1:1 with its job.

The run's cursor (byte offset and line of the next row, bytes of the error report written) lives
in `Job.state` and its counters in `Job.summary`: the job engine saves them in the transaction
that writes the chunk's profiles, so the data and the cursor that says it was written commit
together.
"""

import uuid

from django.db import models

from dossier.jobs.models import Job


class ImportFile(models.Model):
    """A file as uploaded, kept on disk, with what reading it taught: format, delimiter, header.

    The row outlives the bytes: `removed_at` says when an upload was deleted from the disk
    (`storage` says when that happens); its runs still show the file's name, size and columns.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    path = models.CharField(max_length=1024)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=8)  # csv or jsonl
    encoding = models.CharField(max_length=16)  # utf-8, or utf-8-sig when it starts with a BOM
    delimiter = models.CharField(max_length=1, blank=True, default="")
    columns = models.JSONField(default=list)
    sample = models.JSONField(default=list)
    data_offset = models.BigIntegerField(default=0)
    header_lines = models.PositiveIntegerField(default=0)
    lines = models.BigIntegerField(default=0)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Import(models.Model):
    """One run of the import engine over a file, with its resolved options."""

    job = models.OneToOneField(Job, primary_key=True, on_delete=models.CASCADE, related_name="import_run")
    file = models.ForeignKey(ImportFile, on_delete=models.CASCADE, related_name="runs")
    options = models.JSONField()
    dry_run = models.BooleanField(default=False)
    error_report = models.CharField(max_length=1024, blank=True, default="")

    def __str__(self) -> str:
        return f"import {self.job_id} of {self.file.name}"
