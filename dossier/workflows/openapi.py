"""The workflow endpoints' bodies and query parameters, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import EVENT_PARAMS, EVENT_TYPE, ID_CURSOR, LIMIT, TIMESTAMP, UUID, json_body, operation, query, responses
from dossier.workflows.conditions import OPS
from dossier.workflows.definition import MAX_DELAY_SECONDS, MAX_NODES, NODE_TYPES
from dossier.workflows.models import WorkflowRun

FIELD_PATH = {"type": "string", "description": "firstName, attributes.NAME, agreements.email, ..."}
TAGS = {"type": "array", "items": {"type": "string"}}


def _condition(subject: str) -> dict:
    return {"type": "object", "required": [subject, "op"],
            "properties": {subject: {"type": "string", "minLength": 1, "maxLength": 200}, "op": {"enum": list(OPS)}, "value": {}}}


NODE = {
    "type": "object", "required": ["type"],
    "properties": {
        "type": {"enum": list(NODE_TYPES)},
        "where": {"type": "array", "items": {"anyOf": [_condition("param"), _condition("attribute")]}},
        "seconds": {"type": "integer", "minimum": 1, "maximum": MAX_DELAY_SECONDS},
        "set": {"type": "object", "additionalProperties": True, "description": "field path: value or template"},
        "clear": {"type": "array", "items": FIELD_PATH},
        "addTags": TAGS,
        "removeTags": TAGS,
        "agreements": {"type": "object", "additionalProperties": {"type": ["boolean", "string"]}},
        "companyId": {"type": ["string", "null"]},
        "eventType": EVENT_TYPE,
        "params": EVENT_PARAMS,
    },
}
WORKFLOW = {
    "type": "object", "required": ["name", "trigger"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "enabled": {"type": "boolean"},
        "trigger": {"type": "object", "required": ["event"],
                    "properties": {"event": EVENT_TYPE, "where": {"type": "array", "items": _condition("param")},
                                   "changed": {"type": "array", "items": FIELD_PATH}}},
        "nodes": {"type": "array", "maxItems": MAX_NODES, "items": NODE},
        "maxRunsPerProfilePerDay": {"type": ["integer", "null"], "minimum": 1, "maximum": 10_000},
    },
}
SAMPLE = {
    "type": "object", "required": ["event"],
    "properties": {
        "event": {"type": "object", "required": ["type"],
                  "properties": {"type": EVENT_TYPE, "params": EVENT_PARAMS,
                                 "profile": {"type": "object", "description": "{id}, {email}, {customId} or {phone}"}}},
        "definition": {**WORKFLOW, "description": "unsaved edits to test instead of the current version"},
    },
}

WORKFLOW_ANSWER = {
    "type": "object", "required": ["id", "name", "enabled", "version", "createdBy", "createdAt", "updatedAt"],
    "properties": {**WORKFLOW["properties"], "id": {"type": "integer"}, "version": {"type": "integer"},
                   "createdBy": {"type": "string"}, "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP},
}
RUN = {
    "type": "object", "required": ["id", "workflowId", "version", "eventId", "profileId", "status", "createdAt"],
    "properties": {"id": {"type": "integer"}, "workflowId": {"type": "integer"}, "version": {"type": "integer"},
                   "eventId": {"type": ["integer", "null"]}, "profileId": UUID,
                   "status": {"enum": list(WorkflowRun.Status.values)}, "createdAt": TIMESTAMP},
}

LIST_WORKFLOWS = responses({200: ("every workflow, each as its current version", {
    "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": WORKFLOW_ANSWER}}})}, errors=(403,))
CREATE_WORKFLOW = operation(json_body(WORKFLOW), responses({201: ("the workflow", WORKFLOW_ANSWER)}, errors=(400, 403, 413, 422)))
READ_WORKFLOW = responses({200: ("the workflow", WORKFLOW_ANSWER)}, errors=(403, 404))
REPLACE_WORKFLOW = operation(json_body(WORKFLOW), responses({200: ("the workflow, a new version", WORKFLOW_ANSWER)},
                                                            errors=(400, 403, 404, 413, 422)))
DELETE_WORKFLOW = responses({204: ("deleted, with its runs", None)}, errors=(403, 404))
TEST_WORKFLOW = operation(json_body(SAMPLE), responses({200: ("what the sample event would do", {
    "type": "object", "required": ["triggered", "profileId"],
    "properties": {"triggered": {"type": "boolean"}, "profileId": {**UUID, "type": ["string", "null"]}}})},
    errors=(400, 403, 404, 413, 422)))
LIST_RUNS = operation(
    query(("status", {"enum": list(WorkflowRun.Status.values)}, "only runs in this status"),
          ("eventId", ID_CURSOR, "only the run of this triggering event"),
          ("limit", {**LIMIT, "maximum": 200}, "page size, 50 by default"),
          ("cursor", ID_CURSOR, "the nextCursor of the previous page")),
    responses({200: ("a page of the workflow's runs, newest first", {
        "type": "object", "required": ["items", "nextCursor"],
        "properties": {"items": {"type": "array", "items": RUN}, "nextCursor": {"type": ["string", "null"]}}})},
        errors=(403, 404, 422)),
)
