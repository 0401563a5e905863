"""The profile list's filters, shared by the API, the list page, batch edit and jobs.

`parse_filters` turns query parameters (`city=Warsaw`, `tag=vip`, `attributes.plan=gold`,
`agreements.email=true`, `search=anna`, `job=<id>`: changed by that job) into a queryset, with
every bad parameter reported as a FieldError naming it.
"""

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from dossier.activity.models import Event
from dossier.profiles.attributes import AttributeDefinition, check_attribute_name, coerce
from dossier.profiles.errors import FieldError, InvalidValue
from dossier.profiles.fields import AGREEMENT_CHANNELS, FIELDS_BY_NAME, check_characters, normalize_boolean
from dossier.profiles.models import Profile, ProfileTag, Tag
from dossier.profiles.writes import normalize_tag

PAGING_PARAMS = {"sort", "limit", "cursor", "format", "page"}
SORTABLE = {"createdAt": "created_at", "updatedAt": "updated_at", **{n: f.column for n, f in FIELDS_BY_NAME.items()}}
MAX_LIMIT = 1000
SEARCH_MAX = 200


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
                if name == "search":
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


def _has_tag(name: str) -> Exists:
    """A correlated EXISTS on (profile, tag): walking the list's order and probing the unique
    index finds a page after a few hundred probes, where `id IN (all profiles with the tag)`
    would first collect every holder of a popular tag."""
    tag_id = Tag.objects.filter(name=name).values("id")
    return Exists(ProfileTag.objects.filter(profile_id=OuterRef("pk"), tag_id=Subquery(tag_id)))


def _search(raw: Any) -> Q:
    text = str(raw).strip()[:SEARCH_MAX]
    check_characters(text)
    q = Q()
    for column in ("email", "custom_id", "phone"):
        q |= Q(**{f"{column}__istartswith": text})
    for column in ("first_name", "last_name", "display_name"):
        q |= Q(**{f"{column}__icontains": text})
    return q


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


def page(queryset: QuerySet, *, sort: str | None, limit: int, cursor: str | None) -> tuple[list[Profile], str | None]:
    """One page in keyset order (sort column, id), nulls last; the cursor of the next page or None.

    A column that cannot be null is ordered plainly: an explicit NULLS LAST would keep PostgreSQL
    from walking the (created_at, id) index and make it sort the whole table instead.
    """
    column, descending = sort_column(sort)
    nullable = Profile._meta.get_field(column).null
    cmp = "lt" if descending else "gt"
    if nullable:
        order = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    else:
        order = f"-{column}" if descending else column
    queryset = queryset.order_by(order, "-id" if descending else "id")
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
