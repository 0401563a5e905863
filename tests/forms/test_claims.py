"""A public form is a claim by an anonymous visitor, not an edit: tried here as an attacker would,
over HTTP with no key and no login. Identifiers never change, existing values are only filled
when empty, agreements turn on only through the owner's confirmation link (double opt-in), and
turning one off is always honoured. Everything submitted is recorded, with what was held back."""

import datetime
import json
import re
import time

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from dossier.activity.models import Event
from dossier.forms.models import ConsentRequest
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

NEWS = {"slug": "news", "name": "News", "identifier": "email",
        "fields": [{"name": "email", "target": "email"}, {"name": "first", "target": "firstName"},
                   {"name": "phone", "target": "phone"}, {"name": "news", "target": "agreements.email"},
                   {"name": "sms", "target": "agreements.sms"}]}
BY_CUSTOM_ID = {"slug": "loyalty", "name": "Loyalty", "identifier": "customId",
                "fields": [{"name": "card", "target": "customId"}, {"name": "email", "target": "email"},
                           {"name": "city", "target": "city", "policy": "always"}]}


@pytest.fixture
def visitor():
    return Client()


@pytest.fixture
def victim(api):
    created = api.post("/profiles", {"email": "victim@example.com", "firstName": "Vera", "phone": "+48 601 234 567",
                                     "customId": "CARD-1", "city": "Gdańsk", "agreements": {"sms": True}})
    assert created.status_code == 201
    return created.json()


def submit(client, slug: str, data: dict):
    return client.post(f"/f/{slug}", json.dumps(data), content_type="application/json")


def link_in(message) -> str:
    return re.search(r"https?://\S+/confirm/\S+", message.body).group(0)


def test_a_stranger_cannot_overwrite_names_phones_or_turn_agreements_on(api, victim, visitor, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    assert api.post("/forms", NEWS).status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(visitor, "news", {"email": "VICTIM@Example.COM", "first": "Mallory",
                                            "phone": "+48 511 222 333", "news": True})

    assert response.status_code == 201
    profile = Profile.objects.get(email="victim@example.com")
    assert (profile.first_name, profile.phone, profile.agreement_email) == ("Vera", "+48601234567", False)
    assert [m.to for m in mailoutbox] == [["victim@example.com"]]  # the owner is asked, not the visitor
    submitted = Event.objects.get(profile=profile, type="form.submit")
    assert submitted.params["first"] == "Mallory"  # nothing submitted is lost
    assert {h["target"]: h["reason"] for h in submitted.params["heldBack"]} == {
        "firstName": "the profile already has a value, and this field only fills empty ones",
        "phone": "the profile already has a value, and this field only fills empty ones",
        "agreements.email": "waits for the visitor to confirm it with the link sent to the profile's email address"}
    assert not Event.objects.filter(profile=profile, type="profile.updated").exists()
    consents = api.get(f"/profiles/{profile.id}").json()["consents"]
    assert consents["email"]["state"] == "pending" and consents["email"]["actor"] == "form:news"


def test_turning_an_agreement_off_is_always_honoured_and_recorded(api, victim, visitor):
    api.post("/forms", NEWS)

    response = submit(visitor, "news", {"email": "victim@example.com", "sms": False})

    assert response.status_code == 201
    profile = Profile.objects.get(email="victim@example.com")
    assert profile.agreement_sms is False
    change = Event.objects.get(profile=profile, type="profile.updated").params["changes"]
    assert {"attribute": "agreements.sms", "old": True, "new": False} in change
    sms = api.get(f"/profiles/{profile.id}").json()["consents"]["sms"]
    assert (sms["state"], sms["source"], sms["actor"]) == ("withdrawn", "form", "form:news")


def test_a_form_keyed_by_custom_id_never_changes_the_email(api, victim, visitor):
    api.post("/forms", BY_CUSTOM_ID)

    response = submit(visitor, "loyalty", {"card": "CARD-1", "email": "attacker@evil.example", "city": "Kraków"})

    assert response.status_code == 201
    profile = Profile.objects.get(custom_id="CARD-1")
    assert profile.email == "victim@example.com"
    assert profile.city == "Kraków"  # the owner chose `always` for this field
    held = Event.objects.get(profile=profile, type="form.submit").params["heldBack"]
    assert held == [{"field": "email", "target": "email", "reason": "a form never changes an identifier of an existing profile"}]


def test_a_new_profile_is_created_from_the_submission_with_its_agreements_pending(api, visitor, mailoutbox,
                                                                                   django_capture_on_commit_callbacks):
    api.post("/forms", NEWS)

    with django_capture_on_commit_callbacks(execute=True):
        submit(visitor, "news", {"email": "new@example.com", "first": "Nina", "news": True})

    profile = Profile.objects.get(email="new@example.com")
    assert (profile.first_name, profile.agreement_email) == ("Nina", False)
    assert len(mailoutbox) == 1


def test_the_confirmation_link_works_once_and_only_when_its_button_is_pressed(api, visitor, mailoutbox,
                                                                              django_capture_on_commit_callbacks):
    api.post("/forms", NEWS)
    with django_capture_on_commit_callbacks(execute=True):
        submit(visitor, "news", {"email": "nina@example.com", "news": True})
    link = link_in(mailoutbox[0])
    path = link.split("testserver", 1)[1]
    profile = Profile.objects.get(email="nina@example.com")

    page = visitor.get(path)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and "Confirm" in page.content.decode()
    assert Profile.objects.get(id=profile.id).agreement_email is False

    confirmed = visitor.post(path)
    again = visitor.post(path)

    assert "your consent to email messages is confirmed" in confirmed.content.decode()
    assert "already used" in again.content.decode()
    assert Profile.objects.get(id=profile.id).agreement_email is True
    event = Event.objects.get(profile=profile, type="agreement.confirmed")
    assert (event.source, event.actor, event.params["channels"]) == ("form", "form:news", ["email"])
    change = Event.objects.get(profile=profile, type="profile.updated")
    assert (change.source, change.actor) == ("form", "form:news")
    email = api.get(f"/profiles/{profile.id}").json()["consents"]["email"]
    assert (email["state"], email["source"], email["actor"]) == ("granted", "form", "form:news")


def test_an_expired_or_forged_link_confirms_nothing(api, visitor, monkeypatch):
    api.post("/forms", NEWS)
    submit(visitor, "news", {"email": "late@example.com", "news": True})
    request = ConsentRequest.objects.get()
    eight_days_ago = time.time() - 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    old = signing.dumps(str(request.id), salt="dossier.forms.consent", compress=True)
    monkeypatch.undo()

    expired = visitor.post(f"/f/news/confirm/{old}")
    forged = visitor.post(f"/f/news/confirm/{old[:-3]}abc")

    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert forged.status_code == 404
    assert Profile.objects.get(email="late@example.com").agreement_email is False


def test_only_an_admin_makes_a_form_single_opt_in_and_then_agreements_apply_at_once(make_api, visitor):
    editor = make_api("workflows")
    admin = make_api("admin")

    refused = editor.post("/forms", {**NEWS, "singleOptIn": True})
    created = admin.post("/forms", {**NEWS, "singleOptIn": True})
    submit(visitor, "news", {"email": "known@example.com", "news": True})

    assert refused.status_code == 403 and refused.json()["error"]["details"][0]["field"] == "singleOptIn"
    assert created.status_code == 201
    assert Profile.objects.get(email="known@example.com").agreement_email is True
    assert editor.put("/forms/news", {**NEWS, "singleOptIn": True, "name": "Renamed"}).status_code == 200


def test_public_json_with_many_more_keys_than_fields_is_refused(api, visitor):
    api.post("/forms", NEWS)

    response = submit(visitor, "news", {"email": "a@example.com", **{f"k{n}": "x" for n in range(3000)}})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_fields"
    assert not Profile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_confirmation_its_process_died_before_sending(api, visitor, settings):
    from tests.processes import run_dossier

    api.post("/forms", NEWS)
    submit(visitor, "news", {"email": "lost@example.com", "news": True})
    # as if the process had died between the commit and the message
    ConsentRequest.objects.update(sent_at=None, created_at=timezone.now() - datetime.timedelta(minutes=5))

    result = run_dossier("worker", "--batch", "--interval", "0.05")

    assert result.returncode == 0, result.stderr
    request = ConsentRequest.objects.get()
    assert request.sent_at is not None
    mails = list((settings.DATA_DIR / "mail").glob("*.log"))
    assert any("lost@example.com" in path.read_text() for path in mails)
