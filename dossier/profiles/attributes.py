"""The custom attribute registry: name rules, type inference and coercion (SPEC §2).

Values are stored in `Profile.attributes` as JSON: text, integer, number and boolean natively,
dates as `YYYY-MM-DD`, datetimes as ISO 8601 UTC, lists as JSON arrays of strings.
"""

import datetime as dt
import math
import re
from typing import Any

from django.db import transaction

from dossier.profiles.errors import InvalidValue
from dossier.profiles.fields import REFUSED_CHARS, RESERVED_NAMES, normalize_boolean, parse_iso_date, refusal
from dossier.profiles.models import AttributeDefinition

ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}\Z")
TYPES = tuple(AttributeDefinition.Type.values)
MAX_TEXT = 4000
MAX_LIST_ITEMS = 200
MAX_INTEGER = 2**63 - 1
INTEGER_TEXT = re.compile(r"\s*[-+]?\d{1,19}\s*")


def check_attribute_name(name: Any) -> str:
    if not isinstance(name, str) or not ATTRIBUTE_NAME.match(name):
        raise InvalidValue(
            "invalid_name",
            "attribute names are 1-64 letters, digits, '_', '.' or '-', starting with a letter",
        )
    if name in RESERVED_NAMES:
        raise InvalidValue("reserved_name", f"'{name}' is a standard field, not a custom attribute")
    return name


def infer_type(value: Any, *, from_text: bool = False) -> str:
    if from_text or isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "list"
    raise InvalidValue("invalid_type", "must be text, a number, a boolean or a list")


def _coerce_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidValue("invalid_type", "must be text")
    text = str(value)
    found = REFUSED_CHARS.search(text)  # check_characters(text, multiline=True), inlined: it runs per value
    if found is not None:
        raise refusal(found)
    if len(text) > MAX_TEXT:
        raise InvalidValue("too_long", f"must be at most {MAX_TEXT} characters")
    return text


def _coerce_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidValue("invalid_integer", "must be an integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and INTEGER_TEXT.fullmatch(value):
        value = int(value)
    if not isinstance(value, int):
        raise InvalidValue("invalid_integer", "must be an integer")
    if abs(value) > MAX_INTEGER:
        raise InvalidValue("out_of_range", "must fit in 64 bits")
    return value


def _coerce_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise InvalidValue("invalid_number", "must be a number")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise InvalidValue("invalid_number", "must be a number") from None
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidValue("invalid_number", "must be a finite number")
    if isinstance(value, int) and abs(value) > MAX_INTEGER:
        raise InvalidValue("out_of_range", "must fit in 64 bits")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _coerce_date(value: Any) -> str:
    if isinstance(value, dt.date):  # an import's date column read with its format
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if isinstance(value, str):
        date = parse_iso_date(value.strip())
        if date is not None:
            return date.isoformat()
    raise InvalidValue("invalid_date", "must be a date as YYYY-MM-DD (or an ISO 8601 date and time)")


def _coerce_datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):  # an import's datetime column read with its format
        value = value.isoformat()
    elif isinstance(value, dt.date):
        value = f"{value.isoformat()}T00:00:00"
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
            return parsed.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    raise InvalidValue("invalid_datetime", "must be an ISO 8601 date and time")


def _coerce_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(";") if part.strip()]
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise InvalidValue("invalid_list", f"must be a list of at most {MAX_LIST_ITEMS} items")
    return [_coerce_text(item) for item in value]


COERCERS = {
    "text": _coerce_text,
    "integer": _coerce_integer,
    "number": _coerce_number,
    "boolean": normalize_boolean,
    "date": _coerce_date,
    "datetime": _coerce_datetime,
    "list": _coerce_list,
}


def coerce(type_: str, value: Any) -> Any:
    return COERCERS[type_](value)


class AttributeRegistry:
    """The attribute definitions as one operation sees them, plus the ones it introduces.

    A write that names an unknown attribute registers it (SPEC §2); the new definitions are
    created in the write's transaction by `save_new`, so a rejected write registers nothing.
    """

    def __init__(self, definitions: dict[str, str], *, declared: dict[str, str] | None = None):
        self.types = dict(definitions)
        self.declared = dict(declared or {})
        self.new: dict[str, str] = {}
        self.checked_names: set[str] = set()  # names check_attribute_name accepted, not checked again

    @classmethod
    def load(cls, *, declared: dict[str, str] | None = None) -> "AttributeRegistry":
        return cls(dict(AttributeDefinition.objects.values_list("name", "type")), declared=declared)

    def coerce(self, name: str, value: Any, *, from_text: bool = False) -> Any:
        if name not in self.checked_names:
            self.checked_names.add(check_attribute_name(name))
        type_ = self.types.get(name) or self.new.get(name)
        if type_ is None:
            type_ = self.declared.get(name) or infer_type(value, from_text=from_text)
            if type_ not in COERCERS:
                raise InvalidValue("invalid_type", f"unknown attribute type '{type_}'")
            coerced = COERCERS[type_](value)
            self.new[name] = type_
            return coerced
        return COERCERS[type_](value)

    def save_new(self) -> None:
        if not self.new:
            return
        with transaction.atomic():
            AttributeDefinition.objects.bulk_create(
                [AttributeDefinition(name=name, type=type_, label=name) for name, type_ in self.new.items()],
                ignore_conflicts=True,
            )
        self.types.update(self.new)
        self.new = {}
