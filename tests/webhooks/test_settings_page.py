"""Settings → Webhooks through Django's test client: create, see the state and the log, act."""

import re

import pytest
from django.test import Client

from dossier.webhooks.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    client.force_login(make_user("admin"))
    return client


def test_an_admin_creates_a_webhook_and_sees_its_secret_and_log(admin, receiver, webhook_settings, run_worker):
    response = admin.post("/settings/webhooks/", {"url": receiver.url, "eventTypes": "profile.created, form.submit",
                                                  "changed": "", "description": "CRM sync"})

    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert (subscription.event_types, subscription.description) == (["form.submit", "profile.created"], "CRM sync")
    page = admin.get(response["Location"]).content.decode()
    assert subscription.secret in page and "Webhook to " + receiver.url in page

    admin.post(response["Location"], {"action": "test"})
    run_worker()
    page = admin.get(response["Location"]).content.decode()

    assert len(receiver.wait_for(1)) == 1
    assert re.search(r"<code>msg_\d+</code> \(test\)", page)
    assert "delivered" in page and "200 · " in page
    assert "CRM sync" in admin.get("/settings/webhooks/").content.decode()


def test_a_bad_url_is_refused_beside_the_form(admin):
    response = admin.post("/settings/webhooks/", {"url": "ftp://example.com/x", "eventTypes": "*"})

    assert response.status_code == 422
    assert "url: must be an absolute http(s) URL with a host name" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_disabled_webhook_says_why_and_how_many_messages_it_holds(admin, api, receiver, webhook_settings, run_worker):
    webhook_settings.WEBHOOK_DISABLE_AFTER_HOURS = 0
    receiver.answers = [500]
    hook = api.post("/webhooks", {"url": receiver.url, "eventTypes": ["*"]}).json()
    api.post("/profiles", {"email": "ann@example.com"})
    run_worker()

    page = admin.get(f"/settings/webhooks/{hook['id']}/").content.decode()

    assert 'id="hook-disabled">Disabled: disabled ' in page and "1 held message will be sent when it is enabled" in page
    admin.post(f"/settings/webhooks/{hook['id']}/", {"action": "enable"})
    run_worker()
    assert Subscription.objects.get().enabled and len(receiver.wait_for(2)) == 2
