"""The import endpoints' body and answers, for the OpenAPI schema (see dossier.core.openapi).

An import is a multipart upload: the file, and its options as one JSON part, which is what
`parse_options` reads (SPEC §6).
"""

from dossier.core.openapi import IDEMPOTENCY_KEY, TIMESTAMP, UUID, headers, multipart_body, operation, responses
from dossier.imports.mapping import (CLEAR, COMPANY, ID, IGNORE, LEAVE, POLICIES, REJECT_ROW, SKIP_VALUE, TAG_SEPARATORS,
                                     TAGS)
from dossier.imports.parsing import DELIMITER_NAMES
from dossier.imports.services import STATUSES
from dossier.jobs.models import Job
from dossier.jobs.openapi import FIELD_PATH
from dossier.profiles.attributes import TYPES
from dossier.profiles.fields import IDENTIFIER_FIELDS
from dossier.profiles.openapi import TAG

FILE_TYPES = "text/csv, application/jsonl"
TARGET = {"anyOf": [FIELD_PATH, {"enum": [TAGS, ID, COMPANY, IGNORE]}],
          "description": "a profile field, attributes.NAME, agreements.CHANNEL, company (by name), companyId, tags, "
                         "id (Dossier's profile ids) or ignore"}
DATE_FORMAT = {"type": "string", "maxLength": 64, "example": "%m/%d/%Y",
               "description": "how a date column is written, as Python's strptime reads it"}
COLUMN = {
    "anyOf": [
        TARGET,
        {"type": "null", "description": "ignore the column"},
        {"type": "object", "additionalProperties": False,
         "properties": {"target": TARGET,
                        "type": {"enum": list(TYPES), "description": "custom attributes only: the type of a new one"},
                        "policy": {"enum": list(POLICIES), "description": "always (default), ifEmpty or never"},
                        "dateFormat": DATE_FORMAT}},
    ],
}
OPTIONS = {
    "type": "object", "additionalProperties": False,
    "description": "every option may be left out",
    "properties": {
        "identifier": {"enum": list(IDENTIFIER_FIELDS), "description": "how a row names its profile; by default the first mapped"},
        "mapping": {"type": "object", "additionalProperties": COLUMN,
                    "description": "column header (or #N, its 1-based number, for a repeated header): target; "
                                   "a column not named is mapped by its header"},
        "emptyCells": {"enum": [LEAVE, CLEAR], "description": "leave (default): an empty cell changes nothing"},
        "createNew": {"type": "boolean", "description": "false: rows that match no profile are skipped"},
        "addTags": {"anyOf": [TAG, {"type": "array", "items": TAG}], "description": "tags added to every imported profile"},
        "dryRun": {"type": "boolean", "description": "count what would change, write nothing"},
        "invalidValues": {"enum": [SKIP_VALUE, REJECT_ROW],
                          "description": "skipValue (default): an invalid cell is left out and reported, the rest of "
                                         "its row imported; rejectRow: the row is rejected"},
        "tagSeparator": {"enum": list(TAG_SEPARATORS), "description": "default: ; unless the file's tag cells use , or |"},
        "phoneRegion": {"type": "string", "maxLength": 100,
                        "description": "the country of phones without a country code, in rows without a country"},
        "dateFormats": {"type": "object", "additionalProperties": DATE_FORMAT,
                        "description": "column header, #N or target (birthDate): its date format"},
        "keepUnmapped": {"type": "boolean", "description": "keep columns that match no field as text custom attributes"},
    },
}
UPLOAD = {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "CSV (UTF-8, a header row; delimiter , ; tab or |) or JSON Lines"},
        "options": OPTIONS,
    },
}
COUNTS = {"type": "object", "required": list(STATUSES), "properties": {status: {"type": "integer"} for status in STATUSES}}
IMPORT = {
    "type": "object",
    "required": ["id", "status", "dryRun", "file", "options", "progress", "counts", "attributes", "errors", "failure",
                 "errorReport", "createdBy", "createdAt", "startedAt", "finishedAt", "links"],
    "properties": {
        "id": UUID, "status": {"enum": list(Job.Status.values)}, "dryRun": {"type": "boolean"},
        "file": {"type": "object", "properties": {"name": {"type": "string"}, "size": {"type": "integer"},
                                                  "format": {"enum": ["csv", "jsonl"]}, "encoding": {"type": "string"},
                                                  "delimiter": {"enum": [*DELIMITER_NAMES.values(), None]},
                                                  "columns": {"type": "array", "items": {"type": "string"}}}},
        "options": {"type": "object", "description": "the options as resolved: every column's target, or why it is "
                                                     "not imported"},
        "progress": {"type": "object"}, "counts": COUNTS,
        "valuesSkipped": {"type": "integer", "description": "invalid values left out of imported rows"},
        "notImported": {"type": "array", "items": {"type": "object"}, "description": "the columns not imported, and why"},
        "read": {"type": ["object", "null"], "description": "what reading the whole file found: date orders, tag "
                                                             "separators, rows folded into a later row of their profile"},
        "attributes": {"type": "object", "description": "per attribute, how many values changed (or would)"},
        "sample": {"type": "array", "items": {"type": "object"}, "description": "up to 20 changes, before and after"},
        "errors": {"type": "array"}, "failure": {"type": ["string", "null"]},
        "errorReport": {"type": ["string", "null"]}, "createdBy": {"type": "string"}, "createdAt": TIMESTAMP,
        "startedAt": {**TIMESTAMP, "type": ["string", "null"]}, "finishedAt": {**TIMESTAMP, "type": ["string", "null"]},
        "links": {"type": "object"},
    },
}

START_IMPORT = operation(
    multipart_body(UPLOAD, encoding={"file": {"contentType": FILE_TYPES}, "options": {"contentType": "application/json"}}),
    headers(IDEMPOTENCY_KEY),
    responses({200: ("the import, finished (a small file runs within the request)", IMPORT),
               202: ("the import, queued for the worker", IMPORT)}, errors=(400, 403, 413, 422, 507)),
)
READ_IMPORT = responses({200: ("the import, finished", IMPORT), 202: ("the import, queued or running", IMPORT)},
                        errors=(403, 404))
ERROR_REPORT = responses({200: ("the rows with problems as uploaded, after row, column and error columns", {"type": "string"})},
                         errors=(403, 404), media_type="text/csv")
