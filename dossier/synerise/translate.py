"""Synerise's v4 profile body (`CreateClientRequestBody`) to a Dossier write, and a profile back
to Synerise's client JSON. The choices where Synerise's documentation is silent or differs from
Dossier are listed in docs/moving-from-synerise.md."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import Identity
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.services import parse_identity
from dossier.profiles.writes import ProfileWrite, parse_write
from dossier.synerise.client_ids import profile_id_of

TEXT_FIELDS = ("email", "phone", "customId", "firstName", "lastName", "displayName", "address", "city", "province",
               "zipCode", "countryCode", "birthDate", "avatarUrl", "sex")
CHANNELS = {"email": "email", "sms": "sms", "push": "push", "webPush": "webPush"}
# Synerise's other agreement channels have no column in Dossier: kept as boolean custom attributes.
EXTRA_CHANNELS = {"bluetooth": "agreement_bluetooth", "rfid": "agreement_rfid", "wifi": "agreement_wifi"}
# Shown in Synerise's responses only; a client sending back what it read is not refused for them.
READ_ONLY = frozenset({"anonymous", "lastActivityDate", "previousClients"})
KNOWN = frozenset({*TEXT_FIELDS, "company", "agreements", "attributes", "tags", "clientId", "uuid", *READ_ONLY})
# Synerise ignores these names inside `attributes` (its own fields and their legacy names).
RESERVED_ATTRIBUTES = frozenset("""
email clientId phone customId uuid firstName lastName displayName company address city province zipCode countryCode
birthDate sex avatarUrl anonymous agreements tags businessProfileId time ip source newsletter_agreement custom_identify
firstname lastname created updated last_activity_date birthdate external_avatar_url displayname receive_smses
receive_push_messages receive_webpush_messages receive_btooth_messages receive_rfid_messages receive_wifi_messages
confirmation_hash ownerId anonymous_type country_id club_card_id type confirmed facebookId status
""".split())
SEX_OUT = {0: "NOT_SPECIFIED", 1: "MALE", 2: "FEMALE", 3: "OTHER", None: None}


@dataclass
class ClientWrite:
    identity: Identity | None
    write: ProfileWrite
    errors: list[FieldError] = field(default_factory=list)
    ignored: list[FieldError] = field(default_factory=list)  # accepted, but not stored (reported)
    unknown_client_id: Any = None  # clientId was the only identifier and names no profile


def _identity(body: dict, errors: list[FieldError]) -> tuple[Identity | None, Any]:
    """Who the body names: clientId, then uuid (Dossier's profile id), email, customId, phone."""
    unknown = None
    if body.get("clientId") is not None:
        profile_id = profile_id_of(body["clientId"])
        if profile_id is not None:
            return Identity("id", profile_id), None
        unknown = body["clientId"]
    if body.get("uuid") not in (None, ""):
        try:
            return Identity("id", uuid.UUID(str(body["uuid"]))), None
        except ValueError:
            errors.append(FieldError("uuid", "invalid_uuid", "must be a UUID", body["uuid"]))
            return None, None
    for kind in ("email", "customId", "phone"):
        if body.get(kind) not in (None, ""):
            try:
                return parse_identity(kind, body[kind]), None
            except InvalidValue:
                return None, None  # the field's own check reports it
    return None, unknown


def client_write(body: Any, registry: AttributeRegistry, *, identify: bool = True) -> ClientWrite:
    """Parse one Synerise profile body; `identify` reads the identifiers that name the profile."""
    if not isinstance(body, dict):
        return ClientWrite(None, ProfileWrite(), [FieldError("", "invalid_type", "a profile is a JSON object", body)])
    errors, ignored = [], []
    for key in body:
        if key not in KNOWN:
            errors.append(FieldError(key, "unknown_field", "is not a field of a Synerise profile", body[key]))
    values: dict[str, Any] = {key: body[key] for key in TEXT_FIELDS if key in body}
    if "company" in body:
        company = body["company"]
        if company is not None and not isinstance(company, str):
            errors.append(FieldError("company", "invalid_type", "the company's name, as text", company))
        else:
            values["company"] = company or None
    agreements = body.get("agreements")
    if agreements is not None:
        if not isinstance(agreements, dict):
            errors.append(FieldError("agreements", "invalid_type", "an object of channel: boolean", agreements))
        else:
            for channel, value in agreements.items():
                if channel in CHANNELS:
                    values[f"agreements.{CHANNELS[channel]}"] = value
                elif channel in EXTRA_CHANNELS:
                    values[f"attributes.{EXTRA_CHANNELS[channel]}"] = _boolean(value, f"agreements.{channel}", errors)
                else:
                    errors.append(FieldError(f"agreements.{channel}", "unknown_field", "agreement channels are email, "
                                             "sms, push, webPush, bluetooth, rfid and wifi", value))
    attributes = body.get("attributes")
    if attributes is not None:
        if not isinstance(attributes, dict):
            errors.append(FieldError("attributes", "invalid_type", "an object of name: value", attributes))
        else:
            for name, value in attributes.items():
                if name in RESERVED_ATTRIBUTES or name.startswith("geo_loc_"):
                    ignored.append(FieldError(f"attributes.{name}", "reserved", "a reserved name, not stored as a "
                                              "custom attribute (set the profile field itself)", value))
                else:
                    values[f"attributes.{name}"] = value
    tags = body.get("tags")
    if tags is not None and not isinstance(tags, list):
        errors.append(FieldError("tags", "invalid_type", "a list of tag names", tags))
        tags = None
    identity, unknown = _identity(body, errors) if identify else (None, None)
    write, more = parse_write(values, registry=registry, add_tags=tags or ())
    return ClientWrite(identity, write, errors + more, ignored, unknown)


def _boolean(value: Any, field_name: str, errors: list[FieldError]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    errors.append(FieldError(field_name, "invalid_boolean", "true or false", value))
    return None


def client_json(profile: dict[str, Any], client_id: int) -> dict[str, Any]:
    """A Dossier profile (its API JSON) as Synerise's client JSON."""
    attributes = dict(profile["attributes"])
    agreements = dict(profile["agreements"])
    for channel, name in EXTRA_CHANNELS.items():
        agreements[channel] = bool(attributes.pop(name, False))
    body = {"clientId": client_id, "uuid": profile["id"]}
    for key in TEXT_FIELDS:
        body[key] = profile.get(key)
    body["sex"] = SEX_OUT.get(profile.get("sex"))
    body["company"] = profile["company"]["name"] if profile.get("company") else None
    body.update(anonymous=profile["anonymousType"] != "recognized", agreements=agreements, attributes=attributes,
                tags=profile["tags"], lastActivityDate=profile["updatedAt"])
    return body
