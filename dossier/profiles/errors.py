"""The one shape of a validation problem, shared by the API, batch edit, import and forms."""

import re
from dataclasses import dataclass
from typing import Any

# A lone UTF-16 surrogate (JSON "\ud800") is not a character: no database stores it as text, and
# no response can carry it.
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What an echoed value must not hold, as text and as repr() spells it: a lone surrogate, and NUL,
# which PostgreSQL's jsonb refuses too (a job keeps its errors' values as JSON).
UNECHOABLE = re.compile(r"[\x00\ud800-\udfff]")
ESCAPED_UNECHOABLE = re.compile(r"\\x00|\\ud[89a-f][0-9a-f]{2}")


@dataclass
class FieldError:
    field: str
    code: str
    message: str
    value: Any = None

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message, "value": _printable(self.value)}


class InvalidValue(ValueError):
    """Raised by a normalizer; the caller adds the field name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class ProfileWriteRejected(Exception):
    """A write was refused as a whole; `errors` lists every problem."""

    def __init__(self, errors: list[FieldError], status: int = 422):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
        self.status = status


def _printable(value: Any) -> Any:
    """Echo a rejected value back, cut short so a 10 MB string is not echoed whole, and encodable:
    a lone surrogate becomes U+FFFD (it has no UTF-8 form, so a response holding it cannot be sent),
    and so does NUL (no stored JSON can hold it)."""
    if isinstance(value, str):
        text = UNECHOABLE.sub("\ufffd", value)
        return text[:200] + "…" if len(text) > 200 else text
    if isinstance(value, (dict, list)):
        try:
            text = repr(value)  # escapes lone surrogates as \udXXX
        except RecursionError:
            return "…"
        if len(text) > 200:
            return text[:200] + "…"
        return text if ESCAPED_UNECHOABLE.search(text) else value
    return value
