"""Workflows and runs as the API's JSON."""

from typing import Any

from dossier.workflows.models import Workflow, WorkflowRun


def workflow_json(workflow: Workflow, definition: dict) -> dict[str, Any]:
    return {"id": workflow.id, **definition, "enabled": workflow.enabled, "version": workflow.version,
            "createdBy": workflow.created_by, "createdAt": workflow.created_at.isoformat(),
            "updatedAt": workflow.updated_at.isoformat()}


def run_json(run: WorkflowRun) -> dict[str, Any]:
    """A run; `run.version` must be loaded with it (select_related) for lists."""
    return {
        "id": run.id, "workflowId": run.workflow_id, "version": run.version.number, "eventId": run.event_id,
        "profileId": str(run.profile_id), "status": run.status, "reason": run.reason, "position": run.position,
        "resumeAt": run.resume_at.isoformat() if run.resume_at else None, "log": run.log, "changes": run.changes,
        "createdAt": run.created_at.isoformat(), "updatedAt": run.updated_at.isoformat(),
        "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
    }
