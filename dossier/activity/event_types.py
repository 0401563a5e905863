"""Event types, sources and the rules for custom event type names (SPEC §3)."""

import re

PROFILE_CREATED = "profile.created"
PROFILE_UPDATED = "profile.updated"
PROFILE_DELETED = "profile.deleted"  # the profile and its activity are erased; this alone stays
FORM_SUBMIT = "form.submit"
AGREEMENT_CONFIRMED = "agreement.confirmed"  # a double opt-in's link was used

CHANGE_EVENT_TYPES = (PROFILE_CREATED, PROFILE_UPDATED)
# A profile's life as the change service and erasure record it: no workflow may write these.
LIFECYCLE_EVENT_TYPES = (*CHANGE_EVENT_TYPES, PROFILE_DELETED)
# Written by Dossier alone: a hand-added or tracked event cannot take these types, so they prove
# what they record.
RESERVED_EVENT_TYPES = (*LIFECYCLE_EVENT_TYPES, AGREEMENT_CONFIRMED)

SOURCE_UI = "ui"
SOURCE_API = "api"
SOURCE_BATCH = "batch"
SOURCE_IMPORT = "import"
SOURCE_FORM = "form"
SOURCE_WORKFLOW = "workflow"
SOURCE_UNDO = "undo"
SOURCES = (SOURCE_UI, SOURCE_API, SOURCE_BATCH, SOURCE_IMPORT, SOURCE_FORM, SOURCE_WORKFLOW, SOURCE_UNDO)

EVENT_TYPE_PATTERN = re.compile(r"^[A-Za-z0-9._-]{2,64}\Z")
