"""The workflow endpoints' bodies and query parameters, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import EVENT_PARAMS, EVENT_TYPE, ID_CURSOR, LIMIT, json_body, query
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

SAVE_WORKFLOW = json_body(WORKFLOW)
TEST_WORKFLOW = json_body(SAMPLE)
LIST_RUNS = query(("status", {"enum": list(WorkflowRun.Status.values)}, "only runs in this status"),
                  ("eventId", ID_CURSOR, "only the run of this triggering event"),
                  ("limit", {**LIMIT, "maximum": 200}, "page size, 50 by default"),
                  ("cursor", ID_CURSOR, "the nextCursor of the previous page"))
