"""Which workflows an event starts: trigger matching, loop protection and the daily limit (SPEC §7).

Every matching (workflow, event) pair becomes exactly one run. A run that must not go ahead is
still recorded, as `suppressed` with the reason, so the runs page explains why nothing happened:
- loop: the workflow caused the event, directly or higher up its `causedBy` chain;
- depth: the event is the fifth link of a chain of workflow-caused events;
- limit: the profile already had the workflow's `maxRunsPerProfilePerDay` runs in the last 24 hours.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from django.db.models import Count

from dossier.activity.models import Event
from dossier.workflows.definition import Definition
from dossier.workflows.execution import RunState, trigger_holds
from dossier.workflows.models import WorkflowRun

Status = WorkflowRun.Status
MAX_DEPTH = 5
EVENT_FIELDS = ("id", "profile_id", "type", "time", "source", "actor", "job_id", "caused_by_id", "params")


@dataclass(frozen=True)
class ActiveWorkflow:
    workflow_id: int
    version_id: int
    definition: Definition


def event_dict(row: dict) -> dict:
    """An event row as templates and conditions see it: the API's JSON shape (SPEC §3)."""
    return {
        "id": row["id"], "profileId": str(row["profile_id"]), "type": row["type"], "time": row["time"].isoformat(),
        "source": row["source"], "actor": row["actor"], "jobId": str(row["job_id"]) if row["job_id"] else None,
        "causedBy": row["caused_by_id"], "params": row["params"] or {},
    }


def load_events(event_ids: Iterable[int]) -> dict[int, dict]:
    rows = Event.objects.filter(id__in=list(event_ids)).values(*EVENT_FIELDS)
    return {row["id"]: row for row in rows}


def runs_for_events(rows: list[dict], workflows: list[ActiveWorkflow], now: dt.datetime) -> list[RunState]:
    """New runs (running or suppressed) for the events, in event order."""
    by_type: dict[str, list[ActiveWorkflow]] = {}
    for workflow in workflows:
        by_type.setdefault(workflow.definition.trigger.event, []).append(workflow)
    pairs: list[tuple[dict, dict, ActiveWorkflow]] = []
    for row in sorted(rows, key=lambda r: r["id"]):
        event = event_dict(row)
        for workflow in by_type.get(row["type"], ()):
            if trigger_holds(workflow.definition, event):
                pairs.append((row, event, workflow))
    if not pairs:
        return []
    chains = _chains([row for row, _, _ in pairs])
    recent = _recent_runs([(w, row["profile_id"]) for row, _, w in pairs if w.definition.max_runs_per_profile_per_day], now)
    runs = []
    for row, event, workflow in pairs:
        run = RunState(workflow.workflow_id, workflow.version_id, workflow.definition, event, row["profile_id"],
                       created_at=now)
        depth, actors = chains.get(row["id"], (0, {row["actor"]}))
        reason = ""
        if run.actor in actors:
            reason = "loop: this workflow caused the triggering event"
        elif depth >= MAX_DEPTH:
            reason = f"depth: the triggering event ends a chain of {depth} workflow-caused events (the limit is {MAX_DEPTH})"
        elif workflow.definition.max_runs_per_profile_per_day:
            key = (workflow.workflow_id, row["profile_id"])
            limit = workflow.definition.max_runs_per_profile_per_day
            if recent.get(key, 0) >= limit:
                reason = f"limit: this profile already had {limit} runs of this workflow in the last 24 hours"
            else:
                recent[key] = recent.get(key, 0) + 1
        if reason:
            run.note(None, "trigger", "suppressed", reason)
            run.finish(Status.SUPPRESSED, reason)
        else:
            run.note(None, "trigger", "matched", f"{row['type']} event {row['id']}")
        runs.append(run)
    return runs


def _chains(rows: list[dict]) -> dict[int, tuple[int, set[str]]]:
    """Per workflow-caused event: how many `causedBy` links lead up from it (up to MAX_DEPTH) and
    the actors along the way. One query per level, only for events that have a cause."""
    chains: dict[int, tuple[int, set[str]]] = {}
    frontier: dict[int, int] = {}
    for row in rows:
        chains[row["id"]] = (0, {row["actor"]})
        if row["caused_by_id"] is not None:
            frontier[row["id"]] = row["caused_by_id"]
    known: dict[int, tuple[str, Any]] = {}
    while frontier:
        for event_id in frontier:
            depth, actors = chains[event_id]
            chains[event_id] = (depth + 1, actors)
        missing = set(frontier.values()) - known.keys()
        if missing:
            known.update({pk: (actor, parent) for pk, actor, parent in
                          Event.objects.filter(id__in=missing).values_list("id", "actor", "caused_by_id")})
        next_frontier = {}
        for event_id, parent in frontier.items():
            if parent not in known:
                continue
            actor, grandparent = known[parent]
            chains[event_id][1].add(actor)
            if grandparent is not None and chains[event_id][0] < MAX_DEPTH:
                next_frontier[event_id] = grandparent
        frontier = next_frontier
    return chains


def _recent_runs(pairs: list[tuple[ActiveWorkflow, Any]], now: dt.datetime) -> dict[tuple[int, Any], int]:
    if not pairs:
        return {}
    workflow_ids = {w.workflow_id for w, _ in pairs}
    profile_ids = {p for _, p in pairs}
    counts = (WorkflowRun.objects.filter(workflow_id__in=workflow_ids, profile_id__in=profile_ids,
                                         created_at__gte=now - dt.timedelta(days=1))
              .exclude(status=Status.SUPPRESSED).values("workflow_id", "profile_id").annotate(n=Count("id")))
    return {(row["workflow_id"], row["profile_id"]): row["n"] for row in counts}
