"""Events as the API's JSON (SPEC §3)."""

from typing import Any

from dossier.activity.models import Event


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "profileId": str(event.profile_id) if event.profile_id else event.params.get("profileId"),
        "type": event.type,
        "time": event.time.isoformat(),
        "source": event.source,
        "actor": event.actor,
        "jobId": str(event.job_id) if event.job_id else None,
        "causedBy": event.caused_by_id,
        "params": event.params,
    }
