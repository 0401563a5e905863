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
    COMPANY,
    ID,
    IGNORE,
    LEAVE,
    POLICIES,
    REJECT_ROW,
    SKIP_VALUE,
    TAG_SEPARATORS,
    TAGS,
    ImportPlan,
    OptionsRejected,
    default_identifier,
    resolve_columns,
)
from dossier.imports.models import Import, ImportFile
from dossier.imports.parsing import DELIMITER_NAMES, JSONL, FileRejected
from dossier.imports.serializers import error_report_response
from dossier.imports.services import STATUSES, do_start_import, plan_for, store_file
from dossier.imports.storage import UploadRemoved
from dossier.jobs.views import undo_context
from dossier.profiles.labels import attribute_definitions, describe_change, path_labels
from dossier.profiles.attributes import TYPES
from dossier.profiles.fields import AGREEMENT_CHANNELS, IDENTIFIER_FIELDS, STANDARD_FIELDS
from dossier.profiles.forms import CHANNEL_LABELS
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


def _targets(attributes: dict[str, tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of a column's target, grouped as the mapping page shows them; custom
    attributes by label, the key in brackets when it differs."""
    by_label = sorted(attributes.items(), key=lambda item: (item[1][1] or item[0]).lower())
    return [
        ("", [(IGNORE, "Do not import this column")]),
        ("Profile fields", [(f.name, f.label) for f in STANDARD_FIELDS]
         + [(ID, "Profile id (Dossier's)"), (COMPANY, "Company (by name)"), ("companyId", "Company id")]),
        ("Tags and agreements", [(TAGS, "Tags")]
         + [(f"agreements.{c}", f"Agreement: {CHANNEL_LABELS[c]}") for c in AGREEMENT_CHANNELS]),
        ("Custom attributes", [(f"attributes.{name}", f"{label} ({name})" if label and label != name else name)
                               for name, (_, label) in by_label]
         + [(NEW_ATTRIBUTE, "New custom attribute…")]),
    ]


def _form_options(post, import_file: ImportFile, suggested: list) -> dict:
    """The API's options from the mapping form: a column goes in the mapping only where the person
    changed what was suggested, so the others keep their reasons (repeated header, no field...)."""
    mapping = {}
    for column in suggested:
        number = column.position
        target = post.get(f"target-{number}", column.target)
        spec = {"target": target}
        if target == NEW_ATTRIBUTE:
            spec["target"] = f"attributes.{post.get(f'attribute-{number}', '').strip()}"
        if spec["target"].startswith("attributes.") and post.get(f"type-{number}"):
            spec["type"] = post.get(f"type-{number}")
        if post.get(f"policy-{number}", "always") != "always":
            spec["policy"] = post[f"policy-{number}"]
        if post.get(f"date-format-{number}", "").strip():
            spec["dateFormat"] = post[f"date-format-{number}"].strip()
        if spec != {"target": column.target} or (target == NEW_ATTRIBUTE):
            mapping[f"#{number + 1}"] = spec
    add_tags = [t.strip() for t in post.get("add_tags", "").split(",") if t.strip()]
    options = {"identifier": post.get("identifier"), "mapping": mapping, "emptyCells": post.get("empty_cells", LEAVE),
               "createNew": post.get("create_new") == "on", "addTags": add_tags, "dryRun": post.get("action") != "start",
               "invalidValues": post.get("invalid_values", SKIP_VALUE), "keepUnmapped": post.get("keep_unmapped") == "on"}
    if post.get("tag_separator"):
        options["tagSeparator"] = post["tag_separator"]
    if post.get("phone_region", "").strip():
        options["phoneRegion"] = post["phone_region"].strip()
    return options


@browser_page()
def import_mapping(request, file_id):
    import_file = get_object_or_404(ImportFile, id=file_id)
    if import_file.removed_at is not None:
        return _list_page(request, str(UploadRemoved(import_file)), status=410)
    attributes = {name: (type_, label) for name, type_, label in AttributeDefinition.objects.values_list("name", "type", "label")}
    suggested = resolve_columns({}, import_file.columns, attributes, typed_values=import_file.format == JSONL,
                                sample=import_file.sample)
    errors = []
    posted = request.POST if request.method == "POST" else None
    if posted is not None:
        try:
            plan, dry_run = plan_for(import_file, _form_options(posted, import_file, suggested))
            job = do_start_import(import_file, plan, dry_run=dry_run, actor=_actor(request), user=request.user)
        except OptionsRejected as exc:
            errors = exc.errors
        except UploadRemoved as exc:
            return _list_page(request, str(exc), status=410)
        else:
            return redirect("import-detail", import_id=job.id)
    field = posted.get if errors else (lambda name, default=None: default)
    return render(request, "imports/mapping.html", {
        "nav": "imports", "file": import_file, "errors": errors,
        "rows": _mapping_rows(import_file, suggested, attributes, posted if errors else None),
        "targets": _targets(attributes), "types": TYPES, "policies": [(p, POLICY_LABELS[p]) for p in POLICIES],
        "identifiers": IDENTIFIER_FIELDS, "delimiter": DELIMITER_NAMES.get(import_file.delimiter),
        "identifier": field("identifier") or default_identifier([c.target for c in suggested]),
        "empty_cells": field("empty_cells", LEAVE), "clear": CLEAR,
        "create_new": posted.get("create_new") == "on" if errors else True,
        "invalid_values": field("invalid_values", SKIP_VALUE), "skip_value": SKIP_VALUE, "reject_row": REJECT_ROW,
        "tag_separators": TAG_SEPARATORS, "tag_separator": field("tag_separator", ""),
        "phone_region": field("phone_region", ""), "keep_unmapped": field("keep_unmapped") == "on",
        "add_tags": field("add_tags", ""), "can_edit": may_edit(request),
        "ignored": [c for c in suggested if c.target == IGNORE],
    }, status=422 if errors else 200)


def _mapping_rows(import_file: ImportFile, suggested: list, attributes: dict, posted) -> list[dict]:
    rows = []
    for column in suggested:
        number = column.position
        target = posted.get(f"target-{number}", column.target) if posted is not None else column.target
        attribute_type = attributes.get(target[len("attributes."):], ("", ""))[0] if target.startswith("attributes.") else ""
        rows.append({
            "number": number, "name": column.label, "display_number": number + 1, "target": target,
            "reason": column.reason, "derived": _derived_note(column.target),
            "samples": [row[number] for row in import_file.sample if number < len(row)][:3],
            "policy": posted.get(f"policy-{number}", "always") if posted else "always",
            "attribute": posted.get(f"attribute-{number}", "") if posted else "",
            "type": (posted.get(f"type-{number}", "") if posted else "") or attribute_type or (column.type or ""),
            "date_format": posted.get(f"date-format-{number}", "") if posted else "",
        })
    return rows


def _derived_changes(samples: list[dict], plan: ImportPlan) -> list[str]:
    """Why the samples change fields no column was mapped to: Dossier derives them."""
    mapped = {column.target for column in plan.columns}
    changed = {change["attribute"] for sample in samples for change in sample["changes"]}
    if "anonymousType" in changed and "anonymousType" not in mapped:
        return ["Anonymous type is not in the file: a profile that gets an email, phone or customId becomes "
                "recognized, so Dossier sets it."]
    return []


def _derived_note(target: str) -> str:
    if target in ("email", "customId"):
        return "Profiles that get an email or customId become recognized (anonymousType)."
    return ""


@browser_page()
def import_detail(request, import_id):
    run = get_object_or_404(Import.objects.select_related("job", "file"), job_id=import_id)
    job = run.job
    plan = ImportPlan.from_json(run.options)
    counts = [(status, job.summary.get(status, 0)) for status in STATUSES]
    offset = job.state.get("offset", run.file.data_offset)
    can_edit = may_edit(request)
    labels = path_labels(attribute_definitions())
    samples = [{**sample, "changes": [describe_change(c, labels) for c in sample["changes"]]}
               for sample in job.summary.get("sample", [])]
    return render(request, "imports/detail.html", {
        "nav": "imports", "run": run, "job": job, "counts": counts, "can_edit": can_edit,
        **(undo_context(job, can_edit) if not run.dry_run else {}),
        "attributes": sorted(job.summary.get("attributes", {}).items()), "errors": job.errors[:50],
        "plan": plan, "percent": round(100 * offset / run.file.size) if run.file.size else 0,
        "read": job.summary.get("scan") or {}, "not_imported": [c for c in plan.columns if c.target == IGNORE],
        "samples": samples,
        "derived": _derived_changes(samples, plan),
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
