"""A profile write, parsed and normalized, before it is compared with what is stored.

Every door turns its input into a `ProfileWrite` with `parse_write`; the change service
(`dossier.profiles.changes`) then applies it. Field paths are the API's names:
`firstName`, `attributes.NAME`, `agreements.email`, `companyId`; a value of None clears.
"""

import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from django.conf import settings

from dossier.profiles.attributes import AttributeRegistry, check_attribute_name
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import (AGREEMENT_CHANNELS, FIELDS_BY_NAME, check_characters, check_visible,
                                     normalize_boolean, normalize_country, normalize_phone, normalize_text)
from dossier.profiles.phones import is_international

UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET", "__bool__": lambda self: False})()
TAG_MAX = 64
MAX_TAGS_PER_WRITE = 500


@dataclass(frozen=True)
class NationalPhone:
    """A phone written without its country (`601 234 567`) in a write that names no country.

    It was read in `region` (an import's phoneRegion or the default region): `value` is what that
    reading gave, or `problem` why it failed. The change service reads it again in the country
    the profile has stored, when that is another one (SPEC §1: the profile's country comes first).
    """

    text: str
    region: str
    value: str | None = None
    problem: InvalidValue | None = None


@dataclass
class ProfileWrite:
    columns: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: set[str] | None = None
    add_tags: set[str] = field(default_factory=set)
    remove_tags: set[str] = field(default_factory=set)
    agreements: dict[str, bool] = field(default_factory=dict)
    company_id: Any = UNSET
    # A company named rather than given by id (an import's company column, Synerise's `company`):
    # the change service finds it by name, case-insensitively, or creates it.
    company_name: Any = UNSET
    national_phone: NationalPhone | None = None

    def is_empty(self) -> bool:
        return not (self.columns or self.attributes or self.tags is not None or self.add_tags
                    or self.remove_tags or self.agreements or self.company_id is not UNSET
                    or self.company_name is not UNSET or self.national_phone is not None)


def normalize_tag(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("invalid_tag", "a tag must be a string")
    tag = unicodedata.normalize("NFC", value).strip()
    if not tag or len(tag) > TAG_MAX:
        raise InvalidValue("invalid_tag", f"a tag is 1-{TAG_MAX} characters")
    check_characters(tag)
    check_visible(tag, joiners=True)
    return tag


def _tag_set(field_name: str, values: Any, errors: list[FieldError]) -> set[str]:
    if not values and type(values) in (list, tuple):
        return set()
    if not isinstance(values, (list, tuple, set)):
        errors.append(FieldError(field_name, "invalid_type", "must be a list of tag names", values))
        return set()
    if len(values) > MAX_TAGS_PER_WRITE:
        errors.append(FieldError(field_name, "too_many", f"at most {MAX_TAGS_PER_WRITE} tags", len(values)))
        return set()
    tags = set()
    for value in values:
        try:
            tags.add(normalize_tag(value))
        except InvalidValue as exc:
            errors.append(FieldError(field_name, exc.code, exc.message, value))
    return tags


def parse_company_id(value: Any) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidValue("invalid_id", "must be a company id (UUID)") from None


def parse_write(
    values: Mapping[str, Any],
    *,
    registry: AttributeRegistry,
    tags: Any = UNSET,
    add_tags: Iterable[Any] = (),
    remove_tags: Iterable[Any] = (),
    from_text: bool = False,
    phone_region: str | None = None,
) -> tuple[ProfileWrite, list[FieldError]]:
    """Normalize flat field-path values into a ProfileWrite; collect every problem, not the first.

    A phone without `+`/`00` is read in the write's own country, else in `phone_region` (an
    import's option), else in the default region; see `NationalPhone` for the stored country.
    """
    write = ProfileWrite()
    errors: list[FieldError] = []
    for path, raw in values.items():
        try:
            if path == "phone" and raw is not None:
                parse_phone(write, raw, values.get("countryCode"), phone_region)
            else:
                parse_value(write, path, raw, registry, from_text)
        except InvalidValue as exc:
            errors.append(FieldError(path, exc.code, exc.message, raw))
    if tags is not UNSET:
        write.tags = set() if tags is None else _tag_set("tags", tags, errors)
    write.add_tags = _tag_set("addTags", _as_list(add_tags), errors)
    write.remove_tags = _tag_set("removeTags", _as_list(remove_tags), errors)
    overlap = write.add_tags and write.remove_tags and write.add_tags & write.remove_tags
    if overlap:
        errors.append(FieldError("removeTags", "conflict", "a tag cannot be both added and removed", sorted(overlap)))
    national = write.national_phone
    if errors and national is not None and national.problem is not None:
        # rejected anyway: the stored country cannot settle it, and every problem is listed
        errors.append(FieldError("phone", national.problem.code, national.problem.message, values.get("phone")))
    return write, errors


def _as_list(values: Iterable[Any]) -> list | tuple:
    return values if type(values) in (list, tuple) else list(values)


def parse_phone(write: ProfileWrite, raw: Any, country: Any, fallback_region: str | None) -> None:
    """Read a phone into `write` in the write's country (`country`, as given), else the fallback."""
    region = None
    if country is not None:
        try:
            region = normalize_country(country)
        except InvalidValue:
            region = None  # the country's own error is reported; the phone is read in the fallback
    if region is not None or (isinstance(raw, str) and is_international(raw)):
        write.columns["phone"] = normalize_phone(raw, region or fallback_region)
        return
    region = fallback_region or settings.DEFAULT_PHONE_REGION
    try:
        value = normalize_phone(raw, region)
    except InvalidValue as exc:
        if exc.code != "invalid_phone":  # not a matter of region: too long, control characters
            raise
        write.national_phone = NationalPhone(str(raw), region, problem=exc)
        return
    if value is None:
        write.columns["phone"] = None
    else:
        write.columns["phone"] = value
        write.national_phone = NationalPhone(str(raw), region, value=value)


def parse_value(write: ProfileWrite, path: str, raw: Any, registry: AttributeRegistry, from_text: bool) -> None:
    """Normalize one field path's value into `write`; InvalidValue when it breaks the field's rule.

    `parse_write` applies it to every value of a write; a bulk reader may call it per cell.
    """
    spec = FIELDS_BY_NAME.get(path)
    if spec is not None:
        if raw is None:
            if not spec.clearable:
                raise InvalidValue("required", "cannot be cleared")
            write.columns[spec.column] = None
        else:
            write.columns[spec.column] = spec.normalize(raw)
        return
    if path.startswith("attributes."):
        name = path[len("attributes."):]
        if raw is None:
            write.attributes[check_attribute_name(name)] = None
        else:
            write.attributes[name] = registry.coerce(name, raw, from_text=from_text)
        return
    if path.startswith("agreements."):
        channel = path[len("agreements."):]
        if channel not in AGREEMENT_CHANNELS:
            raise InvalidValue("unknown_field", "agreement channels are email, sms, push and webPush")
        if raw is None:
            raise InvalidValue("required", "an agreement is true or false")
        write.agreements[channel] = normalize_boolean(raw)
        return
    if path == "companyId":
        write.company_id = parse_company_id(raw)
        return
    if path == "company":  # by name
        name = normalize_text(raw) if raw is not None else None
        if name is None:
            write.company_id = None
        else:
            write.company_name = name
        return
    raise InvalidValue("unknown_field", "is not a profile field; custom attributes are named attributes.NAME")


# The keys of the profile JSON that are not field paths as they are: flatten_profile_json reads
# them, and ignores the read-only id, version, createdAt, updatedAt and consents.
_NOT_FIELD_PATHS = frozenset({"tags", "addTags", "removeTags", "attributes", "agreements", "company",
                              "id", "version", "createdAt", "updatedAt", "consents"})


def flatten_profile_json(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[FieldError]]:
    """Turn the API's nested profile JSON into flat field paths plus tag operations.

    Returns (values, tag_ops, errors) where tag_ops holds `tags`, `addTags`, `removeTags` as given.
    """
    values: dict[str, Any] = {}
    tag_ops: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, raw in data.items():
        if key not in _NOT_FIELD_PATHS:
            values[key] = raw
        elif key in ("tags", "addTags", "removeTags"):
            tag_ops[key] = raw
        elif key == "attributes":
            if raw is None:
                continue
            if not isinstance(raw, dict):
                errors.append(FieldError("attributes", "invalid_type", "must be an object", raw))
                continue
            for name, value in raw.items():
                values[f"attributes.{name}"] = value
        elif key == "agreements":
            if not isinstance(raw, dict):
                errors.append(FieldError("agreements", "invalid_type", "must be an object of channel: boolean", raw))
                continue
            for channel, value in raw.items():
                values[f"agreements.{channel}"] = value
        elif key == "company":
            if raw is None:
                values["companyId"] = None
            elif isinstance(raw, dict) and "id" in raw:
                values["companyId"] = raw["id"]
            else:
                errors.append(FieldError("company", "invalid_type", "must be {id} or null", raw))
    return values, tag_ops, errors


def parse_profile_json(data: Mapping[str, Any], registry: AttributeRegistry) -> tuple[ProfileWrite, list[FieldError]]:
    """Parse one profile of the API's JSON shape (SPEC §1) into a ProfileWrite."""
    values, tag_ops, errors = flatten_profile_json(data)
    tag_lists: dict[str, Any] = {}
    for key in ("addTags", "removeTags"):
        raw = tag_ops.get(key)
        if raw is not None and not isinstance(raw, list):
            errors.append(FieldError(key, "invalid_type", "must be a list of tag names", raw))
            raw = None
        tag_lists[key] = raw or ()
    write, more = parse_write(
        values,
        registry=registry,
        tags=tag_ops.get("tags", UNSET),
        add_tags=tag_lists["addTags"],
        remove_tags=tag_lists["removeTags"],
    )
    return write, errors + more
