"""Profiles as the API's JSON (camelCase, SPEC §1)."""

from typing import Any, Iterable

from dossier.core.queries import CompiledLookup
from dossier.profiles.changes import ROW_COLUMNS
from dossier.profiles.consents import consents_of
from dossier.profiles.fields import AGREEMENT_CHANNELS, STANDARD_FIELDS
from dossier.profiles.models import Company, Profile, ProfileTag


def state_json(state: dict[str, Any], companies: dict[Any, str], consents: dict[str, dict] | None = None) -> dict[str, Any]:
    """A profile's JSON; `consents` (read from their own table) only where the answer shows them."""
    data: dict[str, Any] = {"id": str(state["id"])}
    for spec in STANDARD_FIELDS:
        value = state[spec.column]
        data[spec.name] = value.isoformat() if hasattr(value, "isoformat") else value
    data["agreements"] = {channel: state[column] for channel, column in AGREEMENT_CHANNELS.items()}
    if consents is not None:
        data["consents"] = consents
    data["tags"] = sorted(state["tags"])
    company_id = state["company_id"]
    data["company"] = {"id": str(company_id), "name": companies.get(company_id, "")} if company_id else None
    data["attributes"] = state["attributes"]
    data["version"] = state["version"]
    data["createdAt"] = state["created_at"].isoformat()
    data["updatedAt"] = state["updated_at"].isoformat()
    return data


# One profile is read after every single write the API answers; these skip the ORM's per-call compile.
_PROFILE_ROW = CompiledLookup(Profile, "id", ROW_COLUMNS)
_PROFILE_TAGS = CompiledLookup(ProfileTag, "profile", ("tag__name",))
_COMPANY_NAME = CompiledLookup(Company, "id", ("name",))


def profile_json(profile_id: Any) -> dict[str, Any] | None:
    rows = _PROFILE_ROW.rows(profile_id)
    if not rows:
        return None
    state = dict(zip(ROW_COLUMNS, rows[0]))
    state["tags"] = {name for (name,) in _PROFILE_TAGS.rows(profile_id)}
    company_id = state["company_id"]
    companies = {company_id: name for (name,) in _COMPANY_NAME.rows(company_id)} if company_id else {}
    return state_json(state, companies, consents_of([state["id"]])[state["id"]])


def profiles_json(profiles: Iterable[Profile]) -> list[dict[str, Any]]:
    """A page of profiles in three more queries (tags, companies, consents), whatever its length."""
    states = []
    by_id = {}
    for profile in profiles:
        state = {c: getattr(profile, c) for c in ("id", "company_id", "attributes", "version", "created_at", "updated_at")}
        for spec in STANDARD_FIELDS:
            state[spec.column] = getattr(profile, spec.column)
        for column in AGREEMENT_CHANNELS.values():
            state[column] = getattr(profile, column)
        state["tags"] = set()
        states.append(state)
        by_id[profile.id] = state
    for profile_id, name in ProfileTag.objects.filter(profile_id__in=list(by_id)).values_list("profile_id", "tag__name"):
        by_id[profile_id]["tags"].add(name)
    companies = _company_names(states)
    consents = consents_of(by_id)
    return [state_json(s, companies, consents[s["id"]]) for s in states]


def _company_names(states: list[dict]) -> dict[Any, str]:
    ids = {s["company_id"] for s in states if s["company_id"]}
    return dict(Company.objects.filter(id__in=ids).values_list("id", "name")) if ids else {}


def company_json(company: Company) -> dict[str, Any]:
    return {"id": str(company.id), "name": company.name, "domain": company.domain, "email": company.email,
            "createdAt": company.created_at.isoformat(), "updatedAt": company.updated_at.isoformat()}
