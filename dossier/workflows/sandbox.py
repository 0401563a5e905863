"""Workflow value templates: Jinja2 in a sandbox that sees `event` and `profile` and nothing else.

Three fences, each enough alone for the common attacks:
- `check_template` refuses, when a workflow is saved, every construct that is not a plain
  expression over `event` and `profile`: no loops, no assignments, no calls, no imports, no
  names starting with `_`, only a short list of filters. Without loops or calls a template's
  work is bounded by its length (at most `MAX_SOURCE` characters): that is the time bound.
- `ImmutableSandboxedEnvironment` underneath, with attribute access narrowed further: `event`
  and `profile` are plain JSON data, so `x.name` looks up a key of a dict and never an attribute
  of a Python object; every call raises `SecurityError`.
- The operators and filters that can grow a value (`*`, `**`, `+`, `%`, `~`, `replace`, `join`,
  ...) are checked before or as they run, so no intermediate value or result grows past
  `MAX_VALUE` characters: that is the size bound. `~` is checked by the code Jinja generates for
  it (`BoundedCodeGenerator`): it is no operator the sandbox could intercept.
- Expressions nest at most `MAX_DEPTH` deep, and a template the parser cannot even read (a
  thousand parentheses deep) is refused like any other: saving or testing a workflow answers 422.
"""

import functools
import re
from typing import Any

from jinja2 import ChainableUndefined, TemplateError, nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SOURCE = 2000
MAX_DEPTH = 24
MAX_VALUE = 10_000
MAX_POWER_BITS = 4096
NAMES = frozenset({"event", "profile"})
PLAIN_LOOKUP = re.compile(r"^\{\{\s*((?:event|profile)(?:\.[A-Za-z][A-Za-z0-9_]*)+)\s*\}\}$")
FILTERS = frozenset({
    "abs", "capitalize", "d", "default", "first", "float", "int", "join", "last", "length", "count", "lower",
    "max", "min", "replace", "round", "string", "title", "trim", "truncate", "upper", "urlencode", "tojson",
})
ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Const, nodes.List,
    nodes.Tuple, nodes.Dict, nodes.Pair, nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Filter, nodes.Test,
    nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos,
    nodes.Concat, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div, nodes.FloorDiv, nodes.Mod, nodes.Pow,
)


class TemplateRefused(ValueError):
    """A template uses something the sandbox does not allow; the message says what."""


def _bounded(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_VALUE:
        raise SecurityError(f"a template value may be at most {MAX_VALUE} characters or items long")
    return value


def _bounded_filter(fn):
    @functools.wraps(fn)  # keeps Jinja's pass_context/pass_environment marker
    def wrapper(*args, **kwargs):
        return _bounded(fn(*args, **kwargs))

    return wrapper


def _too_long() -> SecurityError:
    return SecurityError(f"a template value may be at most {MAX_VALUE} characters long")


def _presized_replace(fn):
    """`replace`, refused before it runs when its result would be too long: replacing each of
    20,000 characters by a 20,000-character text would build 400 MB before any check after it."""

    @functools.wraps(fn)
    def wrapper(eval_ctx, s, old, new, count=None):
        text, old_text, new_text = str(s), str(old), str(new)
        found = text.count(old_text) if old_text else len(text) + 1
        if count is not None and count >= 0:
            found = min(found, count)
        if len(text) + found * (len(new_text) - len(old_text)) > MAX_VALUE:
            raise _too_long()
        return fn(eval_ctx, s, old, new, count)

    return wrapper


def _presized_join(fn):
    """`join`, refused before it runs when its result would be too long (many items, a long separator)."""

    @functools.wraps(fn)
    def wrapper(eval_ctx, value, d="", attribute=None):
        items = list(value)
        size = len(str(d)) * max(len(items) - 1, 0) + (sum(len(str(i)) for i in items) if attribute is None else 0)
        if size > MAX_VALUE:
            raise _too_long()
        return fn(eval_ctx, items, d, attribute)

    return wrapper


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, but `~` joins through `ValueSandbox.bounded_concat`, which measures
    the parts before it builds the text."""

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.bounded_concat((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")


class ValueSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator

    @staticmethod
    def bounded_concat(parts: tuple) -> str:
        texts = [str(part) for part in parts]
        if sum(map(len, texts)) > MAX_VALUE:
            raise _too_long()
        return "".join(texts)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        sized = (str, list, tuple)
        if operator == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not allowed in templates; use ~ to join text")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, sized) and isinstance(count, int) and len(seq) * max(count, 0) > MAX_VALUE:
                    raise _too_long()
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left).bit_length() * right > MAX_POWER_BITS:
                raise SecurityError("the power is too large")
        return _bounded(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj and not attribute.startswith("_"):
            return obj[attribute]
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, dict) and isinstance(argument, str):
            return self.getattr(obj, argument)
        if isinstance(obj, (list, str)) and isinstance(argument, (int, slice)) and not isinstance(argument, bool):
            try:
                return obj[argument]
            except IndexError:
                pass
        return self.undefined(obj=obj, name=argument)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        raise SecurityError("templates cannot call functions; use filters such as |lower")


def _environment() -> ValueSandbox:
    env = ValueSandbox(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()
    env.filters = {name: _bounded_filter(fn) for name, fn in env.filters.items() if name in FILTERS}
    env.filters["replace"] = _bounded_filter(_presized_replace(env.filters["replace"].__wrapped__))
    env.filters["join"] = _bounded_filter(_presized_join(env.filters["join"].__wrapped__))
    return env


ENVIRONMENT = _environment()


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value or "{#" in value)


def check_template(source: str) -> None:
    """Raise TemplateRefused naming the first construct the sandbox does not allow."""
    if len(source) > MAX_SOURCE:
        raise TemplateRefused(f"a template is at most {MAX_SOURCE} characters")
    tree = _parsed(source)
    if _depth(tree) > MAX_DEPTH:
        raise TemplateRefused(f"a template nests at most {MAX_DEPTH} levels deep")
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise TemplateRefused(f"templates may not use {_construct(node)}; only expressions over event and profile")
        if isinstance(node, nodes.Name) and node.name not in NAMES:
            raise TemplateRefused(f"unknown name '{node.name}': templates see event and profile only")
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise TemplateRefused(f"'{node.attr}' is private: templates read only the data of event and profile")
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and str(node.arg.value).startswith("_"):
            raise TemplateRefused(f"'{node.arg.value}' is private: templates read only the data of event and profile")
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise TemplateRefused(f"unknown filter '{node.name}'; allowed: {', '.join(sorted(FILTERS))}")


def _parsed(source: str) -> nodes.Template:
    try:
        return ENVIRONMENT.parse(source)
    except TemplateError as exc:
        raise TemplateRefused(f"template syntax error: {exc}") from None
    except (RecursionError, MemoryError):
        raise TemplateRefused(f"a template nests at most {MAX_DEPTH} levels deep") from None


def _depth(tree: nodes.Node) -> int:
    """How deep the tree nests, counted without recursion (the tree may be deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest


def _construct(node: nodes.Node) -> str:
    names = {"For": "loops", "Call": "function calls", "Assign": "assignments", "AssignBlock": "assignments",
             "Macro": "macros", "Include": "includes", "Import": "imports", "FromImport": "imports",
             "Extends": "template inheritance", "Block": "blocks", "CallBlock": "call blocks"}
    return names.get(type(node).__name__, f"'{type(node).__name__}'")


def uses_profile(source: str) -> bool:
    """Whether a (checked) template reads `profile`, so the engine loads profiles only when needed."""
    return any(n.name == "profile" for n in _parsed(source).find_all(nodes.Name))


@functools.lru_cache(maxsize=4096)
def compiled(source: str):
    check_template(source)
    return ENVIRONMENT.from_string(source)


@functools.lru_cache(maxsize=4096)
def _plain_path(source: str) -> tuple[str, ...] | None:
    """`("event", "params", "x")` for a template that is only `{{ event.params.x }}`, else None."""
    match = PLAIN_LOOKUP.match(source)
    return tuple(match.group(1).split(".")) if match else None


def _lookup_text(data: dict, keys: tuple[str, ...]) -> str:
    """What Jinja prints for a plain lookup under `ValueSandbox.getattr`, without building a
    template context (the common template, rendered once per run, costs a dict walk)."""
    value: Any = data
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return ""
        value = value[key]
    return str(value)


def render(source: str, event: dict, profile: dict) -> str:
    """Render a checked template; raises TemplateError/SecurityError/ValueError... on a bad value."""
    path = _plain_path(source)
    if path is not None:
        result = _lookup_text(event if path[0] == "event" else profile, path[1:])
    else:
        result = compiled(source).render(event=event, profile=profile)
    if len(result) > MAX_VALUE:
        raise SecurityError(f"a template result may be at most {MAX_VALUE} characters")
    return result
