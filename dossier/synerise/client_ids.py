"""The numeric `clientId` of the Synerise-compatible API: given out on first use, kept for good.

Dossier names profiles by UUID; a Synerise client names them by a number. Each profile gets one
the first time the /v4 API shows it or is asked for it, from a sequence on PostgreSQL and after the
highest one given on SQLite (whose write transaction holds the only write lock). An id is never
reused, and giving one is not a change to the profile: no version bump, no event.
"""

from typing import Any, Iterable

from django.db import connection, transaction
from django.db.models import Case, Max, Value, When

from dossier.profiles.models import MergedProfile, Profile


def _next_ids(count: int) -> list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('profiles_client_id_seq') FROM generate_series(1, %s)", [count])
            return [row[0] for row in cursor.fetchall()]
    start = (Profile.objects.aggregate(top=Max("client_id"))["top"] or 0) + 1
    return list(range(start, start + count))


def client_ids(profile_ids: Iterable[Any]) -> dict[Any, int]:
    """Profile id -> its clientId, giving one to each profile that has none yet.

    The ones given are written in one statement whatever their number (a first /v4 list page of
    1,000 new profiles is one UPDATE, not 1,000). A profile another request gave one to meanwhile
    keeps that one: the UPDATE skips profiles that have one, and the ids are read back after it.
    """
    ids = list(profile_ids)
    found = dict(Profile.objects.filter(id__in=ids).values_list("id", "client_id"))
    missing = [pid for pid, client_id in found.items() if client_id is None]
    if missing:
        numbers = Case(*(When(id=pid, then=Value(number)) for pid, number in zip(missing, _next_ids(len(missing)))))
        with transaction.atomic():
            Profile.objects.filter(id__in=missing, client_id__isnull=True).update(client_id=numbers)
        found.update(Profile.objects.filter(id__in=missing).values_list("id", "client_id"))
    return found


def profile_id_of(client_id: Any) -> Any | None:
    """The profile a clientId names (a merged profile's: the one it went into), or None."""
    try:
        number = int(client_id)
    except (TypeError, ValueError):
        return None
    if isinstance(client_id, bool) or not 0 < number < 2**63:
        return None
    found = Profile.objects.filter(client_id=number).values_list("id", flat=True).first()
    if found is None:
        found = MergedProfile.objects.filter(client_id=number).values_list("profile_id", flat=True).first()
    return found
