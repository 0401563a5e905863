"""Use cases on forms: save a form definition, and submit a form as a customer.

A submission is a thin door to the change service: it finds or creates the profile by the form's
identifier, applies the mapped fields with `source: form` and records `form.submit` with every
submitted field in the same transaction, so a workflow never sees a submission whose profile
write did not commit (or the other way round).
"""

import re
from dataclasses import dataclass
from typing import Any, Mapping

from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.services import NewEvent, record_events
from dossier.core.jsonvalues import check_json
from dossier.core.weburls import is_http_url
from dossier.forms.consent import request_consent
from dossier.forms.models import ConsentRequest, Form
from dossier.profiles.attributes import AttributeRegistry, check_attribute_name
from dossier.profiles.models import AttributeDefinition, Profile
from dossier.profiles.changes import ALWAYS, IF_EMPTY, NEVER, ChangeContext, WriteItem, WriteResult, apply_writes
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME, STANDARD_FIELDS
from dossier.profiles.labels import attribute_definitions, path_labels
from dossier.profiles.services import parse_identity
from dossier.profiles.writes import ProfileWrite, normalize_tag, parse_write

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\Z")
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}\Z")
HONEYPOT = "homepage_url"  # a field people never see; bots that fill every input fill it
RESERVED_NAMES = frozenset({HONEYPOT, "formId"})
MAX_FIELDS = 50
IDENTIFIERS = tuple(Form.Identifier.values)
FORM_KEYS = ("slug", "name", "identifier", "fields", "addTags", "redirectUrl", "allowedOrigins", "singleOptIn")
FIELD_POLICIES = (IF_EMPTY, ALWAYS)
READ_ONLY_KEYS = ("url", "createdAt", "updatedAt")


class FormRejected(Exception):
    """A form definition or a submission is refused; `errors` name the field at fault."""

    def __init__(self, errors: list[FieldError], status: int = 422):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        self.status = status


def form_json(form: Form) -> dict[str, Any]:
    fields = [{**spec, "policy": spec.get("policy", IF_EMPTY)} for spec in form.fields]
    return {"slug": form.slug, "name": form.name, "identifier": form.identifier, "fields": fields,
            "addTags": form.add_tags, "redirectUrl": form.redirect_url, "allowedOrigins": form.allowed_origins,
            "singleOptIn": form.single_opt_in, "url": f"/f/{form.slug}", "createdAt": form.created_at.isoformat(), "updatedAt": form.updated_at.isoformat()}


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
    if redirect_url and not is_http_url(redirect_url, path_allowed=True):
        errors.append(FieldError("redirectUrl", "invalid_url", "must be an absolute http(s) URL", redirect_url))
    origins = []
    raw_origins = data.get("allowedOrigins", [])
    if not isinstance(raw_origins, list):
        errors.append(FieldError("allowedOrigins", "invalid_type", "a list of origins such as https://shop.example.com", raw_origins))
        raw_origins = []
    for index, origin in enumerate(raw_origins):
        if not isinstance(origin, str) or not is_http_url(origin.rstrip("/"), path_allowed=False):
            errors.append(FieldError(f"allowedOrigins[{index}]", "invalid_origin", "an origin is scheme://host[:port], without a path", origin))
        else:
            origins.append(origin.rstrip("/").lower())
    single_opt_in = data.get("singleOptIn", False)
    if not isinstance(single_opt_in, bool):
        errors.append(FieldError("singleOptIn", "invalid_boolean", "must be true or false", single_opt_in))
    if errors:
        raise FormRejected(errors)
    return {"slug": slug, "name": name.strip(), "identifier": identifier, "fields": fields, "add_tags": add_tags,
            "redirect_url": redirect_url, "allowed_origins": origins, "single_opt_in": single_opt_in}


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
        policy = item.get("policy") or IF_EMPTY
        if policy not in FIELD_POLICIES:
            errors.append(FieldError(f"{here}.policy", "invalid_choice", "a field's policy is ifEmpty (only fill an empty "
                                     "value, the default) or always (overwrite what a profile has)", policy))
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
        fields.append({"name": name, "label": label, "target": target, "required": bool(required) or target == identifier,
                       "policy": policy})
    if identifier in IDENTIFIERS and identifier not in targets:
        errors.append(FieldError("fields", "required", f"one field must fill the identifier '{identifier}'", None))
    return fields


def do_save_form(data: Any, *, slug: str | None = None, may_grant_single_opt_in: bool = False) -> Form:
    """Create a form, or replace the form at `slug` (whose slug cannot change: workflows name it).

    Only an admin (`may_grant_single_opt_in`) may turn single opt-in on: such a form grants
    marketing consent for whatever address it is sent. Others may save a form an admin made so."""
    values = parse_form(data)
    if slug is not None and values["slug"] != slug:
        raise FormRejected([FieldError("slug", "immutable", "a form's slug cannot change; workflows use it as formId", values["slug"])])
    with transaction.atomic():
        form = Form.objects.select_for_update().filter(slug=values["slug"]).first()
        if slug is None and form is not None:
            raise FormRejected([FieldError("slug", "taken", "another form has this slug", values["slug"])], status=409)
        if values["single_opt_in"] and not may_grant_single_opt_in and not (form is not None and form.single_opt_in):
            raise FormRejected([FieldError("singleOptIn", "forbidden", "only an admin may make a form single opt-in "
                                           "(agreements granted without a confirmation link)", True)], status=403)
        form = form or Form()
        for key, value in values.items():
            setattr(form, key, value)
        form.save()
    return form


def field_path_choices() -> list[tuple[str, str]]:
    """Every profile field path a form field or a workflow may name, with its label (for pickers)."""
    labels = path_labels(attribute_definitions())
    paths = [spec.name for spec in STANDARD_FIELDS] + [f"agreements.{channel}" for channel in AGREEMENT_CHANNELS]
    paths += sorted((p for p in labels if p.startswith("attributes.")), key=lambda p: labels[p].lower())
    return [(path, labels[path]) for path in paths]


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
    held_back: list[dict]
    consent_request: ConsentRequest | None = None


# Fields a form never changes on an existing profile: who the profile is. A form keyed by
# customId that also asks for an email must not let a visitor move someone's mail elsewhere.
UNIQUE_IDENTIFIERS = ("email", "customId")
HELD_IDENTIFIER = "a form never changes an identifier of an existing profile"
HELD_NOT_EMPTY = "the profile already has a value, and this field only fills empty ones"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def do_submit_form(form: Form, submitted: Mapping[str, Any], *, from_text: bool, request_id: str = "",
                   link_base: str = "") -> Submitted:
    """Apply a submission as a claim by an anonymous visitor, not an edit (SPEC §7).

    `submitted` maps field names to what was sent; an empty value leaves the profile's value as it
    is. A new profile is created from the submission. On an existing one, identifiers never change,
    each field fills only an empty value unless its policy is `always`, and an agreement turned on
    waits for double opt-in (a confirmation link to the profile's email) unless the form is single
    opt-in; one turned off is always honoured. `form.submit` records everything submitted, and
    under `heldBack` what was not applied and why. Raises FormRejected with errors named by the
    form's field names."""
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
    asked = [channel for channel, on in write.agreements.items() if on] if not form.single_opt_in else []
    for channel in asked:  # granted only by the confirmation link
        del write.agreements[channel]
    policies = {spec["target"]: IF_EMPTY for spec in form.fields if spec["target"] and spec.get("policy", IF_EMPTY) == IF_EMPTY}
    policies.update({target: NEVER for target in (*UNIQUE_IDENTIFIERS, "phone") if target != form.identifier
                     and (target in UNIQUE_IDENTIFIERS or form.identifier == "phone")})
    for channel in write.agreements:  # turning an agreement off is always honoured
        policies.pop(f"agreements.{channel}", None)
    now = timezone.now()
    with transaction.atomic():
        stored = _stored_values(identity, values)
        result = apply_writes([WriteItem(0, identity, write, create=True, policies=policies)], ctx, registry=registry)[0]
        if result.status in ("rejected", "skipped"):
            raise FormRejected([_named(e, name_of_target) for e in result.errors], status=result.http_status)
        held = _held_back(write, values, stored, policies, result, name_of_target)
        request = None
        pending = [c for c in asked if not (stored or {}).get(f"agreements.{c}")]
        if pending:
            request, reason = request_consent(form, result.id, pending, ctx=ctx, now=now, link_base=link_base)
            held += [{"field": name_of_target[f"agreements.{c}"], "target": f"agreements.{c}", "reason": reason}
                     for c in pending]
        params = {key: value for key, value in submitted.items() if key != HONEYPOT}
        params["formId"] = form.slug
        if held:
            params["heldBack"] = held
        event = NewEvent(profile_id=result.id, type=event_types.FORM_SUBMIT, time=now, source=ctx.source,
                         actor=ctx.actor, params=params, request_id=request_id)
        record_events([event])
    return Submitted(result, event, held, request)


def _stored_values(identity, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored values of the fields a submission fills, of the profile it names (None: new)."""
    if identity is None:
        return None
    column = {"email": "email", "customId": "custom_id", "phone": "phone"}[identity.kind]
    profile = Profile.objects.filter(**{column: identity.value}).first()
    if profile is None:
        return None
    stored = {}
    for target in values:
        if target in FIELDS_BY_NAME:
            stored[target] = getattr(profile, FIELDS_BY_NAME[target].column)
        elif target.startswith("attributes."):
            stored[target] = profile.attributes.get(target[len("attributes."):])
        elif target.startswith("agreements."):
            stored[target] = getattr(profile, AGREEMENT_CHANNELS[target[len("agreements."):]])
    for channel, column in AGREEMENT_CHANNELS.items():
        stored[f"agreements.{channel}"] = getattr(profile, column)
    return stored


def _held_back(write: ProfileWrite, values: Mapping[str, Any], stored: dict | None, policies: dict[str, str],
               result: WriteResult, name_of_target: dict[str, str]) -> list[dict]:
    """The fields of an existing profile the claim did not change although it sent another value."""
    if stored is None or result.status == "created":
        return []
    changed = {change["attribute"] for change in result.changes}
    held = []
    for target, policy in policies.items():
        if target not in values or target in changed or target.startswith("agreements."):
            continue
        if stored.get(target) in (None, "") or _written(write, target) == stored.get(target):
            continue
        reason = HELD_IDENTIFIER if policy == NEVER else HELD_NOT_EMPTY
        held.append({"field": name_of_target[target], "target": target, "reason": reason})
    return held


def _written(write: ProfileWrite, target: str) -> Any:
    if target in FIELDS_BY_NAME:
        return write.columns.get(FIELDS_BY_NAME[target].column)
    if target.startswith("attributes."):
        return write.attributes.get(target[len("attributes."):])
    return None


def _named(error: FieldError, name_of_target: dict[str, str]) -> FieldError:
    return FieldError(name_of_target.get(error.field, error.field), error.code, error.message, error.value)
