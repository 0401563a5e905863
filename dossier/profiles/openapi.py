"""The profile, attribute and company endpoints' bodies and answers, for the OpenAPI schema
(see dossier.core.openapi). The value schemas of profile fields are shared with batch edit.

They describe the contract of SPEC §1-§2 as `parse_profile_json` reads it; the endpoints still
validate by hand and name every problem, so a schema here never rejects a request by itself.
"""

from dossier.core.openapi import (
    IDEMPOTENCY_KEY,
    NO_BODY,
    TIMESTAMP,
    UUID,
    headers,
    json_body,
    operation,
    query,
    responses,
)
from dossier.profiles.attributes import MAX_LIST_ITEMS, MAX_TEXT, TYPES
from dossier.profiles.fields import AGREEMENT_CHANNELS, ANONYMOUS_TYPES, RESERVED_NAMES, SEX_NAMES, STANDARD_FIELDS
from dossier.profiles.filters import MAX_LIMIT, SORTABLE
from dossier.profiles.writes import MAX_TAGS_PER_WRITE, TAG_MAX

TEXT = {"type": ["string", "null"], "maxLength": 255, "description": "no control characters; null clears"}
VALUES_OF_INPUT_TYPE = {
    "text": TEXT,
    "email": {"type": ["string", "null"], "format": "email", "maxLength": 254, "description": "trimmed and lower-cased"},
    "tel": {"type": ["string", "null"], "maxLength": 64, "example": "+48501234567",
            "description": "a valid number, stored in E.164 (an extension as ;ext=N); without + or 00 it is read in "
                           "the profile's country, else the default region"},
    "country": {"type": ["string", "null"], "maxLength": 100, "example": "PL",
                "description": "ISO 3166-1 alpha-2 (stored), alpha-3 or a country's name in English or a local form"},
    "date": {"type": ["string", "null"], "maxLength": 40,
             "description": "YYYY-MM-DD (or an ISO 8601 date and time, whose date is kept), after 1900-01-01, not in the future"},
    "anonymous_type": {"enum": list(ANONYMOUS_TYPES), "description": "recognized once an email or customId is set, unless given"},
    "url": {"type": ["string", "null"], "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://", "maxLength": 2048},
    "sex": {"enum": [0, 1, 2, 3, *SEX_NAMES, None], "description": "ISO/IEC 5218: 0 not known, 1 male, 2 female; 3 other"},
}
FIELD_VALUES = {spec.name: VALUES_OF_INPUT_TYPE[spec.input_type] for spec in STANDARD_FIELDS}
FIELD_VALUES["customId"] = {"type": ["string", "null"], "minLength": 1, "maxLength": 128}

NULLABLE_TEXT = {"type": ["string", "null"]}
STORED_VALUES = {  # as answered: normalized
    **{name: NULLABLE_TEXT for name in FIELD_VALUES},
    "countryCode": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$"},
    "birthDate": {"type": ["string", "null"], "format": "date"},
    "sex": {"enum": [0, 1, 2, 3, None]},
    "anonymousType": {"enum": list(ANONYMOUS_TYPES)},
}

AGREEMENT = {"anyOf": [{"type": "boolean"}, {"enum": ["true", "false", 1, 0]}], "description": "a marketing consent"}
AGREEMENTS = {"type": "object", "properties": {channel: AGREEMENT for channel in AGREEMENT_CHANNELS},
              "additionalProperties": False, "description": "merged per channel"}
TAG = {"type": "string", "minLength": 1, "maxLength": TAG_MAX}
TAGS = {"type": "array", "maxItems": MAX_TAGS_PER_WRITE, "items": TAG}
ATTRIBUTE_NAME_PATTERN = "^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
ATTRIBUTE_NAME = {"type": "string", "pattern": ATTRIBUTE_NAME_PATTERN, "not": {"enum": sorted(RESERVED_NAMES)}}
ATTRIBUTE_VALUE = {
    "anyOf": [{"type": "string", "maxLength": MAX_TEXT}, {"type": "number"}, {"type": "boolean"},
              {"type": "array", "maxItems": MAX_LIST_ITEMS, "items": {"type": "string", "maxLength": MAX_TEXT}},
              {"type": "null"}],
    "description": "coerced to the attribute's type; an unknown name is registered with the type of its value; null removes it",
}
ATTRIBUTES = {"type": ["object", "null"], "propertyNames": ATTRIBUTE_NAME, "additionalProperties": ATTRIBUTE_VALUE}
COMPANY_ID = {"type": ["string", "null"], "format": "uuid", "description": "a company's id; null unassigns"}

PROFILE_WRITE = {
    "type": "object",
    "description": "an omitted field is left as it is, null clears it (SPEC §1)",
    "properties": {
        **FIELD_VALUES,
        "agreements": AGREEMENTS,
        "tags": {**TAGS, "type": ["array", "null"], "description": "replaces the set"},
        "addTags": TAGS,
        "removeTags": TAGS,
        "company": {"type": ["object", "null"], "required": ["id"], "properties": {"id": COMPANY_ID}},
        "companyId": COMPANY_ID,
        "attributes": ATTRIBUTES,
    },
    "additionalProperties": False,
}
IDENTIFIERS = ("id", "email", "customId", "phone")
BATCH_ITEM = {
    **PROFILE_WRITE,
    "description": "names its profile by id, email, customId or (only when none of those) phone; "
                   "a profile is created when none matches (not by id)",
    "properties": {"id": UUID, **PROFILE_WRITE["properties"]},
    "anyOf": [{"required": [name]} for name in IDENTIFIERS],
}

CONSENT = {"type": "object", "required": ["state", "at", "source", "actor"],
           "properties": {"state": {"enum": ["granted", "pending", "withdrawn", "none"],
                                    "description": "pending: asked for on a public form, waiting for its confirmation link"},
                          "at": {**TIMESTAMP, "type": ["string", "null"]}, "source": {"type": ["string", "null"]},
                          "actor": {"type": ["string", "null"]}}}
PROFILE = {
    "type": "object",
    "required": ["id", *STORED_VALUES, "agreements", "tags", "company", "attributes", "version", "createdAt", "updatedAt"],
    "properties": {
        "id": UUID,
        **STORED_VALUES,
        "agreements": {"type": "object", "required": list(AGREEMENT_CHANNELS),
                       "properties": {channel: {"type": "boolean"} for channel in AGREEMENT_CHANNELS}},
        "consents": {"type": "object", "required": list(AGREEMENT_CHANNELS),
                     "description": "read-only: the proof of each agreement, as it stands and how it got there",
                     "properties": {channel: CONSENT for channel in AGREEMENT_CHANNELS}},
        "tags": {"type": "array", "items": TAG},
        "company": {"type": ["object", "null"], "required": ["id", "name"],
                    "properties": {"id": UUID, "name": {"type": "string"}}},
        "attributes": {"type": "object"},
        "version": {"type": "integer", "minimum": 1, "description": "+1 on every change; also the ETag"},
        "createdAt": TIMESTAMP,
        "updatedAt": TIMESTAMP,
    },
}
WRITE_RESULT = {
    "type": "object", "required": ["index", "status", "id", "errors"],
    "properties": {"index": {"type": "integer"}, "status": {"enum": ["created", "updated", "unchanged", "rejected"]},
                   "id": {**UUID, "type": ["string", "null"]}, "version": {"type": ["integer", "null"]},
                   "errors": {"type": "array"}},
}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]+"?$'},
            "description": "the version the change expects, as sent in ETag; 412 when the profile has moved on"}

FILTER_VALUES = {
    "type": "object",
    "description": "any standard field as field=value (empty: not set), agreements.CHANNEL=true/false, "
                   "attributes.NAME=value of a registered attribute, id, job (changed by that job)",
    "properties": {**{name: {"type": "string"} for name in FIELD_VALUES}, "id": UUID, "job": UUID,
                   **{f"agreements.{channel}": {"enum": ["true", "false"]} for channel in AGREEMENT_CHANNELS}},
    "patternProperties": {"^attributes\\.": {"type": "string"}},
    "additionalProperties": False,
}
LIST_PROFILES = operation(
    {"parameters": [{"in": "query", "name": "filters", "required": False, "style": "form", "explode": True,
                     "schema": FILTER_VALUES,
                     "description": "one query parameter per filter; repeated ones all apply. `field=value` is exact "
                                    "(`city=Warsaw`, `attributes.plan=gold`, `agreements.email=true`); `field[op]=value` "
                                    "takes an operator: is, contains, startswith (text, ignoring case and accents: "
                                    "`city[is]=krakow` finds Kraków), gt, lt (numbers and dates), empty, notempty "
                                    "(`phone[empty]=1`)"}]},
    query(("search", {"type": "string", "maxLength": 200}, "any part of a name, email, phone or customId, case and accents aside (three characters or more; shorter text matches the start of an identifier or part of a name)"),
          ("tag", TAG, "only profiles holding this tag"),
          ("company", {"anyOf": [UUID, {"const": "none"}]}, "only the profiles of this company; none: of no company"),
          ("sort", {"enum": sorted(SORTABLE) + sorted(f"-{name}" for name in SORTABLE)}, "a field, - first for descending"),
          ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size, 50 by default"),
          ("cursor", {"type": "string"}, "the nextCursor of the previous page")),
    responses({200: ("a page of profiles, with the number of all that match",
                     {"type": "object", "required": ["items", "nextCursor", "total"],
                      "properties": {"items": {"type": "array", "items": PROFILE},
                                     "nextCursor": {"type": ["string", "null"]}, "total": {"type": "integer"}}})},
              errors=(403, 422)),
)
CREATE_PROFILE = operation(json_body(PROFILE_WRITE), responses({201: ("the profile", PROFILE)}, errors=(400, 403, 409, 413, 422)))


def batch_profiles(max_items: int) -> dict:
    return operation(
        json_body({"type": "array", "maxItems": max_items, "items": BATCH_ITEM}), headers(IDEMPOTENCY_KEY),
        responses({200: ("per item, in input order; a bad item blocks none of the others",
                         {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": WRITE_RESULT}}})},
                  errors=(400, 403, 413, 422)),
    )


READ_PROFILE = responses({200: ("the profile; its version in ETag", PROFILE)}, errors=(403, 404))
PATCH_PROFILE = operation(json_body(PROFILE_WRITE), headers(IF_MATCH),
                          responses({200: ("the profile", PROFILE)}, errors=(400, 403, 404, 409, 412, 413, 422)))
MERGE_PROFILES = operation(
    json_body({"type": "object", "required": ["from"], "additionalProperties": False, "properties": {
        "from": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string", "format": "uuid"},
                 "description": "the profiles merged into this one, the first the first to fill what it lacks"}}}),
    responses({200: ("the surviving profile", PROFILE)}, errors=(403, 404, 409, 422)))
DELETE_PROFILE = responses({204: ("erased, with its activity", None)}, errors=(403, 404))
CHANGE_TAG = operation(NO_BODY, responses({200: ("the profile", PROFILE)}, errors=(403, 404, 422)))
SET_COMPANY = operation(
    json_body({"type": "object", "required": ["companyId"], "properties": {"companyId": {**UUID, "description": "a company's id"}}}),
    responses({200: ("the profile", PROFILE)}, errors=(400, 403, 404, 413, 422)),
)
UNSET_COMPANY = responses({200: ("the profile", PROFILE)}, errors=(403, 404))

ATTRIBUTE_FIELDS = {"type": {"enum": list(TYPES)}, "label": {"type": "string", "maxLength": 255},
                    "description": {"type": "string", "maxLength": 2000}}
ATTRIBUTE = {"type": "object", "required": ["name", "label", "type", "description", "createdAt"],
             "properties": {"name": ATTRIBUTE_NAME, **ATTRIBUTE_FIELDS, "createdAt": TIMESTAMP}}
LIST_ATTRIBUTES = responses({200: ("every custom attribute", {"type": "object", "required": ["items"],
                                                               "properties": {"items": {"type": "array", "items": ATTRIBUTE}}})},
                            errors=(403,))
CREATE_ATTRIBUTE = operation(
    json_body({"type": "object", "required": ["name", "type"], "additionalProperties": False,
               "properties": {"name": ATTRIBUTE_NAME, **ATTRIBUTE_FIELDS}}),
    responses({201: ("the attribute", ATTRIBUTE)}, errors=(400, 403, 409, 413, 422)),
)
READ_ATTRIBUTE = responses({200: ("the attribute", ATTRIBUTE)}, errors=(403, 404))
PATCH_ATTRIBUTE = operation(
    json_body({"type": "object", "additionalProperties": False, "properties": ATTRIBUTE_FIELDS,
               "description": "the type changes only while no profile holds the attribute"}),
    responses({200: ("the attribute", ATTRIBUTE)}, errors=(400, 403, 404, 409, 413, 422)),
)
DELETE_ATTRIBUTE = responses({204: ("deleted", None)}, errors=(403, 404, 409))

COMPANY_FIELDS = {"name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"},
                  "domain": {"type": "string", "maxLength": 255}, "email": {"type": "string", "maxLength": 254}}
COMPANY = {"type": "object", "required": ["id", "name", "domain", "email", "createdAt", "updatedAt"],
           "properties": {"id": UUID, "name": {"type": "string"}, "domain": {"type": "string"}, "email": {"type": "string"},
                          "createdAt": TIMESTAMP, "updatedAt": TIMESTAMP}}
LIST_COMPANIES = responses({200: ("the companies", {"type": "object", "required": ["items"],
                                                     "properties": {"items": {"type": "array", "items": COMPANY}}})},
                           errors=(403,))
CREATE_COMPANY = operation(json_body({"type": "object", "required": ["name"], "properties": COMPANY_FIELDS}),
                           responses({201: ("the company", COMPANY)}, errors=(400, 403, 413, 422)))
READ_COMPANY = responses({200: ("the company", COMPANY)}, errors=(403, 404))
PATCH_COMPANY = operation(json_body({"type": "object", "properties": COMPANY_FIELDS}),
                          responses({200: ("the company", COMPANY)}, errors=(400, 403, 404, 413, 422)))
DELETE_COMPANY = responses({204: ("deleted; its profiles are unassigned", None)}, errors=(403, 404))

LIST_TAGS = responses({200: ("every tag some profile holds, with how many do", {
    "type": "object", "required": ["items"],
    "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["name", "count"],
                                                        "properties": {"name": TAG, "count": {"type": "integer"}}}}}})},
    errors=(403,))
