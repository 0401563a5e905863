"""No personal data in the logs at INFO: the write paths, lookups by email, failed log-ins and a
workflow run leave no email address, name or phone number in any log record."""

import logging

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)  # the worker commits

EMAIL, FIRST, LAST, PHONE, CITY = "zofia.kowalska@example.com", "Zofia", "Kowalska", "+48601234567", "Szczebrzeszyn"
PERSONAL = [EMAIL, "zofia.kowalska", FIRST, LAST, PHONE, "601234567", "601 234 567", CITY]


def every_logged_text(records: list[logging.LogRecord]) -> str:
    parts = []
    for record in records:
        parts += [record.getMessage(), record.exc_text or "", repr(record.args)]
    return "\n".join(parts)


def test_write_paths_log_no_personal_data(api, caplog, make_user):
    caplog.set_level(logging.INFO)
    make_user("viewer", username=EMAIL)
    form = {"slug": "join", "name": "Join", "fields": [{"name": "email", "target": "email"}, {"name": "city", "target": "city"}]}
    assert api.post("/forms", form).status_code == 201
    flow = {"name": "Greet", "enabled": True, "trigger": {"event": "form.submit"},
            "nodes": [{"type": "updateProfile", "set": {"lastName": "{{ event.params.last }}"}}]}
    assert api.post("/workflows", flow).status_code == 201

    created = api.post("/profiles", {"email": EMAIL, "firstName": FIRST, "phone": "601 234 567"})
    profile_id = created.json()["id"]
    api.patch(f"/profiles/{profile_id}", {"lastName": LAST, "city": CITY})
    api.post("/profiles/batch", [{"email": EMAIL, "firstName": FIRST}, {"email": EMAIL, "phone": "not a phone 601234567"}])
    api.post("/profiles", {"email": EMAIL})  # 409: the email is taken
    api.patch(f"/profiles/{profile_id}", {"birthDate": f"{FIRST} {LAST}"})  # 422 echoing the value
    api.get(f"/profiles/by-email/{EMAIL}")
    api.get("/profiles/by-email/zofia.kowalska@example.org")  # a 404, logged by Django as a warning
    api.get(f"/profiles?email={EMAIL}&search={LAST}&phone=%2B48601234567")
    Client().post("/f/join", {"email": EMAIL, "city": CITY, "last": LAST})
    Client().post("/login/", {"username": EMAIL, "password": "wrong"})
    call_command("worker", batch=True, interval=0, verbosity=0)

    logged = every_logged_text(caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert [p for p in PERSONAL if p in logged] == []
