"""Pieces of OpenAPI for endpoints that read their JSON by hand (`read_json`).

Such an endpoint validates its body itself and lists every problem; these only describe the body
and query parameters in the schema at /api/v1/openapi.json, for readers of the docs and for the
API fuzzing in tests/fuzz, through the route's `openapi_extra`.
"""

from typing import Any

EVENT_TYPE = {"type": "string", "pattern": "^[A-Za-z0-9._-]{2,64}$", "example": "purchase"}
EVENT_PARAMS = {"type": "object", "additionalProperties": True, "description": "at most 64 KB as JSON"}
LIMIT = {"type": "integer", "minimum": 1}
ID_CURSOR = {"type": "string", "pattern": "^[0-9]+$"}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def query(*parameters: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    """`parameters`: (name, schema, description) of optional query parameters."""
    return {"parameters": [{"in": "query", "name": name, "required": False, "schema": schema, "description": text}
                           for name, schema, text in parameters]}
