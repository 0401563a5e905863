"""The one shape of a validation problem, shared by the API, batch edit, import and forms."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class FieldError:
    field: str
    code: str
    message: str
    value: Any = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["value"] = _printable(self.value)
        return data


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
    """Echo a rejected value back, cut short so a 10 MB string is not echoed whole."""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, (dict, list)):
        text = repr(value)
        return text[:200] + "…" if len(text) > 200 else value
    return value
