"""The activity endpoints' bodies and query parameters, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import (
    EVENT_PARAMS,
    EVENT_TYPE,
    ID_CURSOR,
    IDEMPOTENCY_KEY,
    LIMIT,
    TIMESTAMP,
    UUID,
    headers,
    json_body,
    operation,
    query,
    responses,
)

TIME = {"type": "string", "format": "date-time", "description": "ISO 8601; now when left out"}
HAND_EVENT = {"type": "object", "required": ["type"],
              "properties": {"type": EVENT_TYPE, "params": EVENT_PARAMS, "time": TIME}}
PROFILE_REFERENCE = {
    "type": "object", "minProperties": 1, "description": "the profile, by one of its identifiers",
    "properties": {"id": {"type": "string", "format": "uuid"}, "email": {"type": "string", "format": "email"},
                   "customId": {"type": "string", "minLength": 1, "maxLength": 128}},
}
TRACKED_EVENT = {"type": "object", "required": ["profile", "type"],
                 "properties": {"profile": PROFILE_REFERENCE, "type": EVENT_TYPE, "params": EVENT_PARAMS, "time": TIME}}

EVENT = {
    "type": "object", "required": ["id", "profileId", "type", "time", "source", "actor", "jobId", "causedBy", "params"],
    "properties": {"id": {"type": "integer"}, "profileId": UUID, "type": {"type": "string"}, "time": TIMESTAMP,
                   "source": {"type": "string"}, "actor": {"type": "string"}, "jobId": {**UUID, "type": ["string", "null"]},
                   "causedBy": {"type": ["integer", "null"]}, "params": {"type": "object"}},
}
TRACK_RESULT = {"type": "object", "required": ["index", "status", "errors", "id"],
                "properties": {"index": {"type": "integer"}, "status": {"enum": ["accepted", "rejected"]},
                               "errors": {"type": "array"}, "id": {"type": ["integer", "null"]}}}

ADD_EVENT = operation(json_body(HAND_EVENT), headers(IDEMPOTENCY_KEY),
                      responses({201: ("the event", EVENT)}, errors=(400, 403, 404, 413, 422)))
TRACK_EVENT = operation(json_body(TRACKED_EVENT), headers(IDEMPOTENCY_KEY),
                        responses({201: ("the event", EVENT)}, errors=(400, 403, 404, 413, 422)))
TRACK_EVENTS = operation(
    json_body({"type": "array", "maxItems": 1000, "items": TRACKED_EVENT}), headers(IDEMPOTENCY_KEY),
    responses({200: ("per event, in input order; a bad event blocks none of the others",
                     {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": TRACK_RESULT}}})},
              errors=(400, 403, 413, 422)),
)
LIST_EVENTS = operation(
    query(("type", EVENT_TYPE, "only events of this type"),
          ("limit", {**LIMIT, "maximum": 200}, "page size, 50 by default"),
          ("cursor", ID_CURSOR, "the nextCursor of the previous page")),
    responses({200: ("a page of the profile's events, newest first",
                     {"type": "object", "required": ["items", "nextCursor"],
                      "properties": {"items": {"type": "array", "items": EVENT}, "nextCursor": {"type": ["string", "null"]}}})},
              errors=(403, 404, 422)),
)
FEED = operation(
    query(("after", {"type": "string"}, "the nextCursor of the previous call; left out, the feed starts at the beginning"),
          ("types", {"type": "string"}, "comma-separated event types to return (all by default)"),
          ("limit", {**LIMIT, "maximum": 1000}, "at most this many events, 100 by default")),
    responses({200: ("events of every profile in the order they committed, after the cursor",
                     {"type": "object", "required": ["items", "nextCursor", "hasMore"],
                      "properties": {"items": {"type": "array", "items": EVENT}, "nextCursor": {"type": "string"},
                                     "hasMore": {"type": "boolean"}}})},
              errors=(403, 422)),
)
