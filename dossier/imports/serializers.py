"""Imports as the API's JSON (the file, the resolved options, progress, counts, rejected rows) and
the error report as a download."""

from pathlib import Path

from django.http import FileResponse

from dossier.imports.models import Import
from dossier.imports.parsing import DELIMITER_NAMES
from dossier.imports.services import STATUSES


def _time(value) -> str | None:
    return value.isoformat() if value else None


def import_json(run: Import) -> dict:
    job, file = run.job, run.file
    offset = job.state.get("offset", file.data_offset)
    summary = job.summary
    return {
        "id": str(job.id),
        "status": job.status,
        "dryRun": run.dry_run,
        "file": {"name": file.name, "size": file.size, "format": file.format, "encoding": file.encoding,
                 "delimiter": DELIMITER_NAMES.get(file.delimiter), "columns": file.columns},
        "options": run.options,
        "progress": {"rows": job.processed, "estimatedRows": job.total, "bytesRead": offset, "bytesTotal": file.size,
                     "percent": 100 if job.is_finished else round(100 * offset / file.size, 1) if file.size else 0},
        "counts": {status: summary.get(status, 0) for status in STATUSES},
        "valuesSkipped": summary.get("valuesSkipped", 0),
        "notImported": [{"column": c["column"], "header": c["header"], "reason": c["reason"]}
                        for c in run.options.get("columns", []) if c["target"] == "ignore"],
        "read": summary.get("scan"),
        "attributes": summary.get("attributes", {}),
        "sample": summary.get("sample", []),
        "errors": job.errors,
        "failure": summary.get("error"),
        "errorReport": f"/api/v1/imports/{job.id}/errors.csv" if run.error_report else None,
        "createdBy": job.created_by,
        "createdAt": _time(job.created_at),
        "startedAt": _time(job.started_at),
        "finishedAt": _time(job.finished_at),
        "links": {"job": f"/api/v1/jobs/{job.id}", "undo": f"/api/v1/jobs/{job.id}/undo", "page": f"/imports/{job.id}/"},
    }


def error_report_response(run: Import) -> FileResponse | None:
    """The CSV of rejected rows as an attachment; None when the run rejected no row."""
    if not run.error_report or not Path(run.error_report).exists():
        return None
    return FileResponse(open(run.error_report, "rb"), content_type="text/csv; charset=utf-8", as_attachment=True,
                        filename=f"{Path(run.file.name).stem}-rejected-rows.csv")
