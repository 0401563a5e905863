"""The consent record of each marketing agreement: granted, pending (double opt-in) or withdrawn,
with when and how (SPEC §1 `consents`). The agreements themselves are the profile's columns; this
is their proof, kept beside them by the change service and by a form's opt-in."""

import datetime as dt
from typing import Any, Iterable

from dossier.core.bulk import upsert_rows
from dossier.profiles.fields import AGREEMENT_CHANNELS
from dossier.profiles.models import Consent

CONSENT_COLUMNS = ("profile_id", "channel", "state", "at", "source", "actor")


def record_agreement_changes(changes: Iterable[tuple[Any, list[dict], Any]], now: dt.datetime) -> None:
    """For (profile id, changes, context) of written changes: each agreement turned on is granted,
    each turned off withdrawn, in the writing transaction."""
    rows = {}
    for profile_id, profile_changes, ctx in changes:
        for change in profile_changes:
            name = change["attribute"]
            if name.startswith("agreements."):
                state = Consent.State.GRANTED if change["new"] else Consent.State.WITHDRAWN
                rows[(profile_id, name[len("agreements."):])] = (state, ctx.source, ctx.actor)
    if rows:
        upsert_rows(Consent, CONSENT_COLUMNS, ("profile_id", "channel"),
                    ((pid, channel, state, now, source, actor) for (pid, channel), (state, source, actor) in rows.items()))


def mark_pending(profile_id: Any, channels: Iterable[str], *, source: str, actor: str, now: dt.datetime) -> None:
    upsert_rows(Consent, CONSENT_COLUMNS, ("profile_id", "channel"),
                [(profile_id, channel, Consent.State.PENDING, now, source, actor) for channel in channels])


def consents_of(profile_ids: Iterable[Any]) -> dict[Any, dict[str, dict]]:
    """Per profile, every channel's `{state, at, source, actor}`; `none` where nothing was recorded."""
    ids = list(profile_ids)
    found: dict[Any, dict[str, dict]] = {pid: {} for pid in ids}
    rows = Consent.objects.filter(profile_id__in=ids).values_list("profile_id", "channel", "state", "at", "source", "actor")
    for profile_id, channel, state, at, source, actor in rows:
        found[profile_id][channel] = {"state": state, "at": at.isoformat(), "source": source, "actor": actor}
    none = {"state": "none", "at": None, "source": None, "actor": None}
    return {pid: {channel: by_channel.get(channel, none) for channel in AGREEMENT_CHANNELS} for pid, by_channel in found.items()}
