"""Free-form JSON that Dossier stores as it came: event params, form and workflow definitions.

Python's json module reads more than a database keeps: NaN and Infinity (1e309 reads as
infinity), strings holding NUL or a lone surrogate ("\\ud800"), which PostgreSQL's jsonb refuses,
and nesting deep enough to exhaust a recursive reader later on. `check_json` finds the first such
value, walking without recursion, and names its path.
"""

import math
from typing import Any

from dossier.profiles.errors import LONE_SURROGATE, FieldError

MAX_DEPTH = 32


def check_json(value: Any, field: str = "") -> list[FieldError]:
    """[] when `value` can be stored and read back as it is; else one error naming the value at fault."""
    stack = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [FieldError(path, "too_deep", f"values nest at most {MAX_DEPTH} levels deep", None)]
        if isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                problem = _text_problem(key)
                if problem:
                    return [FieldError(child_path, problem[0], f"a key {problem[1]}", None)]
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            return [FieldError(path, "not_finite", "numbers must be finite (NaN and Infinity are not JSON)", None)]
        elif isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                return [FieldError(path, problem[0], f"text {problem[1]}", None)]
    return []


def _text_problem(text: Any) -> tuple[str, str] | None:
    if not isinstance(text, str):
        return None
    if "\x00" in text:
        return "nul_character", "must not contain the NUL character (\\u0000)"
    if LONE_SURROGATE.search(text):
        return "invalid_unicode", "must be valid Unicode (a lone surrogate such as \\ud800 is not)"
    return None
