"""Hand committed events to the workflow engine (filled in by the workflows app)."""


def queue_triggers(events) -> None:
    """Called by `record_events` inside the writing transaction."""
    return None
