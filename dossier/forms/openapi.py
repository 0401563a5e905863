"""The form endpoints' bodies, for the OpenAPI schema (see dossier.core.openapi)."""

from dossier.core.openapi import json_body
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

SAVE_FORM = json_body(FORM)
