"""The profile list's filters, shared by the API, the list page, batch edit and jobs.

`parse_filters` turns query parameters (`city=Warsaw`, `tag=vip`, `attributes.plan=gold`,
`agreements.email=true`, `search=anna`, `job=<id>`: changed by that job) into a queryset, with
every bad parameter reported as a FieldError naming it. A plain `field=value` is exact, as the
API has always had it; `field[op]=value` takes an operator (OPERATORS), and its text operators
(`is`, `contains`, `startswith`) ignore case and accents: `city[is]=krakow` finds Kraków.
"""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.lookups import Contains, Exact, GreaterThan, LessThan, StartsWith

from dossier.activity.models import Event
from dossier.core.folding import Fold, fold
from dossier.profiles.attributes import AttributeDefinition, check_attribute_name, coerce
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME, check_characters, normalize_boolean
from dossier.profiles.models import Profile, ProfileTag, Tag
from dossier.profiles.search import search_condition
from dossier.profiles.writes import normalize_tag

PAGING_PARAMS = {"sort", "limit", "cursor", "format", "page"}
SORTABLE = {"createdAt": "created_at", "updatedAt": "updated_at", **{n: f.column for n, f in FIELDS_BY_NAME.items()}}
MAX_LIMIT = 1000
SEARCH_MAX = 200
# The operators of `field[op]=value`, as the list's filter form and the chips say them.
OPERATORS = {"is": "is", "contains": "contains", "startswith": "starts with", "gt": "is greater than",
             "lt": "is less than", "empty": "is empty", "notempty": "is not empty"}
VALUELESS = ("empty", "notempty")
OPERATOR_PARAM = re.compile(r"^(?P<field>[A-Za-z][A-Za-z0-9_.\-]*)\[(?P<op>[a-z]+)\]\Z")
# Which operators a field takes, by its kind (see `field_kind`).
KIND_OPERATORS = {
    "text": ("is", "contains", "startswith", "empty", "notempty"),
    "ordered": ("is", "gt", "lt", "empty", "notempty"),
    "choice": ("is", "empty", "notempty"),
    "list": ("empty", "notempty"),
    "boolean": ("is",),
}
# Text fields whose `is` compares the normalized value, not folded text (`601 767 123` is `+48601767123`).
_NORMALIZED_IS = ("phone",)
_STANDARD_KINDS = {"countryCode": "choice", "sex": "choice", "anonymousType": "choice", "birthDate": "ordered"}
_ATTRIBUTE_KINDS = {"text": "text", "integer": "ordered", "number": "ordered", "date": "ordered", "datetime": "ordered",
                    "boolean": "choice", "list": "list"}


@dataclass
class ProfileQuery:
    queryset: QuerySet
    errors: list[FieldError]


def parse_filters(params: Mapping[str, Any], *, extra_filters: Mapping[str, Any] | None = None) -> ProfileQuery:
    """Filters of the list as a queryset. `params` values may be lists (repeated parameters)."""
    query = Profile.objects.all()
    errors: list[FieldError] = []
    types = None
    for name, raw_values in params.items():
        if name in PAGING_PARAMS or raw_values in ("", None, []):
            continue
        values = raw_values if isinstance(raw_values, list) else [raw_values]
        for raw in values:
            try:
                if "[" in name:
                    if types is None:
                        types = dict(AttributeDefinition.objects.values_list("name", "type"))
                    query = query.filter(_operator_filter(name, raw, types))
                elif name == "search":
                    query = query.filter(_search(raw))
                elif name == "tag":
                    query = query.filter(_has_tag(normalize_tag(raw)))
                elif name in ("company", "companyId"):
                    query = query.filter(company_id=None if raw == "none" else _uuid(raw))
                elif name == "id":
                    query = query.filter(id=_uuid(raw))
                elif name == "job":  # changed by job X: the profiles its events name
                    query = query.filter(id__in=Event.objects.filter(job_id=_uuid(raw)).values("profile_id"))
                elif name in FIELDS_BY_NAME:
                    spec = FIELDS_BY_NAME[name]
                    value = spec.normalize(raw)
                    query = query.filter(**{spec.column: value} if value is not None else {f"{spec.column}__isnull": True})
                elif name.startswith("agreements."):
                    channel = name[len("agreements."):]
                    if channel not in AGREEMENT_CHANNELS:
                        raise InvalidValue("unknown_field", "agreement channels are email, sms, push and webPush")
                    query = query.filter(**{AGREEMENT_CHANNELS[channel]: normalize_boolean(raw)})
                elif name.startswith("attributes."):
                    attribute = check_attribute_name(name[len("attributes."):])
                    if types is None:
                        types = dict(AttributeDefinition.objects.values_list("name", "type"))
                    if attribute not in types:
                        raise InvalidValue("unknown_attribute", "no custom attribute has this name")
                    value = coerce(types[attribute], raw)
                    query = query.filter(**{f"attributes__{attribute}": value})
                elif extra_filters and name in extra_filters:
                    query = extra_filters[name](query, raw)
                else:
                    raise InvalidValue("unknown_filter", "is not a filter of the profile list")
            except InvalidValue as exc:
                errors.append(FieldError(name, exc.code, exc.message, raw))
    return ProfileQuery(query, errors)


def operator_of(param: str) -> tuple[str, str] | None:
    """`city[contains]` as ("city", "contains"); None for a plain parameter or an unknown operator."""
    match = OPERATOR_PARAM.match(param)
    return (match["field"], match["op"]) if match and match["op"] in OPERATORS else None


def field_kind(name: str, types: Mapping[str, str]) -> str | None:
    """The kind of a filterable field (a KIND_OPERATORS key), or None if it is not one."""
    if name in FIELDS_BY_NAME:
        return _STANDARD_KINDS.get(name, "text")
    if name.startswith("agreements.") and name[len("agreements."):] in AGREEMENT_CHANNELS:
        return "boolean"
    if name.startswith("attributes.") and name[len("attributes."):] in types:
        return _ATTRIBUTE_KINDS[types[name[len("attributes."):]]]
    return None


def _operator_filter(param: str, raw: Any, types: Mapping[str, str]) -> Any:
    """`field[op]=value` as one condition (a Q or a lookup expression)."""
    match = OPERATOR_PARAM.match(param)
    if match is None or match["op"] not in OPERATORS:
        raise InvalidValue("unknown_operator", f"operators are {', '.join(OPERATORS)}, as in city[contains]=kra")
    name, op = match["field"], match["op"]
    kind = field_kind(name, types)
    if kind is None:
        raise InvalidValue("unknown_filter", f"'{name}' is not a field the profile list can filter on")
    if op not in KIND_OPERATORS[kind]:
        allowed = ", ".join(f"'{OPERATORS[o]}'" for o in KIND_OPERATORS[kind])
        raise InvalidValue("invalid_operator", f"'{OPERATORS[op]}' does not apply to this field; it takes {allowed}")
    if name.startswith("agreements."):
        return Q(**{AGREEMENT_CHANNELS[name[len("agreements."):]]: normalize_boolean(raw)})
    if name.startswith("attributes."):
        return _attribute_condition(name[len("attributes."):], types[name[len("attributes."):]], kind, op, raw)
    spec = FIELDS_BY_NAME[name]
    column = spec.column
    if op in VALUELESS:
        empty = Q(**{f"{column}__isnull": True})
        if kind == "text":
            empty |= Q(**{column: ""})
        return empty if op == "empty" else ~empty
    if kind == "text" and not (op == "is" and name in _NORMALIZED_IS):
        return _folded(Fold(F(column)), op, raw)
    value = spec.normalize(raw)
    if value is None:
        raise InvalidValue("missing_value", "give a value, or use 'is empty'")
    return {"is": Exact, "gt": GreaterThan, "lt": LessThan}[op](F(column), value)


def _attribute_condition(attribute: str, type_: str, kind: str, op: str, raw: Any) -> Any:
    path = f"attributes__{attribute}"
    if op in VALUELESS:
        empty = ~Q(attributes__has_key=attribute) | Q(**{path: None})
        if kind == "text":
            empty |= Q(**{path: ""})
        return empty if op == "empty" else ~empty
    if kind == "text":
        return _folded(Fold(KT(path)), op, raw)
    value = coerce(type_, raw)
    if op == "is":
        return Q(**{path: value})
    return Q(**{f"{path}__{op}": value})


def _folded(expression: Fold, op: str, raw: Any) -> Any:
    text = str(raw).strip()[:SEARCH_MAX]
    check_characters(text)
    if not text:
        raise InvalidValue("missing_value", "give a value, or use 'is empty'")
    return {"is": Exact, "contains": Contains, "startswith": StartsWith}[op](expression, fold(text))


def _has_tag(name: str) -> Exists:
    """A correlated EXISTS on (profile, tag): walking the list's order and probing the unique
    index finds a page after a few hundred probes, where `id IN (all profiles with the tag)`
    would first collect every holder of a popular tag."""
    tag_id = Tag.objects.filter(name=name).values("id")
    return Exists(ProfileTag.objects.filter(profile_id=OuterRef("pk"), tag_id=Subquery(tag_id)))


def _search(raw: Any) -> Q:
    text = str(raw).strip()[:SEARCH_MAX]
    check_characters(text)
    return search_condition(text)


def _uuid(raw: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise InvalidValue("invalid_id", "must be a UUID") from None


# --- sorting and keyset paging ---------------------------------------------------------------

def sort_column(sort: str | None) -> tuple[str, bool]:
    sort = sort or "-createdAt"
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in SORTABLE:
        raise InvalidValue("invalid_sort", f"sort by one of {', '.join(sorted(SORTABLE))}, '-' first for descending")
    return SORTABLE[name], descending


def encode_cursor(value: Any, profile_id: Any) -> str:
    payload = json.dumps([value if value is None or isinstance(value, (int, str)) else str(value), str(profile_id)])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        value, profile_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        uuid.UUID(profile_id)
        return value, profile_id
    except (ValueError, TypeError):
        raise InvalidValue("invalid_cursor", "is not a cursor returned by this list") from None


def _ordered(queryset: QuerySet, column: str, descending: bool) -> QuerySet:
    """The list's order: the sort column, then id; nulls last.

    A column that cannot be null is ordered plainly: an explicit NULLS LAST would keep PostgreSQL
    from walking the (created_at, id) index and make it sort the whole table instead.
    """
    if Profile._meta.get_field(column).null:
        order = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    else:
        order = f"-{column}" if descending else column
    return queryset.order_by(order, "-id" if descending else "id")


def page(queryset: QuerySet, *, sort: str | None, limit: int, cursor: str | None) -> tuple[list[Profile], str | None]:
    """One page in keyset order (sort column, id), nulls last; the cursor of the next page or None."""
    column, descending = sort_column(sort)
    nullable = Profile._meta.get_field(column).null
    cmp = "lt" if descending else "gt"
    queryset = _ordered(queryset, column, descending)
    if cursor:
        value, last_id = decode_cursor(cursor)
        try:
            value = None if value is None else Profile._meta.get_field(column).to_python(value)
        except (ValidationError, TypeError, ValueError):
            raise InvalidValue("invalid_cursor", "is not a cursor returned by this list") from None
        if value is None:
            queryset = queryset.filter(**{f"{column}__isnull": True, f"id__{cmp}": last_id})
        else:
            after = Q(**{f"{column}__{cmp}": value}) | Q(**{column: value, f"id__{cmp}": last_id})
            queryset = queryset.filter(after | Q(**{f"{column}__isnull": True}) if nullable else after)
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, column), last.id)
    return rows, next_cursor


def numbered_page(queryset: QuerySet, *, sort: str | None, number: int, size: int) -> tuple[list[Profile], bool]:
    """Page `number` (from 1) of `size` rows in the list's order, and whether a next page exists.

    The browser list numbers its pages, as marketers expect; the API keeps keyset cursors,
    which stay fast at any depth."""
    column, descending = sort_column(sort)
    start = (number - 1) * size
    rows = list(_ordered(queryset, column, descending)[start: start + size + 1])
    return rows[:size], len(rows) > size
