"""Pieces of OpenAPI for endpoints that read their JSON by hand (`read_json`).

Such an endpoint validates its body itself and lists every problem; these only describe the body,
query parameters and answers in the schema at /api/v1/openapi.json, for readers of the docs and
for the API fuzzing in tests/fuzz, through the route's `openapi_extra`. Merge the pieces of one
route with `operation(...)`.

Every POST, PUT and PATCH states its body: `json_body`, `multipart_body`, or `NO_BODY` for one
that reads nothing (tests/fuzz checks that none is left out).
"""

from typing import Any

EVENT_TYPE = {"type": "string", "pattern": "^[A-Za-z0-9._-]{2,64}$", "example": "purchase"}
EVENT_PARAMS = {"type": "object", "additionalProperties": True, "description": "at most 64 KB as JSON"}
LIMIT = {"type": "integer", "minimum": 1}
ID_CURSOR = {"type": "string", "pattern": "^[0-9]+$"}
UUID = {"type": "string", "format": "uuid"}
TIMESTAMP = {"type": "string", "format": "date-time"}

# The OpenAPI extension that marks an operation without a request body: it reads none, and
# ignores one sent (an Idempotency-Key still covers it).
NO_BODY_MARK = "x-no-request-body"
NO_BODY = {NO_BODY_MARK: True}

FIELD_ERROR = {
    "type": "object", "required": ["field", "code", "message", "value"],
    "properties": {"field": {"type": "string", "description": "the field path, e.g. birthDate or attributes.plan"},
                   "code": {"type": "string"}, "message": {"type": "string"}, "value": {}},
}
ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                            "details": {"type": "array", "items": FIELD_ERROR}}}},
}
ERROR_STATUSES = {
    400: "malformed JSON", 401: "no valid API key or session", 403: "the key lacks the scope",
    404: "no such object", 409: "conflicts with what is stored", 412: "If-Match is stale",
    413: "the body is larger than 1 MB", 415: "the body is not in the media type the operation reads",
    422: "the request is not valid; every problem listed",
    507: "no space left on the server's disk to keep the upload; nothing was stored",
}

IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                   "description": "a repeat with the same key and body returns the first answer and does nothing again"}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def multipart_body(schema: dict[str, Any], *, encoding: dict[str, Any]) -> dict[str, Any]:
    """A multipart/form-data body; `encoding` gives each part's content type (JSON parts say so)."""
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema, "encoding": encoding}}}}


def query(*parameters: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    """`parameters`: (name, schema, description) of optional query parameters."""
    return {"parameters": [{"in": "query", "name": name, "required": False, "schema": schema, "description": text}
                           for name, schema, text in parameters]}


def headers(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": list(parameters)}


def responses(answers: dict[int, tuple[str, dict[str, Any] | None]], errors: tuple[int, ...] = (),
              media_type: str = "application/json") -> dict[str, Any]:
    """`answers`: status -> (description, JSON schema or None for no body); `errors`: the 4xx
    statuses the route may answer, each with the error envelope. Statuses are ints, as ninja's
    own, so that the default 200 of a route that answers 200 is described, not doubled; a route
    that never answers 200 says so in its decorator (`response={201: None}`), which only names
    the statuses in the schema (the views return their own responses)."""
    result: dict[int, dict[str, Any]] = {}
    for status, (description, schema) in answers.items():
        result[status] = {"description": description}
        if schema is not None:
            result[status]["content"] = {media_type: {"schema": schema}}
    for status in (401, *errors):
        result[status] = {"description": ERROR_STATUSES[status], "content": {"application/json": {"schema": ERROR}}}
    return {"responses": result}


def operation(*pieces: dict[str, Any]) -> dict[str, Any]:
    """The `openapi_extra` of one route: its pieces merged, parameter lists joined."""
    merged: dict[str, Any] = {}
    for piece in pieces:
        for key, value in piece.items():
            if key == "parameters":
                merged.setdefault("parameters", []).extend(value)
            else:
                assert key not in merged, f"{key} given twice"
                merged[key] = value
    return merged
