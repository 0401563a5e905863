"""The form endpoints' bodies, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import TIMESTAMP, json_body, operation, responses
from dossier.forms.services import IDENTIFIERS, MAX_FIELDS

FIELD = {
    "type": "object", "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.-]{0,63}$"},
        "label": {"type": "string", "maxLength": 200},
        "target": {"type": ["string", "null"], "description": "a profile field path (email, attributes.NAME, agreements.email) or null"},
        "required": {"type": "boolean"},
    },
}
FORM = {
    "type": "object", "required": ["slug", "name", "fields"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "identifier": {"enum": list(IDENTIFIERS)},
        "fields": {"type": "array", "minItems": 1, "maxItems": MAX_FIELDS, "items": FIELD},
        "addTags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 64}},
        "redirectUrl": {"type": "string", "format": "uri"},
        "allowedOrigins": {"type": "array", "items": {"type": "string", "format": "uri"}},
    },
}

FORM_ANSWER = {"type": "object", "required": ["slug", "name", "identifier", "fields", "addTags", "redirectUrl", "allowedOrigins",
                                           "url", "createdAt", "updatedAt"],
               "properties": {**FORM["properties"], "redirectUrl": {"type": "string"}, "url": {"type": "string"},
                              "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP}}

LIST_FORMS = responses({200: ("every form", {"type": "object", "required": ["items"],
                                             "properties": {"items": {"type": "array", "items": FORM_ANSWER}}})}, errors=(403,))
CREATE_FORM = operation(json_body(FORM), responses({201: ("the form", FORM_ANSWER)}, errors=(400, 403, 409, 413, 422)))
READ_FORM = responses({200: ("the form", FORM_ANSWER)}, errors=(403, 404))
REPLACE_FORM = operation(json_body(FORM), responses({200: ("the form", FORM_ANSWER)}, errors=(400, 403, 404, 409, 413, 422)))
DELETE_FORM = responses({204: ("deleted", None)}, errors=(403, 404))
