"""Running workflow nodes for many runs at once, with the same code for real runs and tests.

Runs advance in rounds. In a round every run moves through its filters and delays until it
reaches a node that writes (updateProfile, addEvent) or stops (waiting, filtered out, failed,
done); then the round's writes go to the change service in one `apply_writes` call and the new
events in one `record_events` call, each item carrying its own run's actor and `causedBy`. A
profile is advanced by one run per round, in event order, so the runs of one profile see each
other's changes as if they had run one after the other.

A template error, a rejected write or an invalid event fails that run with the message recorded;
an unexpected error in a round is retried run by run, so one bad run never blocks the others
and never stops the worker.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.activity.services import NewEvent, record_events
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, Identity, WriteItem, apply_writes, empty_state, load_states
from dossier.profiles.models import Company
from dossier.profiles.serializers import state_json
from dossier.profiles.services import check_event
from dossier.profiles.writes import ProfileWrite, parse_write
from dossier.workflows import sandbox
from dossier.workflows.conditions import holds, lookup, profile_value
from dossier.workflows.definition import (
    ADD_EVENT, DELAY, EVENT_FILTER, PROFILE_FILTER, UPDATE_PROFILE, Condition, Definition, Node)
from dossier.workflows.models import WorkflowRun

logger = logging.getLogger(__name__)

Status = WorkflowRun.Status
MAX_ROUNDS = 50  # runs not finished after this many rounds are saved as running and resumed next batch
SKIP = object()


class NodeFailure(Exception):
    """A node cannot be carried out for this run; the message is recorded on the run."""


@dataclass
class RunState:
    """A run in memory while a batch advances it; saved to `WorkflowRun` by the engine."""

    workflow_id: int
    version_id: int
    definition: Definition | None
    event: dict  # the triggering event, as the API shows it
    profile_id: Any
    status: str = Status.RUNNING
    position: int = 0
    resume_at: dt.datetime | None = None
    reason: str = ""
    log: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    id: int | None = None
    created_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    @property
    def actor(self) -> str:
        return f"workflow:{self.workflow_id}"

    def note(self, node: int | None, kind: str, outcome: str, detail: str = "", **extra: Any) -> None:
        """Add a log entry; the changes a node made are kept once, in `changes`, by node index."""
        entry = {"at": timezone.now().isoformat(), "node": node, "type": kind, "outcome": outcome, **extra}
        if detail:
            entry["detail"] = detail
        self.log.append(entry)

    def finish(self, status: str, reason: str = "") -> None:
        self.status = status
        self.reason = reason[:500]
        self.resume_at = None
        self.finished_at = timezone.now()

    def fail(self, node: int | None, kind: str, message: str) -> None:
        self.note(node, kind, "failed", message)
        self.finish(Status.FAILED, message)

    def snapshot(self) -> tuple:
        """What `restore` needs to undo an attempt: the log and changes only ever grow."""
        return self.status, self.position, self.resume_at, self.reason, len(self.log), len(self.changes), self.finished_at

    def restore(self, snapshot: tuple) -> None:
        self.status, self.position, self.resume_at, self.reason, log_length, changes_length, self.finished_at = snapshot
        del self.log[log_length:]
        del self.changes[changes_length:]


def execute(runs: list[RunState], *, dry_run: bool = False) -> None:
    """Advance `runs` as far as they go now. Must be called inside the batch's transaction
    (or, for a dry run, anywhere: nothing is written)."""
    if not runs:
        return
    snapshots = [run.snapshot() for run in runs]
    try:
        with transaction.atomic():
            Execution(dry_run).rounds(runs)
        return
    except Exception as exc:  # retried run by run below, so the failure is pinned on the run that caused it
        for run, snapshot in zip(runs, snapshots):
            run.restore(snapshot)
        if len(runs) == 1:
            logger.exception("workflow run of event %s failed", runs[0].event.get("id"))
            runs[0].fail(runs[0].position, "error", f"the run stopped on an unexpected error: {type(exc).__name__}: {exc}")
            return
    for run in runs:
        execute([run], dry_run=dry_run)


class Execution:
    def __init__(self, dry_run: bool):
        self.dry_run = dry_run
        self.registry = AttributeRegistry.load()
        self.context = ChangeContext(source=event_types.SOURCE_WORKFLOW, actor="workflow")
        self.no_profile = empty_profile_json()  # what templates see when they do not read the profile

    def rounds(self, runs: list[RunState]) -> None:
        active = [run for run in runs if run.status == Status.RUNNING]
        for _ in range(MAX_ROUNDS):
            if not active:
                return
            this_round, profiles_seen = [], set()
            for run in active:
                if run.profile_id is None or run.profile_id not in profiles_seen:
                    profiles_seen.add(run.profile_id)
                    this_round.append(run)
            profiles = self.profiles([r.profile_id for r in this_round if r.definition.uses_profile])
            writes: list[tuple[RunState, int, WriteItem]] = []
            events: list[tuple[RunState, int, NewEvent]] = []
            for run in this_round:
                profile = profiles.get(run.profile_id, self.no_profile)
                self.advance(run, profile, writes, events)
            self.write(writes)
            self.add_events(events)
            for run in this_round:
                if run.status == Status.RUNNING and run.position >= len(run.definition.nodes):
                    run.finish(Status.DONE)
            active = [run for run in active if run.status == Status.RUNNING]

    def profiles(self, profile_ids: list) -> dict[Any, dict]:
        ids = [pid for pid in profile_ids if pid is not None]
        if not ids:
            return {}
        states = load_states(ids, lock=False)
        company_ids = {s["company_id"] for s in states.values() if s["company_id"]}
        companies = dict(Company.objects.filter(id__in=company_ids).values_list("id", "name")) if company_ids else {}
        return {pid: state_json(state, companies) for pid, state in states.items()}

    def advance(self, run: RunState, profile: dict, writes: list, events: list) -> None:
        nodes = run.definition.nodes
        while run.status == Status.RUNNING and run.position < len(nodes):
            index, node = run.position, nodes[run.position]
            if node.type in (PROFILE_FILTER, EVENT_FILTER):
                failed = first_unmet(node, run.event, profile)
                if failed is not None:
                    reason = f"nodes[{index}] {node.type}: {describe(failed)} is not met"
                    run.note(index, node.type, "filtered", describe(failed))
                    run.finish(Status.FILTERED, reason)
                    return
                run.note(index, node.type, "passed")
            elif node.type == DELAY:
                if self.dry_run:
                    run.note(index, DELAY, "skipped", f"would wait {node.seconds} s")
                elif run.resume_at is None:
                    run.resume_at = timezone.now() + dt.timedelta(seconds=node.seconds)
                    run.status = Status.WAITING
                    run.note(index, DELAY, "waiting", f"until {run.resume_at.isoformat()}")
                    return
                else:
                    run.resume_at = None
                    run.note(index, DELAY, "resumed")
            elif node.type == UPDATE_PROFILE:
                self.prepare_write(run, index, node, profile, writes)
                return
            elif node.type == ADD_EVENT:
                self.prepare_event(run, index, node, profile, events)
                return
            run.position += 1

    def prepare_write(self, run: RunState, index: int, node: Node, profile: dict, writes: list) -> None:
        try:
            write, skipped = render_write(node, run.event, profile, self.registry, f"nodes[{index}]")
        except NodeFailure as exc:
            run.fail(index, UPDATE_PROFILE, str(exc))
            return
        for path in skipped:
            run.note(index, UPDATE_PROFILE, "skipped", f"{path}: the template rendered empty; the value is left as it is")
        run.position += 1
        # Without a profile (a test naming none), the write shows what a new profile would get.
        identity = None if run.profile_id is None else Identity("id", run.profile_id)
        context = ChangeContext(source=event_types.SOURCE_WORKFLOW, actor=run.actor, caused_by_id=run.event["id"])
        writes.append((run, index, WriteItem(len(writes), identity, write, create=identity is None, context=context)))

    def prepare_event(self, run: RunState, index: int, node: Node, profile: dict, events: list) -> None:
        try:
            params = render_params(node.params, run.event, profile, f"nodes[{index}].params")
        except NodeFailure as exc:
            run.fail(index, ADD_EVENT, str(exc))
            return
        errors = check_event(node.event_type, params)
        if errors:
            run.fail(index, ADD_EVENT, "; ".join(f"nodes[{index}].{e.field}: {e.message}" for e in errors))
            return
        run.position += 1
        event = NewEvent(profile_id=run.profile_id, type=node.event_type, time=timezone.now(),
                         source=event_types.SOURCE_WORKFLOW, actor=run.actor, params=params,
                         caused_by_id=run.event["id"])
        events.append((run, index, event))

    def write(self, writes: list[tuple[RunState, int, WriteItem]]) -> None:
        if not writes:
            return
        results = apply_writes([item for _, _, item in writes], self.context, registry=self.registry,
                               dry_run=self.dry_run)
        for (run, index, _), result in zip(writes, results):
            if result.status in ("rejected", "skipped"):
                message = "; ".join(f"{e.field}: {e.message}" for e in result.errors)
                run.fail(index, UPDATE_PROFILE, f"nodes[{index}] updateProfile was refused: {message}")
                continue
            run.note(index, UPDATE_PROFILE, result.status)
            run.changes.extend({"node": index, **change} for change in result.changes)

    def add_events(self, events: list[tuple[RunState, int, NewEvent]]) -> None:
        if not events:
            return
        if not self.dry_run:
            record_events([event for _, _, event in events])
        for run, index, event in events:
            detail = f"{event.type} event {event.id}" if event.id else f"would add a {event.type} event"
            run.note(index, ADD_EVENT, "added" if event.id else "skipped", detail, params=event.params)


def empty_profile_json() -> dict:
    now = timezone.now()
    return state_json({**empty_state(), "id": "", "version": 0, "created_at": now, "updated_at": now}, {})


def first_unmet(node: Node, event: dict, profile: dict) -> Condition | None:
    for condition in node.where:
        if node.type == PROFILE_FILTER:
            actual = profile_value(profile, condition.path)
        else:
            actual = lookup(event.get("params") or {}, condition.path)
        if not holds(condition.op, actual, condition.value):
            return condition
    return None


def describe(condition: Condition) -> str:
    if condition.value is None and condition.op in ("exists", "notExists"):
        return f"{condition.path} {condition.op}"
    return f"{condition.path} {condition.op} {condition.value!r}"


def trigger_holds(definition: Definition, event: dict) -> bool:
    """Whether an event fires the definition's trigger (type, param conditions, changed attributes)."""
    trigger = definition.trigger
    if event.get("type") != trigger.event:
        return False
    params = event.get("params") or {}
    if any(not holds(c.op, lookup(params, c.path), c.value) for c in trigger.where):
        return False
    if trigger.changed:
        changed = {change.get("attribute") for change in params.get("changes", []) if isinstance(change, dict)}
        return bool(changed & set(trigger.changed))
    return True


def _render(value: Any, event: dict, profile: dict, path: str) -> Any:
    if not sandbox.is_template(value):
        return value
    try:
        return sandbox.render(value, event, profile)
    except Exception as exc:  # any failure of a template fails this run only, with what went wrong
        raise NodeFailure(f"{path}: template error: {type(exc).__name__}: {exc}") from None


def render_write(node: Node, event: dict, profile: dict, registry: AttributeRegistry,
                 prefix: str) -> tuple[ProfileWrite, list[str]]:
    """The node's write with its templates rendered; templated values that render empty are left out."""
    values: dict[str, Any] = {}
    skipped: list[str] = []

    def value(path: str, raw: Any) -> Any:
        rendered = _render(raw, event, profile, f"{prefix}.{path}")
        if rendered is not raw and isinstance(rendered, str) and not rendered.strip():
            skipped.append(f"{prefix}.{path}")
            return SKIP
        return rendered

    for name, raw in node.set.items():
        if (rendered := value(f"set.{name}", raw)) is not SKIP:
            values[name] = rendered
    for name in node.clear:
        values[name] = None
    for channel, raw in node.agreements.items():
        if (rendered := value(f"agreements.{channel}", raw)) is not SKIP:
            values[f"agreements.{channel}"] = rendered
    if node.sets_company and (rendered := value("companyId", node.company_id)) is not SKIP:
        values["companyId"] = rendered
    tags = {}
    for key, raw_tags in (("addTags", node.add_tags), ("removeTags", node.remove_tags)):
        tags[key] = [t for i, raw in enumerate(raw_tags) if (t := value(f"{key}[{i}]", raw)) is not SKIP]
    write, errors = parse_write(values, registry=registry, add_tags=tags["addTags"], remove_tags=tags["removeTags"])
    if errors:
        raise NodeFailure("; ".join(f"{prefix}.{_node_path(e.field)}: {e.message} (got {e.value!r})" for e in errors))
    return write, skipped


def _node_path(field_name: str) -> str:
    if field_name in ("addTags", "removeTags"):
        return field_name
    if field_name.startswith("agreements."):
        return field_name
    return f"set.{field_name}"


def render_params(params: Any, event: dict, profile: dict, path: str) -> Any:
    if isinstance(params, dict):
        return {key: render_params(value, event, profile, f"{path}.{key}") for key, value in params.items()}
    if isinstance(params, list):
        return [render_params(value, event, profile, f"{path}[{i}]") for i, value in enumerate(params)]
    return _render(params, event, profile, path)
