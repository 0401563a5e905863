"""The webhook endpoints' bodies and answers, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import ID_CURSOR, LIMIT, NO_BODY, TIMESTAMP, UUID, json_body, operation, query, responses
from dossier.webhooks.models import Message

NULLABLE_TIME = {**TIMESTAMP, "type": ["string", "null"]}
FIELDS = {
    "url": {"type": "string", "format": "uri", "maxLength": 2048},
    "eventTypes": {"type": "array", "minItems": 1, "maxItems": 50, "items": {"type": "string"},
                   "description": "profile.created, profile.updated, profile.deleted, form.submit, custom types, or \"*\""},
    "changed": {"type": "array", "items": {"type": "string"},
                "description": "profile.created/updated only when one of these fields changed"},
    "description": {"type": "string", "maxLength": 255},
    "enabled": {"type": "boolean"},
}
SUBSCRIPTION = {"type": "object", "required": ["url", "eventTypes"], "properties": FIELDS, "additionalProperties": False}
CHANGES = {"type": "object", "minProperties": 1, "properties": FIELDS, "additionalProperties": False}
ANSWER = {
    "type": "object", "required": ["id", "url", "eventTypes", "enabled", "messages"],
    "properties": {**FIELDS, "id": UUID, "secret": {"type": "string", "description": "whsec_..., the signing key"},
                   "disabledReason": {"type": ["string", "null"]}, "failingSince": NULLABLE_TIME,
                   "messages": {"type": "object"}, "createdAt": TIMESTAMP, "createdBy": {"type": "string"}},
}
ATTEMPT = {"type": "object", "properties": {"number": {"type": "integer"}, "at": TIMESTAMP,
                                            "statusCode": {"type": ["integer", "null"]},
                                            "latencyMs": {"type": ["integer", "null"]}, "error": {"type": ["string", "null"]}}}
MESSAGE = {"type": "object", "required": ["id", "status", "attempts"],
           "properties": {"id": {"type": "string"}, "status": {"enum": list(Message.Status.values)},
                          "test": {"type": "boolean"}, "eventIds": {"type": "array", "items": {"type": "integer"}},
                          "attempts": {"type": "array", "items": ATTEMPT}, "nextAttemptAt": NULLABLE_TIME,
                          "createdAt": TIMESTAMP, "deliveredAt": NULLABLE_TIME}}

LIST = responses({200: ("every subscription (without secrets)", {
    "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ANSWER}}})}, errors=(403,))
CREATE = operation(json_body(SUBSCRIPTION), responses({201: ("the subscription, with its secret", ANSWER)},
                                                      errors=(400, 403, 413, 415, 422)))
READ = responses({200: ("the subscription", ANSWER)}, errors=(403, 404))
READ_NO_BODY = operation(NO_BODY, READ)
UPDATE = operation(json_body(CHANGES), responses({200: ("the subscription", ANSWER)}, errors=(400, 403, 404, 413, 415, 422)))
DELETE = responses({204: ("deleted, with its messages and log", None)}, errors=(403, 404))
SEND_TEST = operation(NO_BODY, responses({202: ("the test message, queued", MESSAGE)}, errors=(403, 404)))
REDELIVER = operation(NO_BODY, responses({202: ("the message, queued again", MESSAGE)}, errors=(403, 404)))
MESSAGES = operation(
    query(("status", {"enum": list(Message.Status.values)}, "only messages in this status"),
          ("limit", {**LIMIT, "maximum": 100}, "page size, 50 by default"),
          ("cursor", ID_CURSOR, "the nextCursor of the previous page")),
    responses({200: ("a page of messages, newest first", {
        "type": "object", "required": ["items", "nextCursor"],
        "properties": {"items": {"type": "array", "items": MESSAGE}, "nextCursor": {"type": ["string", "null"]}}})},
        errors=(403, 404, 422)),
)
