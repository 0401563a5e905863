"""Template filters that turn stored keys into the words people read: who acted, through which path.

Registered as a builtin (settings.TEMPLATES), so every page can write `{{ event.actor|actor }}`.
"""

from django import template

register = template.Library()

ACTOR_KINDS = {"user": "{}", "apikey": "API key “{}”", "form": "form “{}”", "workflow": "workflow “{}”"}
# Each reads after "through": "by anna through the profile card".
SOURCE_WORDS = {"ui": "the profile card", "api": "the API", "batch": "a batch edit", "import": "an import",
                "form": "a form", "workflow": "a workflow", "undo": "an undo"}


@register.filter
def actor(value: str) -> str:
    """`user:anna` → `anna`, `apikey:crm` → `API key “crm”`; an unknown kind is shown as stored."""
    kind, _, name = str(value or "").partition(":")
    if not name:
        return {"workflow": "a workflow"}.get(kind, kind)
    shape = ACTOR_KINDS.get(kind)
    return shape.format(name) if shape else str(value)


@register.filter
def source(value: str) -> str:
    """The path a change came through, in words (`batch` → `batch edit`)."""
    return SOURCE_WORDS.get(value, value)
