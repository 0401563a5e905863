"""Browser pages of forms: the hosted public page `/f/<slug>` and the list and editor.

The public page is a plain HTML form that works without JavaScript; the same URL takes the
submission, form-encoded from the page or JSON from a site's own script (CORS for the form's
allowed origins). It is CSRF-exempt by design: anyone may submit, nobody's session is used.
Abuse is refused with a clear status before any work: another site's origin 403, a large body
413, too many submissions from one address 429, a filled honeypot 400; a validation error
re-renders the page with the messages beside the fields (or a JSON 422 for JSON clients).
"""

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from dossier.accounts.access import browser_page, may_edit
from dossier.core.api import error_response
from dossier.core.middleware import CONTENT_SECURITY_POLICY
from dossier.core.weburls import web_origin
from dossier.forms import ratelimit
from dossier.forms.consent import do_confirm_consent, open_link
from dossier.forms.models import Form
from dossier.forms.services import (
    HONEYPOT,
    IDENTIFIERS,
    FormRejected,
    do_save_form,
    do_submit_form,
    field_path_choices,
    input_types,
)
from dossier.profiles.errors import FieldError
from dossier.profiles.forms import CHANNEL_LABELS

MAX_BODY_BYTES = 64 * 1024
EXTRA_KEYS = 5  # beyond the form's fields: the honeypot, a site script's own few (utm_source...)
BLANK_ROWS = 3


# --- the public page ---------------------------------------------------------------------------

def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.content_type == "application/json" or ("application/json" in accept and "text/html" not in accept)


def _origin_allowed(request: HttpRequest, form: Form) -> tuple[bool, str]:
    """(allowed, origin to echo in CORS headers). No Origin header, or our own host (whatever
    scheme a proxy in front of us terminated), is allowed."""
    origin = request.headers.get("Origin")
    if not origin or urlsplit(origin).netloc == request.get_host():
        return True, ""
    allowed = origin.rstrip("/").lower() in form.allowed_origins
    return allowed, origin if allowed else ""


def _with_cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Vary"] = "Origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    return response


def _page_policy(form: Form) -> str:
    """The default policy, with the form's redirect target allowed as where the form may lead
    (only as an origin rebuilt from validated parts: nothing of it can add a directive)."""
    targets = "'self'"
    origin = web_origin(form.redirect_url)
    if origin:
        targets += f" {origin}"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action {targets}")


def _render_page(request: HttpRequest, form: Form, *, values: dict | None = None, errors: list[FieldError] = (),
                 message: str = "", status: int = 200) -> HttpResponse:
    types = input_types(form)
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error.message)
    values = values or {}
    fields = [{"name": spec["name"], "label": spec["label"] or spec["name"].replace("_", " ").capitalize(),
               "type": types[spec["name"]], "required": spec["required"], "value": _shown(values.get(spec["name"])),
               "errors": by_field.get(spec["name"], []), "id": f"field-{index}"}
              for index, spec in enumerate(form.fields)]
    other = [e.message for e in errors if e.field not in {f["name"] for f in fields}]
    response = render(request, "forms/public.html", {"form": form, "fields": fields, "errors": errors,
                                                      "other_errors": other, "message": message,
                                                      "honeypot": HONEYPOT}, status=status)
    response["Content-Security-Policy"] = _page_policy(form)
    return response


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _refuse(request: HttpRequest, form: Form, status: int, code: str, message: str, origin: str = "") -> HttpResponse:
    if _wants_json(request):
        response = error_response(status, code, message)
    else:
        response = _render_page(request, form, message=message, status=status)
    if status == 429:
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
    return _with_cors(response, origin)


def _read_submission(request: HttpRequest) -> tuple[dict[str, Any], bool]:
    """The submitted fields and whether they came as text (a form post) rather than JSON."""
    if request.content_type == "application/json":
        data = json.loads(request.body or b"null")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object of field: value")
        return data, False
    if request.content_type == "application/x-www-form-urlencoded":
        # Django reads undecodable bytes as U+FFFD; a submission must say what it means.
        parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    submitted = {}
    for key in request.POST:
        items = request.POST.getlist(key)
        submitted[key] = items[0] if len(items) == 1 else items
    return submitted, True


@csrf_exempt
def public_form(request: HttpRequest, slug: str) -> HttpResponse:
    form = Form.objects.filter(slug=slug).first()
    if form is None:
        if _wants_json(request):
            return error_response(404, "not_found", "no form has this address")
        raise Http404("no form has this address")
    allowed, origin = _origin_allowed(request, form)
    if request.method == "OPTIONS":
        if not allowed:
            return _with_cors(HttpResponse(status=403), "")
        response = _with_cors(HttpResponse(status=204), origin)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response["Access-Control-Max-Age"] = "600"
        return response
    if request.method in ("GET", "HEAD"):
        return _render_page(request, form)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST", "OPTIONS"])
    if not allowed:
        return _refuse(request, form, 403, "origin_not_allowed", "this form does not accept submissions from your site")
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return _refuse(request, form, 413, "body_too_large", f"a submission is at most {MAX_BODY_BYTES // 1024} KB", origin)
    if not ratelimit.allow(request.META.get("REMOTE_ADDR", "")):
        return _refuse(request, form, 429, "rate_limited", "too many submissions from your address; try again in a minute", origin)
    try:
        too_large = len(request.body) > MAX_BODY_BYTES  # read first, so the size is known before parsing
    except RequestDataTooBig:
        too_large = True
    if too_large:
        return _refuse(request, form, 413, "body_too_large", f"a submission is at most {MAX_BODY_BYTES // 1024} KB", origin)
    try:
        submitted, from_text = _read_submission(request)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        return _refuse(request, form, 400, "malformed_body", f"the submission cannot be read: {exc}", origin)
    if submitted.get(HONEYPOT):
        return _refuse(request, form, 400, "spam_suspected", "the submission was refused as automated", origin)
    if len(submitted) > len(form.fields) + EXTRA_KEYS:
        return _refuse(request, form, 400, "too_many_fields",
                       f"this form has {len(form.fields)} fields; a submission sends at most {EXTRA_KEYS} more", origin)
    try:
        do_submit_form(form, submitted, from_text=from_text, request_id=getattr(request, "request_id", ""),
                       link_base=public_base_url(request))
    except FormRejected as exc:
        if _wants_json(request):
            code = "conflict" if exc.status == 409 else "validation_failed"
            return _with_cors(error_response(exc.status, code, f"the submission is not valid: {exc}", exc.errors), origin)
        return _with_cors(_render_page(request, form, values=submitted, errors=exc.errors, status=exc.status), origin)
    if _wants_json(request):
        return _with_cors(JsonResponse({"status": "received", "redirectUrl": form.redirect_url or None}, status=201), origin)
    if form.redirect_url:
        return _with_cors(_see_other(form.redirect_url), origin)
    response = render(request, "forms/thanks.html", {"form": form})
    return _with_cors(response, origin)


def public_base_url(request: HttpRequest) -> str:
    """Where a link in a message should point: DOSSIER_PUBLIC_URL, else the address the visitor
    used (its host checked against ALLOWED_HOSTS by `get_host`)."""
    return settings.PUBLIC_URL or f"{request.scheme}://{request.get_host()}"


@csrf_exempt
def confirm_consent(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The link of a double opt-in: GET shows what it confirms and a button (mail scanners open
    links; only a person presses the button), POST confirms."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST":
        outcome = do_confirm_consent(token, request_id=getattr(request, "request_id", ""))
    else:
        outcome = open_link(token)
    if outcome.form is not None and outcome.form.slug != slug:
        outcome = open_link("")
    status = {"invalid": 404, "expired": 410}.get(outcome.status, 200)
    channels = ", ".join(CHANNEL_LABELS[c].lower() for c in outcome.channels)
    return render(request, "forms/confirm.html", {"outcome": outcome, "channels": channels, "form": outcome.form,
                                                  "days": settings.CONSENT_LINK_DAYS}, status=status)


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


# --- the list and the editor -------------------------------------------------------------------

@browser_page()
def form_list(request: HttpRequest) -> HttpResponse:
    return render(request, "forms/list.html", {"nav": "forms", "forms": Form.objects.all(), "may_edit": may_edit(request)})


def _editor_rows(fields: list[dict]) -> list[dict]:
    rows = [{**spec, "index": index} for index, spec in enumerate(fields)]
    rows += [{"name": "", "label": "", "target": "", "required": False, "index": len(rows) + i} for i in range(BLANK_ROWS)]
    return rows


def _posted_form(post) -> tuple[dict, list[int]]:
    """The editor's post as the API's form JSON, and the row number of each field kept."""
    fields, rows = [], []
    index = 0
    while f"field-{index}-name" in post:
        name = post.get(f"field-{index}-name", "").strip()
        if name:
            fields.append({"name": name, "label": post.get(f"field-{index}-label", "").strip(),
                           "target": post.get(f"field-{index}-target", "").strip() or None,
                           "required": post.get(f"field-{index}-required") == "on",
                           "policy": "always" if post.get(f"field-{index}-overwrite") == "on" else "ifEmpty"})
            rows.append(index)
        index += 1
    data = {"slug": post.get("slug", "").strip(), "name": post.get("name", ""), "identifier": post.get("identifier", ""),
            "fields": fields, "addTags": [t.strip() for t in post.get("addTags", "").split(",") if t.strip()],
            "redirectUrl": post.get("redirectUrl", "").strip(),
            "allowedOrigins": [o.strip() for o in post.get("allowedOrigins", "").splitlines() if o.strip()],
            "singleOptIn": post.get("singleOptIn") == "on"}
    return data, rows


def _row_labels(errors: list[FieldError], rows: list[int]) -> list[str]:
    """Errors as sentences, `fields[2].target` named by the editor's row (`Field 3, target`)."""
    labels = []
    for error in errors:
        name = error.field
        if name.startswith("fields[") and "]" in name:
            position = int(name[len("fields["):name.index("]")])
            rest = name[name.index("]") + 1:].lstrip(".")
            name = f"Field {rows[position] + 1}" + (f", {rest}" if rest else "") if position < len(rows) else name
        labels.append(f"{name}: {error.message}" if name else error.message)
    return labels


def _editor(request: HttpRequest, form: Form | None, data: dict | None = None, errors: list[str] = (),
            status: int = 200) -> HttpResponse:
    if data is None:
        data = {"slug": form.slug, "name": form.name, "identifier": form.identifier, "fields": form.fields,
                "addTags": form.add_tags, "redirectUrl": form.redirect_url, "allowedOrigins": form.allowed_origins,
                "singleOptIn": form.single_opt_in} if form else \
               {"slug": "", "name": "", "identifier": "email", "fields": [{"name": "email", "label": "Email", "target": "email", "required": True}],
                "addTags": [], "redirectUrl": "", "allowedOrigins": [], "singleOptIn": False}
    context = {"nav": "forms", "form": form, "data": data, "rows": _editor_rows(data["fields"]), "errors": errors,
               "identifiers": IDENTIFIERS, "targets": field_path_choices(), "may_edit": may_edit(request),
               "add_tags": ", ".join(data["addTags"]), "origins": "\n".join(data["allowedOrigins"]),
               "is_admin": request.role == "admin"}
    return render(request, "forms/edit.html", context, status=status)


def _editor_page(request: HttpRequest, form: Form | None) -> HttpResponse:
    """The editor of `form` (None: a new one); a post saves it and comes back to it."""
    if request.method != "POST":
        return _editor(request, form)
    data, rows = _posted_form(request.POST)
    try:
        saved = do_save_form(data, slug=form.slug if form else None, may_grant_single_opt_in=request.role == "admin")
    except FormRejected as exc:
        return _editor(request, form, data, _row_labels(exc.errors, rows), status=exc.status)
    done = "saved" if form else f"created. Its public page is /f/{saved.slug}"
    messages.success(request, f"Form “{saved.name}” {done}.")
    return redirect("form-edit", slug=saved.slug)


@browser_page()
def form_new(request: HttpRequest) -> HttpResponse:
    return _editor_page(request, None)


@browser_page()
def form_edit(request: HttpRequest, slug: str) -> HttpResponse:
    form = Form.objects.filter(slug=slug).first()
    if form is None:
        raise Http404("no form has this slug")
    return _editor_page(request, form)


@browser_page()
def form_delete(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    deleted, _ = Form.objects.filter(slug=slug).delete()
    if not deleted:
        raise Http404("no form has this slug")
    messages.success(request, f"Form {slug} deleted.")
    return redirect("forms")
