"""Field paths, stored values, filters and profiles as people read them.

The API speaks in keys (`attributes.loyaltyPoints`, `sex: 2`, `city[contains]=kra`, a profile's
UUID); the pages say "Loyalty points", "female", "City contains kra", "Anna Nowak". One place
turns the first into the second, so the list, the card's activity and the job pages agree.
"""

import uuid
from typing import Any, Iterable, Mapping

from dossier.profiles.fields import STANDARD_FIELDS
from dossier.profiles.filters import OPERATORS, VALUELESS, operator_of
from dossier.profiles.forms import CHANNEL_LABELS
from dossier.profiles.models import AttributeDefinition, Company, Profile

JOB_FILTER_LABEL = "Changed by job"
SEX_WORDS = {0: "not specified", 1: "male", 2: "female", 3: "other"}
OTHER_PATHS = {"tags": "Tags", "company": "Company", "companyId": "Company", "search": "Search", "tag": "Tag",
               "job": JOB_FILTER_LABEL, "addTags": "Add tags", "removeTags": "Remove tags"}
EMPTY = "—"


def attribute_definitions() -> list[dict]:
    return list(AttributeDefinition.objects.order_by("name").values("name", "label", "type"))


def path_labels(definitions: list[dict]) -> dict[str, str]:
    """Every field path with its label: standard fields, agreements, custom attributes, the rest."""
    labels = dict(OTHER_PATHS)
    labels.update({spec.name: spec.label for spec in STANDARD_FIELDS})
    labels.update({f"agreements.{channel}": f"{label} agreement" for channel, label in CHANNEL_LABELS.items()})
    labels.update({f"attributes.{d['name']}": d["label"] or d["name"] for d in definitions})
    return labels


def label_of(path: str, labels: Mapping[str, str]) -> str:
    """A path's label; an attribute no longer defined is shown by its name."""
    return labels.get(path) or path.removeprefix("attributes.")


def value_words(path: str, value: Any) -> str:
    """A stored value as text: sex in words, yes/no, a company's name, `—` for nothing."""
    if value is None or value == "" or value == []:
        return EMPTY
    if path == "sex" and value in SEX_WORDS:
        return SEX_WORDS[value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict) and "name" in value:
        return value["name"] or str(value.get("id", ""))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def describe_change(change: Mapping[str, Any], labels: Mapping[str, str]) -> dict:
    """One recorded change as the pages show it: path, label, before and after in words."""
    path = str(change.get("attribute", ""))
    if path == "tags":
        removed, added = ", ".join(change.get("removed", [])), ", ".join(change.get("added", []))
        return {"attribute": path, "label": label_of(path, labels), "old": removed and "− " + removed or EMPTY,
                "new": added and "+ " + added or EMPTY}
    return {"attribute": path, "label": label_of(path, labels), "old": value_words(path, change.get("old")),
            "new": value_words(path, change.get("new"))}


def param_label(param: str, labels: Mapping[str, str]) -> str:
    """A filter parameter's name as its error names it: `city[contains]` as `City contains`."""
    found = operator_of(param)
    return f"{label_of(found[0], labels)} {OPERATORS[found[1]]}" if found else labels.get(param, param)


def filter_words(param: str, value: str, labels: Mapping[str, str], companies: Mapping[str, str]) -> str:
    """One filter as a sentence: `City is Warsaw`, `City contains kra`, `Phone is empty`."""
    name, op = operator_of(param) or (param, "is")
    label = label_of(name, labels)
    if name == "search":
        return f"search “{value}”"
    if name == "job":
        return f"{label} {value}"
    if name in ("company", "companyId"):
        value = "none" if value == "none" else companies.get(str(value), str(value))
    return f"{label} {OPERATORS[op]}" + ("" if op in VALUELESS else f" {value}")


def describe_filters(filters: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """A selection's filters (values may be lists) as sentences."""
    pairs = [(key, str(v)) for key, values in filters.items()
             for v in (values if isinstance(values, list) else [values])]
    company_ids = [v for key, v in pairs if key in ("company", "companyId") and v != "none"]
    companies = company_names(company_ids)
    return [filter_words(key, value, labels, companies) for key, value in pairs]


def company_names(ids: Iterable[str]) -> dict[str, str]:
    valid = [i for i in ids if _is_uuid(i)]
    return {str(k): v for k, v in Company.objects.filter(id__in=valid).values_list("id", "name")} if valid else {}


def profile_name(first: str | None, last: str | None, display: str | None, email: str | None, custom_id: str | None) -> str:
    full = " ".join(part for part in (first, last) if part)
    return display or full or email or custom_id or "Anonymous profile"


def profile_names(ids: Iterable[Any]) -> dict[str, str]:
    """Profile id (as text) → its name, in one query; deleted profiles are absent."""
    rows = Profile.objects.filter(id__in=[i for i in ids if _is_uuid(str(i))]).values_list(
        "id", "first_name", "last_name", "display_name", "email", "custom_id")
    return {str(row[0]): profile_name(*row[1:]) for row in rows}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True
