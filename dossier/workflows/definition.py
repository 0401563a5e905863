"""Workflow definitions: the JSON of SPEC §7, validated into typed nodes.

`parse_definition` checks everything a workflow can be told and reports every problem with the
path of the value at fault (`trigger.where[0].op`, `nodes[2].set.birthDate`), so the API and
the editor can point at it. Literal values of updateProfile are checked by the same normalizers
the change service uses; templated values are checked by the sandbox now and normalized when a
run renders them.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from dossier.activity import event_types
from dossier.core.jsonvalues import check_json
from dossier.profiles.attributes import AttributeRegistry, check_attribute_name
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME
from dossier.profiles.models import Company
from dossier.profiles.writes import normalize_tag, parse_write
from dossier.workflows import sandbox
from dossier.workflows.conditions import OPS, UNARY_OPS

PROFILE_FILTER, EVENT_FILTER, DELAY, UPDATE_PROFILE, ADD_EVENT = (
    "profileFilter", "eventFilter", "delay", "updateProfile", "addEvent")
NODE_TYPES = (PROFILE_FILTER, EVENT_FILTER, DELAY, UPDATE_PROFILE, ADD_EVENT)
MAX_DELAY_SECONDS = 60 * 24 * 3600
MAX_NODES = 50
MAX_CONDITIONS = 50
MAX_PARAMS_BYTES = 64 * 1024
# Keys of the API's workflow JSON that describe the stored workflow, not its behaviour.
META_KEYS = ("id", "version", "createdAt", "updatedAt", "createdBy")
TOP_KEYS = ("name", "enabled", "trigger", "nodes", "maxRunsPerProfilePerDay")
NODE_KEYS = {
    PROFILE_FILTER: ("where",),
    EVENT_FILTER: ("where",),
    DELAY: ("seconds",),
    UPDATE_PROFILE: ("set", "clear", "addTags", "removeTags", "agreements", "companyId"),
    ADD_EVENT: ("eventType", "params"),
}
CHANGE_NAMES = ("tags", "company")


@dataclass(frozen=True)
class Condition:
    path: str  # an event param (`formId`, `a.b`) or a profile field path (`city`, `attributes.plan`)
    op: str
    value: Any


@dataclass(frozen=True)
class Trigger:
    event: str
    where: tuple[Condition, ...] = ()
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    type: str
    where: tuple[Condition, ...] = ()
    seconds: int = 0
    set: dict = field(default_factory=dict)
    clear: tuple[str, ...] = ()
    add_tags: tuple = ()
    remove_tags: tuple = ()
    agreements: dict = field(default_factory=dict)
    company_id: Any = None
    sets_company: bool = False
    event_type: str = ""
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Definition:
    name: str
    trigger: Trigger
    nodes: tuple[Node, ...]
    max_runs_per_profile_per_day: int | None = None
    uses_profile: bool = False  # whether a node reads the profile (filters, templates over `profile`)


class Checker:
    """Collects FieldErrors under paths as the definition is walked."""

    def __init__(self, stored: bool = False) -> None:
        self.errors: list[FieldError] = []
        self.stored = stored

    def error(self, path: str, code: str, message: str, value: Any = None) -> None:
        self.errors.append(FieldError(path, code, message, value))

    def keys(self, path: str, data: dict, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else key, "unknown_field", f"allowed here: {', '.join(allowed)}", data[key])

    def template(self, path: str, value: Any) -> bool:
        """Check a value that may be a template; True when it is one (and valid)."""
        if not sandbox.is_template(value):
            return False
        try:
            sandbox.check_template(value)
        except sandbox.TemplateRefused as exc:
            self.error(path, "template_refused", str(exc), value)
        return True


def parse_definition(data: Any, *, stored: bool = False) -> tuple[Definition | None, list[FieldError]]:
    """The definition, or None with every problem found.

    `stored` reads a version that was validated when it was saved: the engine then skips the
    checks that look at the database (attribute types, company ids), which may have moved since
    and are checked again by the change service when a run writes.
    """
    check = Checker(stored)
    if not isinstance(data, dict):
        check.error("", "invalid_type", "a workflow is a JSON object {name, enabled, trigger, nodes}", None)
        return None, check.errors
    unstorable = [] if stored else check_json(data)
    if unstorable:
        return None, unstorable
    check.keys("", {k: v for k, v in data.items() if k not in META_KEYS}, TOP_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        check.error("name", "required", "a workflow has a name of 1-200 characters", name)
    if "enabled" in data and not isinstance(data["enabled"], bool):
        check.error("enabled", "invalid_type", "enabled is true or false", data["enabled"])
    limit = data.get("maxRunsPerProfilePerDay")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000):
        check.error("maxRunsPerProfilePerDay", "out_of_range", "an integer 1-10000, or null for no limit", limit)
    trigger = _trigger(check, data.get("trigger"))
    raw_nodes = data.get("nodes", [])
    nodes: list[Node] = []
    if not isinstance(raw_nodes, list):
        check.error("nodes", "invalid_type", "nodes is a list", raw_nodes)
    elif len(raw_nodes) > MAX_NODES:
        check.error("nodes", "too_many", f"at most {MAX_NODES} nodes", len(raw_nodes))
    else:
        registry = AttributeRegistry({}) if check.stored else AttributeRegistry.load()
        for index, raw in enumerate(raw_nodes):
            node = _node(check, f"nodes[{index}]", raw, registry)
            if node is not None:
                nodes.append(node)
    if check.errors:
        return None, check.errors
    definition = Definition(name=name.strip(), trigger=trigger, nodes=tuple(nodes), max_runs_per_profile_per_day=limit,
                            uses_profile=_uses_profile(nodes))
    return definition, []


def _uses_profile(nodes: list[Node]) -> bool:
    for node in nodes:
        if node.type == PROFILE_FILTER:
            return True
        if any(sandbox.is_template(v) and sandbox.uses_profile(v) for v in template_values(node)):
            return True
    return False


def template_values(node: Node) -> list[Any]:
    values = [*node.set.values(), *node.add_tags, *node.remove_tags, *node.agreements.values(), node.company_id]
    stack = [node.params]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            values.append(item)
    return values


def _trigger(check: Checker, raw: Any) -> Trigger | None:
    if not isinstance(raw, dict):
        check.error("trigger", "required", "a trigger is {event, where?, changed?}", raw)
        return None
    check.keys("trigger", raw, ("event", "where", "changed"))
    event = raw.get("event")
    if not isinstance(event, str) or not event_types.EVENT_TYPE_PATTERN.match(event):
        check.error("trigger.event", "invalid_type_name", "an event type is 2-64 letters, digits, '.', '_' or '-'", event)
    where = _conditions(check, "trigger.where", raw.get("where", []), "param")
    changed = raw.get("changed", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        check.error("trigger.changed", "invalid_type", "changed is a list of attribute names", changed)
        changed = []
    elif changed and event not in event_types.CHANGE_EVENT_TYPES:
        check.error("trigger.changed", "not_applicable", "changed applies to profile.created and profile.updated only", changed)
    for index, name in enumerate(changed):
        if name not in CHANGE_NAMES:
            _check_path(check, f"trigger.changed[{index}]", name)
    return Trigger(event=event, where=tuple(where), changed=tuple(changed))


def _check_path(check: Checker, path: str, name: Any) -> None:
    """A profile field path as the API names it: standard field, attributes.NAME, agreements.CHANNEL."""
    if not isinstance(name, str):
        check.error(path, "invalid_type", "a field path is text", name)
    elif name.startswith("attributes."):
        try:
            check_attribute_name(name[len("attributes."):])
        except InvalidValue as exc:
            check.error(path, exc.code, exc.message, name)
    elif name.startswith("agreements."):
        if name[len("agreements."):] not in AGREEMENT_CHANNELS:
            check.error(path, "unknown_field", "agreement channels are email, sms, push and webPush", name)
    elif name not in FIELDS_BY_NAME and name not in ("companyId", "tags"):
        check.error(path, "unknown_field", "is not a profile field; custom attributes are named attributes.NAME", name)


def _conditions(check: Checker, path: str, raw: Any, subject: str) -> list[Condition]:
    if not isinstance(raw, list):
        check.error(path, "invalid_type", "conditions are a list", raw)
        return []
    if len(raw) > MAX_CONDITIONS:
        check.error(path, "too_many", f"at most {MAX_CONDITIONS} conditions", len(raw))
        return []
    conditions = []
    for index, item in enumerate(raw):
        here = f"{path}[{index}]"
        if not isinstance(item, dict):
            check.error(here, "invalid_type", f"a condition is {{{subject}, op, value}}", item)
            continue
        check.keys(here, item, (subject, "op", "value"))
        name = item.get(subject)
        if not isinstance(name, str) or not name or len(name) > 200:
            check.error(f"{here}.{subject}", "required", f"name the {subject} to test", name)
        elif subject == "attribute":
            _check_path(check, f"{here}.attribute", name)
        op = item.get("op")
        if op not in OPS:
            check.error(f"{here}.op", "invalid_choice", f"op is one of {', '.join(OPS)}", op)
        elif op not in UNARY_OPS and "value" not in item:
            check.error(f"{here}.value", "required", f"'{op}' compares with a value", None)
        elif op == "in" and not isinstance(item.get("value"), list):
            check.error(f"{here}.value", "invalid_type", "'in' takes a list of values", item.get("value"))
        conditions.append(Condition(path=name, op=op, value=item.get("value")))
    return conditions


def _node(check: Checker, path: str, raw: Any, registry: AttributeRegistry) -> Node | None:
    if not isinstance(raw, dict):
        check.error(path, "invalid_type", "a node is an object with a type", raw)
        return None
    kind = raw.get("type")
    if kind not in NODE_TYPES:
        check.error(f"{path}.type", "invalid_choice", f"a node's type is one of {', '.join(NODE_TYPES)}", kind)
        return None
    check.keys(path, {k: v for k, v in raw.items() if k != "type"}, NODE_KEYS[kind])
    if kind in (PROFILE_FILTER, EVENT_FILTER):
        subject = "attribute" if kind == PROFILE_FILTER else "param"
        where = _conditions(check, f"{path}.where", raw.get("where"), subject)
        if not where and isinstance(raw.get("where"), list):
            check.error(f"{path}.where", "required", "a filter has at least one condition", raw.get("where"))
        return Node(kind, where=tuple(where))
    if kind == DELAY:
        seconds = raw.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_DELAY_SECONDS:
            check.error(f"{path}.seconds", "out_of_range", f"a delay is 1-{MAX_DELAY_SECONDS} seconds (60 days)", seconds)
            return None
        return Node(kind, seconds=seconds)
    if kind == UPDATE_PROFILE:
        return _update_node(check, path, raw, registry)
    return _event_node(check, path, raw)


def _update_node(check: Checker, path: str, raw: dict, registry: AttributeRegistry) -> Node | None:
    values = raw.get("set", {})
    literal: dict[str, Any] = {}
    if not isinstance(values, dict):
        check.error(f"{path}.set", "invalid_type", "set is an object of field path: value", values)
        values = {}
    for name, value in values.items():
        here = f"{path}.set.{name}"
        if not check.template(here, value):
            literal[name] = value
        elif not _is_field_path(name):
            check.error(here, "unknown_field", "is not a profile field; custom attributes are named attributes.NAME", name)
        else:
            _check_path(check, here, name)
    clear = raw.get("clear", [])
    if not isinstance(clear, list):
        check.error(f"{path}.clear", "invalid_type", "clear is a list of field paths", clear)
        clear = []
    for name in clear:
        if not isinstance(name, str):
            check.error(f"{path}.clear", "invalid_type", "clear is a list of field paths", name)
        elif name in values:
            check.error(f"{path}.clear", "conflict", f"'{name}' is both set and cleared", name)
        else:
            literal[name] = None
    write, errors = parse_write(literal, registry=registry)
    for error in errors:
        where = "clear" if literal.get(error.field, 0) is None and error.field in clear else f"set.{error.field}"
        check.error(f"{path}.{where}", error.code, error.message, error.value)
    tags = {key: _tags(check, f"{path}.{key}", raw.get(key, [])) for key in ("addTags", "removeTags")}
    agreements = raw.get("agreements", {})
    if not isinstance(agreements, dict):
        check.error(f"{path}.agreements", "invalid_type", "agreements is an object of channel: true/false", agreements)
        agreements = {}
    for channel, value in agreements.items():
        here = f"{path}.agreements.{channel}"
        if channel not in AGREEMENT_CHANNELS:
            check.error(here, "unknown_field", "agreement channels are email, sms, push and webPush", channel)
        elif not check.template(here, value) and not isinstance(value, bool):
            check.error(here, "invalid_boolean", "an agreement is true or false", value)
    company_id = raw.get("companyId")
    if company_id is not None and not check.template(f"{path}.companyId", company_id):
        try:
            company_id = str(uuid.UUID(str(company_id)))
        except ValueError:
            check.error(f"{path}.companyId", "invalid_id", "must be a company id (UUID)", company_id)
        else:
            if not check.stored and not Company.objects.filter(id=company_id).exists():
                check.error(f"{path}.companyId", "not_found", "no company has this id", company_id)
    node = Node(UPDATE_PROFILE, set=dict(values), clear=tuple(clear), add_tags=tuple(tags["addTags"]),
                remove_tags=tuple(tags["removeTags"]), agreements=dict(agreements), company_id=company_id,
                sets_company="companyId" in raw)
    if write.is_empty() and not values and not any(tags.values()) and not agreements and not node.sets_company:
        check.error(path, "empty", "an updateProfile node changes something: set, clear, addTags, removeTags, agreements or companyId")
    return node


def _is_field_path(name: str) -> bool:
    return name in FIELDS_BY_NAME or name == "companyId" or name.startswith(("attributes.", "agreements."))


def _tags(check: Checker, path: str, raw: Any) -> list:
    if not isinstance(raw, list):
        check.error(path, "invalid_type", "a list of tag names", raw)
        return []
    for index, tag in enumerate(raw):
        if check.template(f"{path}[{index}]", tag):
            continue
        try:
            normalize_tag(tag)
        except InvalidValue as exc:
            check.error(f"{path}[{index}]", exc.code, exc.message, tag)
    return list(raw)


def _event_node(check: Checker, path: str, raw: dict) -> Node:
    event_type = raw.get("eventType")
    if not isinstance(event_type, str) or not event_types.EVENT_TYPE_PATTERN.match(event_type):
        check.error(f"{path}.eventType", "invalid_type_name", "an event type is 2-64 letters, digits, '.', '_' or '-'", event_type)
    elif event_type in event_types.LIFECYCLE_EVENT_TYPES:
        check.error(f"{path}.eventType", "reserved",
                    "profile.created, profile.updated and profile.deleted are written by Dossier itself", event_type)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        check.error(f"{path}.params", "invalid_type", "params is an object", params)
        params = {}
    elif len(json.dumps(params)) > MAX_PARAMS_BYTES:
        check.error(f"{path}.params", "too_large", f"params are at most {MAX_PARAMS_BYTES} bytes as JSON")
    _param_templates(check, f"{path}.params", params)
    return Node(ADD_EVENT, event_type=event_type or "", params=params)


def _param_templates(check: Checker, path: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _param_templates(check, f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _param_templates(check, f"{path}[{index}]", item)
    else:
        check.template(path, value)
