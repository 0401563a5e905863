"""Fixtures for the browser pages driven through Django's test client."""

import pytest
from django.test import Client

from dossier.activity.models import Event
from dossier.profiles.changes import ChangeContext
from dossier.profiles.services import do_create_profile

SEED_CONTEXT = ChangeContext(source="api", actor="apikey:seed")


@pytest.fixture
def make_profile(db):
    """Create a profile through the change service; returns its id."""

    def make(**data):
        return do_create_profile(data, SEED_CONTEXT).id

    return make


@pytest.fixture
def login_as(make_user):
    """A test client logged in as a new user of the given role."""

    def login(role: str, **client_options) -> Client:
        client = Client(**client_options)
        client.force_login(make_user(role))
        return client

    return login


def change_events(profile_id, type_="profile.updated"):
    return list(Event.objects.filter(profile_id=profile_id, type=type_).order_by("id"))
