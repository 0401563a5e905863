"""Helpers for import tests: files written on the fly and posted to POST /api/v1/imports."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dossier.activity.models import Event


def csv_bytes(*lines: str, newline: str = "\n", bom: bool = False) -> bytes:
    data = newline.join(lines).encode() + newline.encode()
    return (b"\xef\xbb\xbf" if bom else b"") + data


@pytest.fixture
def upload(api):
    """POST a file to /imports with the given options; returns the response."""

    def post(content: bytes, options: dict | None = None, *, name: str = "people.csv", client=None, headers=None):
        data = {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
        if options is not None:
            data["options"] = json.dumps(options)
        return (client or api).client.post("/api/v1/imports", data, headers=headers or {})

    return post


def import_events(job_id) -> list[Event]:
    return list(Event.objects.filter(job_id=job_id).order_by("id"))
