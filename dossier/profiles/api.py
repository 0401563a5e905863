"""REST endpoints for profiles, their tags and company, custom attributes, companies and tags."""

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from ninja import Router

from dossier.activity import event_types
from dossier.core.api import ApiError, Principal, idempotent, json_response, page_limit, read_json, require
from dossier.profiles import openapi
from dossier.profiles.attributes import TYPES, check_attribute_name
from dossier.profiles.changes import ChangeContext
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import check_characters
from dossier.profiles.filters import MAX_LIMIT, page, parse_filters
from dossier.profiles.models import AttributeDefinition, Company, Profile, Tag
from dossier.profiles.serializers import company_json, profile_json, profiles_json
from dossier.profiles.services import (
    MAX_MERGED,
    do_create_profile,
    do_delete_company,
    do_delete_profile,
    do_merge_profiles,
    do_update_profile,
    do_upsert_profiles,
    parse_identity,
)

router = Router(tags=["profiles"])
attributes_router = Router(tags=["attributes"])
companies_router = Router(tags=["companies"])
tags_router = Router(tags=["tags"])

MAX_BATCH = 1000


def change_context(request: HttpRequest, principal: Principal) -> ChangeContext:
    source = event_types.SOURCE_UI if principal.kind == "user" else event_types.SOURCE_API
    return ChangeContext(source=source, actor=principal.actor, request_id=getattr(request, "request_id", ""))


def _profile_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiError(404, "not_found", "no profile has this id") from None


def _profile_response(profile_id: Any, status: int = 200):
    data = profile_json(profile_id)
    if data is None:
        raise ApiError(404, "not_found", "no profile has this id")
    return json_response(data, status=status, headers={"ETag": f'"{data["version"]}"'})


def _expected_version(request: HttpRequest) -> int | None:
    header = request.headers.get("If-Match")
    if not header:
        return None
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ApiError(422, "invalid_if_match", "If-Match must be the profile's version, as sent in ETag") from None


@router.get("/profiles", summary="List profiles", openapi_extra=openapi.LIST_PROFILES)
def list_profiles(request: HttpRequest):
    require(request, "profiles:read")
    params = {k: request.GET.getlist(k) for k in request.GET}
    query = parse_filters(params)
    if query.errors:
        raise ApiError(422, "invalid_filter", "the list's parameters are not valid", query.errors)
    limit = page_limit(request, default=50, maximum=MAX_LIMIT)
    try:
        rows, next_cursor = page(query.queryset, sort=request.GET.get("sort"), limit=limit, cursor=request.GET.get("cursor"))
    except InvalidValue as exc:
        field = "sort" if exc.code == "invalid_sort" else "cursor"
        raise ApiError(422, "invalid_filter", exc.message, [FieldError(field, exc.code, exc.message, request.GET.get(field))]) from None
    return json_response({"items": profiles_json(rows), "nextCursor": next_cursor, "total": query.queryset.count()})


@router.post("/profiles", summary="Create a profile", response={201: None}, openapi_extra=openapi.CREATE_PROFILE)
def create_profile(request: HttpRequest):
    principal = require(request, "profiles:write")
    data = read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "the body must be a profile object")
    result = do_create_profile(data, change_context(request, principal))
    return _profile_response(result.id, status=201)


@router.post("/profiles/batch", summary="Batch add or update profiles", openapi_extra=openapi.batch_profiles(MAX_BATCH))
@idempotent
def batch_profiles(request: HttpRequest):
    principal = require(request, "profiles:write")
    data = read_json(request)
    if not isinstance(data, list):
        raise ApiError(422, "validation_failed", "the body must be a JSON array of profiles")
    if len(data) > MAX_BATCH:
        raise ApiError(422, "batch_too_large", f"a batch holds at most {MAX_BATCH} profiles, this one {len(data)}",
                       [FieldError("", "too_many", f"at most {MAX_BATCH} items", len(data))])
    results = do_upsert_profiles(data, change_context(request, principal))
    return json_response({"results": [r.as_dict() for r in results]})


@router.get("/profiles/by-email/{email}", summary="Read a profile by email", openapi_extra=openapi.READ_PROFILE)
def profile_by_email(request: HttpRequest, email: str):
    require(request, "profiles:read")
    return _lookup("email", email)


@router.get("/profiles/by-custom-id/{custom_id}", summary="Read a profile by customId", openapi_extra=openapi.READ_PROFILE)
def profile_by_custom_id(request: HttpRequest, custom_id: str):
    require(request, "profiles:read")
    return _lookup("customId", custom_id)


def _lookup(kind: str, raw: str):
    try:
        identity = parse_identity(kind, raw)
    except InvalidValue:
        raise ApiError(404, "not_found", f"no profile has this {kind}") from None
    column = "email" if kind == "email" else "custom_id"
    profile_id = Profile.objects.filter(**{column: identity.value}).values_list("id", flat=True).first()
    if profile_id is None:
        raise ApiError(404, "not_found", f"no profile has this {kind}")
    return _profile_response(profile_id)


@router.get("/profiles/{profile_id}", summary="Read a profile", openapi_extra=openapi.READ_PROFILE)
def get_profile(request: HttpRequest, profile_id: str):
    require(request, "profiles:read")
    return _profile_response(_profile_id(profile_id))


@router.patch("/profiles/{profile_id}", summary="Update a profile", openapi_extra=openapi.PATCH_PROFILE)
def patch_profile(request: HttpRequest, profile_id: str):
    principal = require(request, "profiles:write")
    pid = _profile_id(profile_id)
    data = read_json(request)
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "the body must be an object of fields to change")
    result = do_update_profile(pid, data, change_context(request, principal), expected_version=_expected_version(request))
    return _profile_response(result.id)


@router.delete("/profiles/{profile_id}", summary="Erase a profile and its activity",
               response={204: None}, openapi_extra=openapi.DELETE_PROFILE)
def delete_profile(request: HttpRequest, profile_id: str):
    principal = require(request, "profiles:write")
    if not do_delete_profile(_profile_id(profile_id), change_context(request, principal)):
        raise ApiError(404, "not_found", "no profile has this id")
    return json_response(None, status=204)


@router.post("/profiles/{profile_id}/merge", summary="Merge other profiles into this one",
             openapi_extra=openapi.MERGE_PROFILES)
def merge_profiles(request: HttpRequest, profile_id: str):
    """All or nothing; what a merge keeps and takes: `do_merge_profiles`."""
    principal = require(request, "profiles:write")
    data = read_json(request)
    sources = data.get("from") if isinstance(data, dict) else None
    if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_MERGED or set(data) != {"from"}:
        raise ApiError(422, "validation_failed", "the body is {\"from\": [profile ids]}",
                       [FieldError("from", "invalid", f"a list of 1 to {MAX_MERGED} profile ids", None)])
    try:
        source_ids = [parse_identity("id", value).value for value in sources]
    except InvalidValue as exc:
        raise ApiError(422, "validation_failed", "every profile in from is named by its id",
                       [FieldError("from", exc.code, exc.message, None)]) from None
    result = do_merge_profiles(source_ids, _profile_id(profile_id), change_context(request, principal))
    return _profile_response(result.id)


@router.post("/profiles/{profile_id}/tags/{tag}", summary="Assign a tag", openapi_extra=openapi.CHANGE_TAG)
def add_tag(request: HttpRequest, profile_id: str, tag: str):
    return _tag_change(request, profile_id, {"addTags": [tag]})


@router.delete("/profiles/{profile_id}/tags/{tag}", summary="Remove a tag", openapi_extra=openapi.CHANGE_TAG)
def remove_tag(request: HttpRequest, profile_id: str, tag: str):
    return _tag_change(request, profile_id, {"removeTags": [tag]})


def _tag_change(request: HttpRequest, profile_id: str, change: dict):
    principal = require(request, "profiles:write")
    result = do_update_profile(_profile_id(profile_id), change, change_context(request, principal))
    return _profile_response(result.id)


@router.put("/profiles/{profile_id}/company", summary="Assign a company", openapi_extra=openapi.SET_COMPANY)
def put_company(request: HttpRequest, profile_id: str):
    principal = require(request, "profiles:write")
    data = read_json(request)
    if not isinstance(data, dict) or not data.get("companyId"):
        raise ApiError(422, "validation_failed", "send {companyId}", [FieldError("companyId", "required", "is required", None)])
    result = do_update_profile(_profile_id(profile_id), {"company": {"id": data["companyId"]}}, change_context(request, principal))
    return _profile_response(result.id)


@router.delete("/profiles/{profile_id}/company", summary="Unassign the company", openapi_extra=openapi.UNSET_COMPANY)
def delete_company_link(request: HttpRequest, profile_id: str):
    principal = require(request, "profiles:write")
    result = do_update_profile(_profile_id(profile_id), {"company": None}, change_context(request, principal))
    return _profile_response(result.id)


def _text_problem(value: Any, limit: int, *, multiline: bool = False) -> tuple[str, str] | None:
    """(code, message) when `value` is not storable text of at most `limit` characters."""
    if not isinstance(value, str):
        return "invalid_type", "must be text"
    if len(value) > limit:
        return "too_long", f"must be at most {limit} characters"
    try:
        check_characters(value, multiline=multiline)
    except InvalidValue as exc:
        return exc.code, exc.message
    return None


# --- custom attributes ---------------------------------------------------------------------

def attribute_json(definition: AttributeDefinition) -> dict:
    return {"name": definition.name, "label": definition.label, "type": definition.type,
            "description": definition.description, "createdAt": definition.created_at.isoformat()}


@attributes_router.get("/attributes", summary="List custom attributes", openapi_extra=openapi.LIST_ATTRIBUTES)
def list_attributes(request: HttpRequest):
    require(request, "profiles:read")
    return json_response({"items": [attribute_json(d) for d in AttributeDefinition.objects.all()]})


def _attribute_fields(data: Any, *, creating: bool) -> dict:
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "the body must be an object")
    errors = []
    fields = {}
    if creating:
        try:
            fields["name"] = check_attribute_name(data.get("name"))
        except InvalidValue as exc:
            errors.append(FieldError("name", exc.code, exc.message, data.get("name")))
    if creating or "type" in data:
        if data.get("type") not in TYPES:
            errors.append(FieldError("type", "invalid_choice", f"type is one of {', '.join(TYPES)}", data.get("type")))
        else:
            fields["type"] = data["type"]
    for key, limit in (("label", 255), ("description", 2000)):
        if key in data:
            value = data[key]
            error = _text_problem(value, limit, multiline=key == "description")
            if error:
                errors.append(FieldError(key, error[0], error[1], value))
            else:
                fields[key] = value
    unknown = set(data) - {"name", "type", "label", "description"}
    errors += [FieldError(k, "unknown_field", "is not a field of an attribute", data[k]) for k in sorted(unknown)]
    if errors:
        raise ApiError(422, "validation_failed", "the attribute is not valid", errors)
    return fields


@attributes_router.post("/attributes", summary="Register a custom attribute",
                        response={201: None}, openapi_extra=openapi.CREATE_ATTRIBUTE)
def create_attribute(request: HttpRequest):
    require(request, "profiles:write")
    fields = _attribute_fields(read_json(request), creating=True)
    with transaction.atomic():
        if AttributeDefinition.objects.filter(name=fields["name"]).exists():
            raise ApiError(409, "conflict", "an attribute with this name exists", [FieldError("name", "taken", "exists", fields["name"])])
        definition = AttributeDefinition.objects.create(label=fields.get("label") or fields["name"], **{k: v for k, v in fields.items() if k != "label"})
    return json_response(attribute_json(definition), status=201)


def _attribute(name: str) -> AttributeDefinition:
    try:
        check_attribute_name(name)
    except InvalidValue:
        raise ApiError(404, "not_found", "no custom attribute has this name") from None
    definition = AttributeDefinition.objects.filter(name=name).first()
    if definition is None:
        raise ApiError(404, "not_found", "no custom attribute has this name")
    return definition


@attributes_router.get("/attributes/{name}", summary="Read a custom attribute", openapi_extra=openapi.READ_ATTRIBUTE)
def get_attribute(request: HttpRequest, name: str):
    require(request, "profiles:read")
    return json_response(attribute_json(_attribute(name)))


@attributes_router.patch("/attributes/{name}", summary="Change a custom attribute's label or description",
                         openapi_extra=openapi.PATCH_ATTRIBUTE)
def patch_attribute(request: HttpRequest, name: str):
    require(request, "profiles:write")
    definition = _attribute(name)
    fields = _attribute_fields(read_json(request), creating=False)
    if "type" in fields and fields["type"] != definition.type and Profile.objects.filter(attributes__has_key=name).exists():
        raise ApiError(409, "conflict", "the type of an attribute that profiles hold cannot change",
                       [FieldError("type", "in_use", "profiles hold values of this attribute", fields["type"])])
    for key, value in fields.items():
        setattr(definition, key, value)
    definition.save()
    return json_response(attribute_json(definition))


@attributes_router.delete("/attributes/{name}", summary="Delete an unused custom attribute",
                          response={204: None}, openapi_extra=openapi.DELETE_ATTRIBUTE)
def delete_attribute(request: HttpRequest, name: str):
    require(request, "profiles:write")
    definition = _attribute(name)
    if Profile.objects.filter(attributes__has_key=name).exists():
        raise ApiError(409, "conflict", "profiles still hold this attribute; clear it with a batch edit first")
    definition.delete()
    return json_response(None, status=204)


# --- companies -----------------------------------------------------------------------------

def _company_fields(data: Any, *, creating: bool) -> dict:
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "the body must be an object")
    errors = []
    fields = {}
    for key, limit in (("name", 255), ("domain", 255), ("email", 254)):
        if key not in data:
            if key == "name" and creating:
                errors.append(FieldError("name", "required", "is required", None))
            continue
        value = data[key]
        error = _text_problem(value, limit) or (("required", "must not be empty") if key == "name" and not value.strip() else None)
        if error:
            errors.append(FieldError(key, error[0], error[1], value))
        else:
            fields[key] = value.strip()
    if errors:
        raise ApiError(422, "validation_failed", "the company is not valid", errors)
    return fields


def _company(company_id: str) -> Company:
    try:
        company = Company.objects.filter(id=uuid.UUID(company_id)).first()
    except ValueError:
        company = None
    if company is None:
        raise ApiError(404, "not_found", "no company has this id")
    return company


@companies_router.get("/companies", summary="List companies", openapi_extra=openapi.LIST_COMPANIES)
def list_companies(request: HttpRequest):
    require(request, "profiles:read")
    return json_response({"items": [company_json(c) for c in Company.objects.all()[:MAX_LIMIT]]})


@companies_router.post("/companies", summary="Create a company", response={201: None}, openapi_extra=openapi.CREATE_COMPANY)
def create_company(request: HttpRequest):
    require(request, "profiles:write")
    company = Company.objects.create(**_company_fields(read_json(request), creating=True))
    return json_response(company_json(company), status=201)


@companies_router.get("/companies/{company_id}", summary="Read a company", openapi_extra=openapi.READ_COMPANY)
def get_company(request: HttpRequest, company_id: str):
    require(request, "profiles:read")
    return json_response(company_json(_company(company_id)))


@companies_router.patch("/companies/{company_id}", summary="Change a company", openapi_extra=openapi.PATCH_COMPANY)
def patch_company(request: HttpRequest, company_id: str):
    require(request, "profiles:write")
    company = _company(company_id)
    for key, value in _company_fields(read_json(request), creating=False).items():
        setattr(company, key, value)
    company.save()
    return json_response(company_json(company))


@companies_router.delete("/companies/{company_id}", summary="Delete a company, unassigning its profiles",
                         response={204: None}, openapi_extra=openapi.DELETE_COMPANY)
def delete_company(request: HttpRequest, company_id: str):
    principal = require(request, "profiles:write")
    do_delete_company(_company(company_id), change_context(request, principal))
    return json_response(None, status=204)


# --- tags ----------------------------------------------------------------------------------

@tags_router.get("/tags", summary="All tags with the number of profiles holding each", openapi_extra=openapi.LIST_TAGS)
def list_tags(request: HttpRequest):
    require(request, "profiles:read")
    tags = Tag.objects.annotate(count=Count("profile_links")).filter(count__gt=0).order_by("name")
    return json_response({"items": [{"name": t.name, "count": t.count} for t in tags]})

