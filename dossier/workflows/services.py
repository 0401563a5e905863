"""Use cases on workflows: create, edit (a new version when the definition changes), enable,
delete, and test a sample event without writing anything."""

from typing import Any, Mapping

from django.db import transaction
from django.utils import timezone

from dossier.activity import event_types
from dossier.profiles.errors import FieldError
from dossier.profiles.models import Profile
from dossier.profiles.services import identity_of
from dossier.workflows.definition import META_KEYS, Definition, parse_definition
from dossier.workflows.execution import RunState, execute, trigger_holds
from dossier.workflows.models import Workflow, WorkflowVersion

PROFILE_LOOKUP = {"id": "id", "email": "email", "customId": "custom_id", "phone": "phone"}


class InvalidDefinition(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def _parse(data: Any) -> Definition:
    definition, errors = parse_definition(data)
    if errors:
        raise InvalidDefinition(errors)
    return definition


def stored_definition(data: Mapping[str, Any]) -> dict:
    """What a version keeps: the definition without `enabled` (a switch, not an edit) or metadata."""
    return {key: value for key, value in data.items() if key not in META_KEYS and key != "enabled"}


def do_create_workflow(data: Any, actor: str) -> Workflow:
    definition = _parse(data)
    with transaction.atomic():
        workflow = Workflow.objects.create(name=definition.name, enabled=data.get("enabled", False),
                                           trigger_event=definition.trigger.event, created_by=actor)
        WorkflowVersion.objects.create(workflow=workflow, number=1, definition=stored_definition(data), created_by=actor)
    return workflow


def do_update_workflow(workflow_id: int, data: Any, actor: str) -> Workflow:
    """Save an edit. Runs that started keep their version; new runs take the new one. `enabled`
    is kept as it is when the body leaves it out."""
    definition = _parse(data)
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update().get(id=workflow_id)
        stored = stored_definition(data)
        current = WorkflowVersion.objects.get(workflow=workflow, number=workflow.version)
        if stored != current.definition:
            workflow.version += 1
            WorkflowVersion.objects.create(workflow=workflow, number=workflow.version, definition=stored, created_by=actor)
        workflow.name = definition.name
        workflow.trigger_event = definition.trigger.event
        workflow.enabled = data.get("enabled", workflow.enabled)
        workflow.save()
    return workflow


def do_set_enabled(workflow_id: int, enabled: bool) -> Workflow:
    with transaction.atomic():
        workflow = Workflow.objects.select_for_update().get(id=workflow_id)
        if workflow.enabled != enabled:
            workflow.enabled = enabled
            workflow.save(update_fields=["enabled", "updated_at"])
    return workflow


def do_delete_workflow(workflow_id: int) -> bool:
    deleted, _ = Workflow.objects.filter(id=workflow_id).delete()
    return bool(deleted)


def current_definition(workflow: Workflow) -> dict:
    return WorkflowVersion.objects.get(workflow=workflow, number=workflow.version).definition


def check_sample(sample: Any) -> list[FieldError]:
    errors = []
    if not isinstance(sample, dict):
        return [FieldError("event", "required", "send the sample event as {type, params, profile?}", sample)]
    if not isinstance(sample.get("type"), str) or not event_types.EVENT_TYPE_PATTERN.match(sample["type"]):
        errors.append(FieldError("event.type", "invalid_type_name", "an event type is 2-64 letters, digits, '.', '_' or '-'", sample.get("type")))
    if not isinstance(sample.get("params", {}), dict):
        errors.append(FieldError("event.params", "invalid_type", "params is an object", sample.get("params")))
    if sample.get("profile") is not None and not isinstance(sample["profile"], dict):
        errors.append(FieldError("event.profile", "invalid_type", "name the profile as {id}, {email}, {customId} or {phone}", sample["profile"]))
    return errors


def do_test_workflow(workflow: Workflow, sample: Any, definition_data: Any = None, actor: str = "") -> dict:
    """Run a sample event through the workflow (its current version, or the definition given, as
    the editor sends unsaved edits) with the engine's own code in dry-run mode: filters are
    evaluated, delays skipped, writes computed by the change service and rolled back."""
    definition = _parse(definition_data if definition_data is not None else current_definition(workflow))
    errors = check_sample(sample)
    identity = None
    if not errors and sample.get("profile"):
        identity, id_errors = identity_of(sample["profile"])
        errors += [FieldError(f"event.profile.{e.field}", e.code, e.message, e.value) for e in id_errors]
    if errors:
        raise InvalidDefinition(errors)
    profile_id = None
    if identity is not None:
        profile_id = Profile.objects.filter(**{PROFILE_LOOKUP[identity.kind]: identity.value}).values_list("id", flat=True).first()
    event = {"id": None, "profileId": str(profile_id) if profile_id else None, "type": sample["type"],
             "time": timezone.now().isoformat(), "source": event_types.SOURCE_API, "actor": actor, "jobId": None,
             "causedBy": None, "params": sample.get("params") or {}}
    result = {"triggered": trigger_holds(definition, event), "profileId": event["profileId"],
              "profileFound": profile_id is not None, "status": None, "reason": "", "log": [], "changes": []}
    if not result["triggered"]:
        result["reason"] = f"the trigger ({definition.trigger.event}) does not fire on this event"
        return result
    run = RunState(workflow.id, 0, definition, event, profile_id)
    execute([run], dry_run=True)
    result.update(status=run.status, reason=run.reason, log=run.log, changes=run.changes)
    return result
