"""Use cases on forms: save a form definition, and submit a form as a customer.

A submission is a thin door to the change service: it finds or creates the profile by the form's
identifier, applies the mapped fields with `source: form` and records `form.submit` with every
submitted field in the same transaction, so a workflow never sees a submission whose profile
write did not commit (or the other way round).
"""

import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.services import NewEvent, record_events
from dossier.core.jsonvalues import check_json
from dossier.forms.models import Form
from dossier.profiles.attributes import AttributeRegistry, check_attribute_name
from dossier.profiles.models import AttributeDefinition
from dossier.profiles.changes import ChangeContext, WriteItem, WriteResult, apply_writes
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME, STANDARD_FIELDS
from dossier.profiles.services import parse_identity
from dossier.profiles.writes import normalize_tag, parse_write

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\Z")
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}\Z")
HONEYPOT = "homepage_url"  # a field people never see; bots that fill every input fill it
RESERVED_NAMES = frozenset({HONEYPOT, "formId"})
MAX_FIELDS = 50
IDENTIFIERS = tuple(Form.Identifier.values)
FORM_KEYS = ("slug", "name", "identifier", "fields", "addTags", "redirectUrl", "allowedOrigins")
READ_ONLY_KEYS = ("url", "createdAt", "updatedAt")


class FormRejected(Exception):
    """A form definition or a submission is refused; `errors` name the field at fault."""

    def __init__(self, errors: list[FieldError], status: int = 422):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        self.status = status


def form_json(form: Form) -> dict[str, Any]:
    return {"slug": form.slug, "name": form.name, "identifier": form.identifier, "fields": form.fields,
            "addTags": form.add_tags, "redirectUrl": form.redirect_url, "allowedOrigins": form.allowed_origins,
            "url": f"/f/{form.slug}", "createdAt": form.created_at.isoformat(), "updatedAt": form.updated_at.isoformat()}


def check_target(target: Any) -> None:
    """A field's target: a standard field, `attributes.NAME`, `agreements.CHANNEL` or none."""
    if target is None:
        return
    if not isinstance(target, str):
        raise InvalidValue("invalid_type", "a target is a profile field path or null")
    if target.startswith("attributes."):
        check_attribute_name(target[len("attributes."):])
    elif target.startswith("agreements."):
        if target[len("agreements."):] not in AGREEMENT_CHANNELS:
            raise InvalidValue("unknown_field", "agreement channels are email, sms, push and webPush")
    elif target not in FIELDS_BY_NAME:
        raise InvalidValue("unknown_field", "is not a profile field; custom attributes are named attributes.NAME")


def parse_form(data: Any) -> dict[str, Any]:
    """The form's model values from the API's JSON; raises FormRejected listing every problem."""
    if not isinstance(data, dict):
        raise FormRejected([FieldError("", "invalid_type", "a form is a JSON object", None)])
    errors: list[FieldError] = check_json(data)
    if errors:
        raise FormRejected(errors)
    for key in data:
        if key not in FORM_KEYS and key not in READ_ONLY_KEYS:
            errors.append(FieldError(key, "unknown_field", f"a form has {', '.join(FORM_KEYS)}", data[key]))
    slug, name = data.get("slug"), data.get("name")
    if not isinstance(slug, str) or not SLUG.match(slug):
        errors.append(FieldError("slug", "invalid_slug", "a slug is 1-64 lower-case letters, digits or '-'", slug))
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        errors.append(FieldError("name", "required", "a form has a name of 1-200 characters", name))
    identifier = data.get("identifier", "email")
    if identifier not in IDENTIFIERS:
        errors.append(FieldError("identifier", "invalid_choice", f"the identifier is one of {', '.join(IDENTIFIERS)}", identifier))
    fields = _fields(data.get("fields", []), identifier, errors)
    add_tags = []
    raw_tags = data.get("addTags", [])
    if not isinstance(raw_tags, list):
        errors.append(FieldError("addTags", "invalid_type", "a list of tag names", raw_tags))
        raw_tags = []
    for index, tag in enumerate(raw_tags):
        try:
            add_tags.append(normalize_tag(tag))
        except InvalidValue as exc:
            errors.append(FieldError(f"addTags[{index}]", exc.code, exc.message, tag))
    redirect_url = data.get("redirectUrl") or ""
    if redirect_url and not _is_http_url(redirect_url, path_allowed=True):
        errors.append(FieldError("redirectUrl", "invalid_url", "must be an absolute http(s) URL", redirect_url))
    origins = []
    raw_origins = data.get("allowedOrigins", [])
    if not isinstance(raw_origins, list):
        errors.append(FieldError("allowedOrigins", "invalid_type", "a list of origins such as https://shop.example.com", raw_origins))
        raw_origins = []
    for index, origin in enumerate(raw_origins):
        if not isinstance(origin, str) or not _is_http_url(origin.rstrip("/"), path_allowed=False):
            errors.append(FieldError(f"allowedOrigins[{index}]", "invalid_origin", "an origin is scheme://host[:port], without a path", origin))
        else:
            origins.append(origin.rstrip("/").lower())
    if errors:
        raise FormRejected(errors)
    return {"slug": slug, "name": name.strip(), "identifier": identifier, "fields": fields, "add_tags": add_tags,
            "redirect_url": redirect_url, "allowed_origins": origins}


def _is_http_url(text: Any, *, path_allowed: bool) -> bool:
    if not isinstance(text, str) or len(text) > 2048 or any(c.isspace() for c in text):
        return False
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return path_allowed or not (parts.path or parts.query or parts.fragment)


def _fields(raw: Any, identifier: str, errors: list[FieldError]) -> list[dict]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_FIELDS:
        errors.append(FieldError("fields", "invalid_type", f"a list of 1-{MAX_FIELDS} fields {{name, target, label?, required?}}", raw))
        return []
    fields, names, targets = [], set(), set()
    for index, item in enumerate(raw):
        here = f"fields[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError(here, "invalid_type", "a field is {name, target, label?, required?}", item))
            continue
        name, target = item.get("name"), item.get("target") or None
        label, required = item.get("label") or "", item.get("required", False)
        if not isinstance(name, str) or not FIELD_NAME.match(name) or name in RESERVED_NAMES:
            errors.append(FieldError(f"{here}.name", "invalid_name", "1-64 letters, digits, '_', '.' or '-', starting with a letter (not formId)", name))
        elif name in names:
            errors.append(FieldError(f"{here}.name", "duplicate", "another field has this name", name))
        else:
            names.add(name)
        try:
            check_target(target)
        except InvalidValue as exc:
            errors.append(FieldError(f"{here}.target", exc.code, exc.message, target))
        else:  # a text or None from here on, never an unhashable list
            if target is not None and target in targets:
                errors.append(FieldError(f"{here}.target", "duplicate", "another field fills this profile field", target))
            targets.add(target)
        if not isinstance(label, str) or len(label) > 200:
            errors.append(FieldError(f"{here}.label", "too_long", "a label is at most 200 characters", label))
        if not isinstance(required, bool):
            errors.append(FieldError(f"{here}.required", "invalid_type", "required is true or false", required))
        fields.append({"name": name, "label": label, "target": target, "required": bool(required) or target == identifier})
    if identifier in IDENTIFIERS and identifier not in targets:
        errors.append(FieldError("fields", "required", f"one field must fill the identifier '{identifier}'", None))
    return fields


def do_save_form(data: Any, *, slug: str | None = None) -> Form:
    """Create a form, or replace the form at `slug` (whose slug cannot change: workflows name it)."""
    values = parse_form(data)
    if slug is not None and values["slug"] != slug:
        raise FormRejected([FieldError("slug", "immutable", "a form's slug cannot change; workflows use it as formId", values["slug"])])
    with transaction.atomic():
        form = Form.objects.select_for_update().filter(slug=values["slug"]).first()
        if slug is None and form is not None:
            raise FormRejected([FieldError("slug", "taken", "another form has this slug", values["slug"])], status=409)
        form = form or Form()
        for key, value in values.items():
            setattr(form, key, value)
        form.save()
    return form


def field_path_choices() -> list[tuple[str, str]]:
    """Every profile field path a form field or a workflow may name, with its label (for pickers)."""
    choices = [(spec.name, spec.label) for spec in STANDARD_FIELDS]
    choices += [(f"agreements.{channel}", f"{channel} agreement") for channel in AGREEMENT_CHANNELS]
    choices += [(f"attributes.{name}", label or name) for name, label in AttributeDefinition.objects.values_list("name", "label")]
    return choices


def input_types(form: Form) -> dict[str, str]:
    """The HTML input type of each field of the hosted page, from its target."""
    names = [f["target"][len("attributes."):] for f in form.fields if (f["target"] or "").startswith("attributes.")]
    attribute_types = dict(AttributeDefinition.objects.filter(name__in=names).values_list("name", "type")) if names else {}
    by_type = {"integer": "number", "number": "number", "date": "date", "boolean": "checkbox", "datetime": "datetime-local"}
    types = {}
    for spec in form.fields:
        target = spec["target"] or ""
        if target.startswith("agreements."):
            types[spec["name"]] = "checkbox"
        elif target.startswith("attributes."):
            types[spec["name"]] = by_type.get(attribute_types.get(target[len("attributes."):]), "text")
        else:
            types[spec["name"]] = {"email": "email", "phone": "tel", "birthDate": "date", "avatarUrl": "url"}.get(target, "text")
    return types


@dataclass
class Submitted:
    result: WriteResult
    event: NewEvent


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def do_submit_form(form: Form, submitted: Mapping[str, Any], *, from_text: bool, request_id: str = "") -> Submitted:
    """Apply a submission: `submitted` maps field names to what was sent. An empty value leaves
    the profile's value as it is (an optional field left blank must not erase what is stored).
    Raises FormRejected with errors named by the form's field names."""
    errors: list[FieldError] = check_json(dict(submitted))
    if errors:
        raise FormRejected(errors)
    values: dict[str, Any] = {}
    name_of_target = {spec["target"]: spec["name"] for spec in form.fields if spec["target"]}
    for spec in form.fields:
        raw = submitted.get(spec["name"])
        if _blank(raw):
            if spec["required"]:
                errors.append(FieldError(spec["name"], "required", "this field is required", None))
        elif spec["target"]:
            values[spec["target"]] = raw
    identity = None
    if form.identifier in values:
        try:
            identity = parse_identity(form.identifier, values[form.identifier])
        except InvalidValue as exc:
            errors.append(FieldError(name_of_target[form.identifier], exc.code, exc.message, values[form.identifier]))
    registry = AttributeRegistry.load()
    write, write_errors = parse_write(values, registry=registry, add_tags=form.add_tags, from_text=from_text)
    known = {e.field for e in errors}
    errors += [_named(e, name_of_target) for e in write_errors if name_of_target.get(e.field) not in known]
    if errors:
        raise FormRejected(errors)
    ctx = ChangeContext(source=event_types.SOURCE_FORM, actor=f"form:{form.slug}", request_id=request_id)
    params = {key: value for key, value in submitted.items() if key != HONEYPOT}
    params["formId"] = form.slug
    with transaction.atomic():
        result = apply_writes([WriteItem(0, identity, write, create=True)], ctx, registry=registry)[0]
        if result.status in ("rejected", "skipped"):
            raise FormRejected([_named(e, name_of_target) for e in result.errors], status=result.http_status)
        event = NewEvent(profile_id=result.id, type=event_types.FORM_SUBMIT, time=timezone.now(), source=ctx.source,
                         actor=ctx.actor, params=params, request_id=request_id)
        record_events([event])
    return Submitted(result, event)


def _named(error: FieldError, name_of_target: dict[str, str]) -> FieldError:
    return FieldError(name_of_target.get(error.field, error.field), error.code, error.message, error.value)
