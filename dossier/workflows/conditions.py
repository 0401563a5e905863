"""Conditions of triggers and filters (SPEC §7): `{param|attribute, op, value}` over plain JSON.

Values submitted through a form are text, so comparisons are lenient the way a marketer expects:
`"18"` equals `18`, `"true"` equals `true`, and `gt`/`lt` compare numbers when both sides read as
numbers, text otherwise.
"""

import math
from typing import Any

OPS = ("eq", "neq", "in", "contains", "startsWith", "exists", "notExists", "gt", "gte", "lt", "lte")
UNARY_OPS = ("exists", "notExists")
MISSING = object()


def lookup(data: Any, path: str) -> Any:
    """`a.b.c` in nested dicts (and list indexes); MISSING when any step is absent."""
    current = data
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdecimal() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def profile_value(profile: dict, path: str) -> Any:
    """A profile JSON's value by the paths of the API's filters: `city`, `attributes.plan`,
    `agreements.email`, `tags`, `companyId`."""
    if path == "companyId":
        return (profile.get("company") or {}).get("id")
    if path.startswith("attributes."):
        return (profile.get("attributes") or {}).get(path[len("attributes."):], MISSING)
    if path.startswith("agreements."):
        return (profile.get("agreements") or {}).get(path[len("agreements."):], MISSING)
    return profile.get(path, MISSING)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return a == b
    if type(a) is type(b):
        return a == b
    left, right = _number(a), _number(b)
    if left is not None and right is not None:
        return left == right
    return _text(a).lower() == _text(b).lower() if isinstance(a, bool) or isinstance(b, bool) else _text(a) == _text(b)


def _order(a: Any, b: Any) -> tuple[Any, Any] | None:
    left, right = _number(a), _number(b)
    if left is not None and right is not None:
        return left, right
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None


def holds(op: str, actual: Any, expected: Any) -> bool:
    """Whether `actual <op> expected`; a missing or null value satisfies only notExists/neq."""
    present = actual is not MISSING and actual is not None and actual != "" and actual != []
    if op == "exists":
        return present
    if op == "notExists":
        return not present
    if actual is MISSING:
        actual = None
    if op == "eq":
        return equal(actual, expected)
    if op == "neq":
        return not equal(actual, expected)
    if op == "in":
        return any(equal(actual, option) for option in expected)
    if op == "contains":
        if isinstance(actual, list):
            return any(equal(item, expected) for item in actual)
        return isinstance(actual, str) and _text(expected) in actual
    if op == "startsWith":
        return isinstance(actual, str) and actual.startswith(_text(expected))
    pair = _order(actual, expected) if actual is not None else None
    if pair is None:
        return False
    left, right = pair
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]
