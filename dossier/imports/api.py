"""REST endpoints of imports (SPEC §6): start one with a multipart upload, follow it, fetch its rejects."""

import uuid
from pathlib import Path

from django.http import HttpRequest
from ninja import Router

from dossier.core.api import ApiError, idempotent, json_response, parse_json, require, require_content_type
from dossier.core.uploads import NoSpaceLeft, uploaded_file
from dossier.imports import openapi
from dossier.imports.mapping import OptionsRejected
from dossier.imports.models import Import, ImportFile
from dossier.imports.parsing import FileRejected
from dossier.imports.serializers import error_report_response, import_json
from dossier.imports.services import do_start_import, plan_for, store_file
from dossier.profiles.errors import FieldError

router = Router(tags=["imports"])


class _UploadRequest:
    """The request as `idempotent` sees it, with the upload's fingerprint standing in for its body.

    `idempotent` hashes `request.body`, which for a multipart upload is the whole file: too large to
    hold in memory, and already streamed to disk by the time the view runs. The options and the
    file's SHA-256 identify the request just as well.
    """

    def __init__(self, request: HttpRequest, fingerprint: bytes):
        self._request = request
        self.body = fingerprint

    def __getattr__(self, name):
        return getattr(self._request, name)


@router.post("/imports", summary="Import profiles from a CSV or JSON Lines file (multipart: file, options)",
             response={200: None, 202: None}, openapi_extra=openapi.START_IMPORT)
def create_import(request: HttpRequest):
    principal = require(request, "imports")
    require_content_type(request, "multipart/form-data")
    try:
        upload = uploaded_file(request, "file")
        if upload is None:
            raise ApiError(422, "validation_failed", "send the file as the multipart field 'file'",
                           [FieldError("file", "required", "is required", None)])
        raw_options = request.POST.get("options") or "{}"
        options = parse_json(raw_options, "options")
        import_file = store_file(upload.name, upload=upload, created_by=principal.actor)
    except NoSpaceLeft as exc:
        raise ApiError(507, "insufficient_storage", str(exc)) from None
    except FileRejected as exc:
        raise ApiError(422, "unusable_file", str(exc), [FieldError("file", "unusable_file", str(exc), upload.name)]) from None
    fingerprint = f"{import_file.sha256}\0{raw_options}".encode()
    try:
        response = _start(_UploadRequest(request, fingerprint), import_file, options)
    except Exception:
        _discard(import_file)
        raise
    if response.status_code >= 400 or response.headers.get("Idempotent-Replayed"):
        _discard(import_file)
    return response


@idempotent
def _start(request, import_file: ImportFile, options):
    try:
        plan, dry_run = plan_for(import_file, options)
    except OptionsRejected as exc:
        raise ApiError(422, "validation_failed", "the import's options are not valid", exc.errors) from None
    job = do_start_import(import_file, plan, dry_run=dry_run, actor=request.auth.actor, user=request.auth.user)
    return json_response(import_json(job.import_run), status=200 if job.is_finished else 202)


def _discard(import_file: ImportFile) -> None:
    """Forget a stored upload that started nothing (refused options, or a replayed request)."""
    if not import_file.runs.exists():
        Path(import_file.path).unlink(missing_ok=True)
        import_file.delete()


def _run(import_id: str) -> Import:
    try:
        run = Import.objects.select_related("job", "file").filter(job_id=uuid.UUID(import_id)).first()
    except ValueError:
        run = None
    if run is None:
        raise ApiError(404, "not_found", "no import has this id")
    return run


@router.get("/imports/{import_id}", summary="An import: status, progress, counts, rejected rows",
            response={200: None, 202: None}, openapi_extra=openapi.READ_IMPORT)
def get_import(request: HttpRequest, import_id: str):
    require(request, "imports")
    run = _run(import_id)
    return json_response(import_json(run), status=200 if run.job.is_finished else 202)


@router.get("/imports/{import_id}/errors.csv", summary="The rejected rows as uploaded, with row and error columns",
            openapi_extra=openapi.ERROR_REPORT)
def import_errors(request: HttpRequest, import_id: str):
    require(request, "imports")
    response = error_report_response(_run(import_id))
    if response is None:
        raise ApiError(404, "not_found", "this import rejected no row")
    return response
