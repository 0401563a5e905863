"""The activity endpoints' bodies and query parameters, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import EVENT_PARAMS, EVENT_TYPE, ID_CURSOR, LIMIT, json_body, query

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

ADD_EVENT = json_body(HAND_EVENT)
TRACK_EVENT = json_body(TRACKED_EVENT)
TRACK_EVENTS = json_body({"type": "array", "maxItems": 1000, "items": TRACKED_EVENT})
LIST_EVENTS = query(("type", EVENT_TYPE, "only events of this type"),
                    ("limit", {**LIMIT, "maximum": 200}, "page size, 50 by default"),
                    ("cursor", ID_CURSOR, "the nextCursor of the previous page"))
