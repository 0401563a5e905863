"""What the profile list and card browser tests share: seeding profiles and watching the console."""

import pytest

from dossier.profiles.changes import ChangeContext
from dossier.profiles.services import do_create_profile

SEED = ChangeContext(source="api", actor="apikey:seed")


def create(**data):
    """A profile written through the change service, as the API would; returns its id."""
    return do_create_profile(data, SEED).id


@pytest.fixture
def console_errors(page):
    """Errors the page logs, a Content-Security-Policy refusal among them."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors
