"""Browser pages of imports: upload, mapping, dry-run summary, progress and result (SPEC §6, §8).

The pages are a thin door: the upload is kept by `store_file`, the mapping form becomes the same
options the API takes (`parse_options`), and runs start with `do_start_import`. Progress is read
by imports.js from `GET /api/v1/imports/{id}`; Undo posts to the jobs API.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dossier.accounts.access import browser_page, may_edit
from dossier.core.uploads import NoSpaceLeft, uploaded_file
from dossier.imports.mapping import (
    CLEAR,
    ID,
    IGNORE,
    LEAVE,
    POLICIES,
    TAGS,
    ImportPlan,
    OptionsRejected,
    auto_target,
    default_identifier,
)
from dossier.imports.models import Import, ImportFile
from dossier.imports.parsing import DELIMITER_NAMES, FileRejected
from dossier.imports.serializers import error_report_response
from dossier.imports.services import STATUSES, do_start_import, plan_for, store_file
from dossier.imports.storage import UploadRemoved
from dossier.profiles.attributes import TYPES
from dossier.profiles.fields import AGREEMENT_CHANNELS, IDENTIFIER_FIELDS, STANDARD_FIELDS
from dossier.profiles.models import AttributeDefinition

NEW_ATTRIBUTE = "new-attribute"
RECENT = 30
POLICY_LABELS = {"always": "Always overwrite", "ifEmpty": "Only fill empty values", "never": "Only for new profiles"}


def _actor(request) -> str:
    return f"user:{request.user.get_username()}"


@browser_page()
def import_list(request):
    if request.method != "POST":
        return _list_page(request)
    try:
        upload = uploaded_file(request, "file")
        if upload is None:
            return _list_page(request, "Choose a CSV or JSON Lines file to upload.", status=422)
        import_file = store_file(upload.name, upload=upload, created_by=_actor(request))
    except NoSpaceLeft as exc:
        return _list_page(request, f"The upload failed: {exc}", status=507)
    except FileRejected as exc:
        return _list_page(request, f"{upload.name}: {exc}", status=422)
    return redirect("import-mapping", file_id=import_file.id)


def _list_page(request, error: str | None = None, status: int = 200):
    runs = Import.objects.select_related("job", "file").order_by("-job__created_at")[:RECENT]
    return render(request, "imports/list.html", {"nav": "imports", "runs": runs, "error": error,
                                                 "can_edit": may_edit(request)}, status=status)


def _targets(attributes: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of a column's target, grouped as the mapping page shows them."""
    return [
        ("", [(IGNORE, "Ignore this column")]),
        ("Profile fields", [(f.name, f.label) for f in STANDARD_FIELDS] + [(ID, "Profile id"), ("companyId", "Company id")]),
        ("Tags and agreements", [(TAGS, "Tags (separated by ;)")]
         + [(f"agreements.{c}", f"Agreement: {c}") for c in AGREEMENT_CHANNELS]),
        ("Custom attributes", [(f"attributes.{name}", name) for name in attributes] + [(NEW_ATTRIBUTE, "New custom attribute…")]),
    ]


def _form_options(post, columns: list[str]) -> dict:
    mapping = {}
    for number, name in enumerate(columns):
        target = post.get(f"target-{number}", IGNORE)
        spec = {"target": target, "policy": post.get(f"policy-{number}", "always")}
        if target == NEW_ATTRIBUTE:
            spec["target"] = f"attributes.{post.get(f'attribute-{number}', '').strip()}"
        if spec["target"].startswith("attributes."):
            spec["type"] = post.get(f"type-{number}") or None
        mapping[name] = spec
    add_tags = [t.strip() for t in post.get("add_tags", "").split(",") if t.strip()]
    return {"identifier": post.get("identifier"), "mapping": mapping, "emptyCells": post.get("empty_cells", LEAVE),
            "createNew": post.get("create_new") == "on", "addTags": add_tags, "dryRun": post.get("action") != "start"}


@browser_page()
def import_mapping(request, file_id):
    import_file = get_object_or_404(ImportFile, id=file_id)
    if import_file.removed_at is not None:
        return _list_page(request, str(UploadRemoved(import_file)), status=410)
    attributes = dict(AttributeDefinition.objects.values_list("name", "type"))
    errors = []
    if request.method == "POST":
        try:
            plan, dry_run = plan_for(import_file, _form_options(request.POST, import_file.columns))
            job = do_start_import(import_file, plan, dry_run=dry_run, actor=_actor(request), user=request.user)
        except OptionsRejected as exc:
            errors = exc.errors
        except UploadRemoved as exc:
            return _list_page(request, str(exc), status=410)
        else:
            return redirect("import-detail", import_id=job.id)
    return render(request, "imports/mapping.html", {
        "nav": "imports", "file": import_file, "errors": errors,
        "rows": _mapping_rows(import_file, attributes, request.POST if errors else None),
        "targets": _targets(sorted(attributes)), "types": TYPES, "policies": [(p, POLICY_LABELS[p]) for p in POLICIES],
        "identifiers": IDENTIFIER_FIELDS, "delimiter": DELIMITER_NAMES.get(import_file.delimiter),
        "identifier": request.POST.get("identifier") if errors else
        default_identifier([auto_target(c, attributes) for c in import_file.columns]),
        "empty_cells": request.POST.get("empty_cells", LEAVE), "clear": CLEAR,
        "create_new": request.POST.get("create_new") == "on" if errors else True,
        "add_tags": request.POST.get("add_tags", ""), "can_edit": may_edit(request),
    }, status=422 if errors else 200)


def _mapping_rows(import_file: ImportFile, attributes: dict, posted) -> list[dict]:
    rows = []
    for number, name in enumerate(import_file.columns):
        target = auto_target(name, attributes)
        if posted is not None:
            target = posted.get(f"target-{number}", target)
        rows.append({
            "number": number, "name": name, "target": target,
            "samples": [row[number] for row in import_file.sample if number < len(row)][:3],
            "policy": posted.get(f"policy-{number}", "always") if posted else "always",
            "attribute": posted.get(f"attribute-{number}", "") if posted else "",
            "type": (posted.get(f"type-{number}", "") if posted else "") or attributes.get(target[len("attributes."):], ""),
        })
    return rows


@browser_page()
def import_detail(request, import_id):
    run = get_object_or_404(Import.objects.select_related("job", "file"), job_id=import_id)
    job = run.job
    counts = [(status, job.summary.get(status, 0)) for status in STATUSES]
    offset = job.state.get("offset", run.file.data_offset)
    return render(request, "imports/detail.html", {
        "nav": "imports", "run": run, "job": job, "counts": counts, "can_edit": may_edit(request),
        "attributes": sorted(job.summary.get("attributes", {}).items()), "errors": job.errors[:50],
        "plan": ImportPlan.from_json(run.options), "percent": round(100 * offset / run.file.size) if run.file.size else 0,
    })


@require_POST
@browser_page()
def import_start(request, import_id):
    """Start the real import with the file and options of a finished dry run."""
    dry_run = get_object_or_404(Import.objects.select_related("file"), job_id=import_id, dry_run=True)
    try:
        job = do_start_import(dry_run.file, ImportPlan.from_json(dry_run.options), dry_run=False,
                              actor=_actor(request), user=request.user)
    except UploadRemoved as exc:
        return _list_page(request, str(exc), status=410)
    return redirect("import-detail", import_id=job.id)


@browser_page()
def import_errors(request, import_id):
    response = error_report_response(get_object_or_404(Import.objects.select_related("file"), job_id=import_id))
    if response is None:
        raise Http404("this import rejected no row")
    return response
