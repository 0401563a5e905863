"""The batch edit and job endpoints' bodies and answers, for the OpenAPI schema (see dossier.core.openapi).

The body of a batch edit is what `do_start_batch_edit` and `parse_changes` read (SPEC §5).
"""

from dossier.core.openapi import IDEMPOTENCY_KEY, NO_BODY, TIMESTAMP, UUID, headers, json_body, operation, query, responses
from dossier.jobs.models import Job
from dossier.profiles.fields import AGREEMENT_CHANNELS
from dossier.profiles.openapi import (
    AGREEMENT,
    AGREEMENTS,
    ATTRIBUTE_NAME_PATTERN,
    ATTRIBUTE_VALUE,
    COMPANY_ID,
    FIELD_VALUES,
    FILTER_VALUES,
    TAGS,
)

ATTRIBUTE_PATH = "^attributes\\." + ATTRIBUTE_NAME_PATTERN[1:]
AGREEMENT_PATHS = [f"agreements.{channel}" for channel in AGREEMENT_CHANNELS]
FIELD_PATH = {"anyOf": [{"enum": [*FIELD_VALUES, *AGREEMENT_PATHS, "companyId"]}, {"type": "string", "pattern": ATTRIBUTE_PATH}],
              "description": "a standard field, attributes.NAME, agreements.CHANNEL or companyId"}

CHANGES = {
    "type": "object",
    "description": "at least one change; each profile gets it through the change service, as a single write would",
    "minProperties": 1,
    "properties": {
        "set": {"type": "object", "description": "field path: value; a custom attribute is attributes.NAME",
                "properties": {**FIELD_VALUES, **{path: AGREEMENT for path in AGREEMENT_PATHS}, "companyId": COMPANY_ID},
                "patternProperties": {ATTRIBUTE_PATH: ATTRIBUTE_VALUE}, "additionalProperties": False},
        "clear": {"type": "array", "items": FIELD_PATH, "description": "field paths to clear (not also in set)"},
        "addTags": TAGS,
        "removeTags": TAGS,
        "agreements": AGREEMENTS,
        "companyId": COMPANY_ID,
    },
    "additionalProperties": False,
}
FILTER_VALUE = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
SELECTION_FILTER = {
    "type": "object", "description": "the profile list's filters (GET /profiles): all profiles that match",
    "properties": {**{name: FILTER_VALUE for name in FILTER_VALUES["properties"]},
                   "search": FILTER_VALUE, "tag": FILTER_VALUE, "company": FILTER_VALUE},
    "patternProperties": {"^attributes\\.": FILTER_VALUE},
    "additionalProperties": False,
}
SELECTION = {
    "oneOf": [
        {"type": "object", "required": ["ids"], "additionalProperties": False,
         "properties": {"ids": {"type": "array", "minItems": 1, "items": UUID}}},
        {"type": "object", "required": ["filter"], "additionalProperties": False, "properties": {"filter": SELECTION_FILTER}},
    ],
}
BATCH_EDIT_BODY = {
    "type": "object", "required": ["selection", "changes"], "additionalProperties": False,
    "properties": {"selection": SELECTION, "changes": CHANGES,
                   "dryRun": {"type": "boolean", "description": "report what would change, write nothing"}},
}

JOB = {
    "type": "object",
    "required": ["id", "kind", "status", "total", "processed", "succeeded", "failed", "createdBy", "createdAt",
                 "startedAt", "finishedAt", "cancelRequested", "dryRun", "params", "summary", "undoes", "undoneBy", "links"],
    "properties": {
        "id": UUID, "kind": {"enum": list(Job.Kind.values)}, "status": {"enum": list(Job.Status.values)},
        **{name: {"type": "integer", "minimum": 0} for name in ("total", "processed", "succeeded", "failed")},
        "createdBy": {"type": "string"}, "createdAt": TIMESTAMP,
        "startedAt": {**TIMESTAMP, "type": ["string", "null"]}, "finishedAt": {**TIMESTAMP, "type": ["string", "null"]},
        "cancelRequested": {"type": "boolean"}, "dryRun": {"type": "boolean"},
        "params": {"type": "object"}, "summary": {"type": "object"},
        "undoes": {**UUID, "type": ["string", "null"]}, "undoneBy": {**UUID, "type": ["string", "null"]},
        "links": {"type": "object"},
        "errors": {"type": "array", "description": "the first problems, per profile; not in lists"},
    },
}
STARTED_JOB = {200: ("the job, finished (a small selection runs within the request)", JOB),
               202: ("the job, queued for the worker", JOB)}

BATCH_EDIT = operation(json_body(BATCH_EDIT_BODY), headers(IDEMPOTENCY_KEY),
                       responses(STARTED_JOB, errors=(400, 403, 413, 422)))
LIST_JOBS = operation(
    query(("kind", {"enum": list(Job.Kind.values)}, "only jobs of this kind"),
          ("status", {"enum": list(Job.Status.values)}, "only jobs in this status"),
          ("before", UUID, "the next of the previous page: jobs listed after this one"),
          ("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "page size, 50 by default")),
    responses({200: ("a page of jobs, newest first", {"type": "object", "required": ["items", "next"],
                                                      "properties": {"items": {"type": "array", "items": JOB},
                                                                     "next": {**UUID, "type": ["string", "null"]}}})},
              errors=(403, 422)),
)
READ_JOB = responses({200: ("the job", JOB)}, errors=(403, 404))
CANCEL_JOB = operation(NO_BODY, responses({200: ("the job, cancelled or asked to stop after its current chunk", JOB)},
                                          errors=(403, 404, 409)))
UNDO_JOB = operation(NO_BODY, headers(IDEMPOTENCY_KEY), responses(STARTED_JOB, errors=(403, 404, 409)))
