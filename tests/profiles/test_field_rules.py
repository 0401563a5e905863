"""The phone, country, date and sex rules mean the same through the API and a public form as
through an import: one normalization layer behind every door."""

import json

import pytest
from django.test import Client

from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

CONTACT_FORM = {"slug": "contact", "name": "Contact", "identifier": "email",
                "fields": [{"name": "email", "target": "email"}, {"name": "phone", "target": "phone"},
                           {"name": "country", "target": "countryCode"}, {"name": "born", "target": "birthDate"}]}


@pytest.mark.parametrize("written, stored", [
    ("PL", "PL"), ("pol", "PL"), ("Poland", "PL"), ("Polska", "PL"), ("POLAND ", "PL"), ("Deutschland", "DE"),
    ("USA", "US"), ("United States of America", "US"), ("UK", "GB"), ("United Kingdom", "GB"), ("Österreich", "AT"),
    ("osterreich", "AT"), ("Côte d'Ivoire", "CI"), ("The Netherlands", "NL"), ("Россия", "RU"),
])
def test_countries_are_accepted_as_codes_and_names_and_stored_as_alpha_2(api, written, stored):
    response = api.post("/profiles", {"email": "a@example.com", "countryCode": written})

    assert response.status_code == 201, response.content
    assert response.json()["countryCode"] == stored


def test_an_unknown_country_is_refused_quoting_the_value(api):
    response = api.post("/profiles", {"email": "a@example.com", "countryCode": "Atlantis"})

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("countryCode", "invalid_country")
    assert detail["message"].startswith("'Atlantis' is not a known country")


@pytest.mark.parametrize("written, stored", [
    ("1990-05-01", "1990-05-01"), ("1990-05-01 00:00:00", "1990-05-01"), ("1990-05-01T23:30:00+02:00", "1990-05-01"),
])
def test_birth_dates_take_iso_dates_and_datetimes_keeping_the_date(api, written, stored):
    response = api.post("/profiles", {"email": "a@example.com", "birthDate": written})

    assert response.status_code == 201, response.content
    assert response.json()["birthDate"] == stored


def test_a_date_attribute_keeps_the_date_of_a_datetime(api):
    api.post("/attributes", {"name": "firstOrder", "type": "date"})

    response = api.post("/profiles", {"email": "a@example.com", "attributes": {"firstOrder": "2024-02-03T10:00:00Z"}})

    assert response.json()["attributes"] == {"firstOrder": "2024-02-03"}


@pytest.mark.parametrize("written, stored", [("OTHER", 3), (3, 3), ("female", 2), ("Unspecified", 0), ("M", 1)])
def test_sex_takes_codes_and_words(api, written, stored):
    response = api.post("/profiles", {"email": "a@example.com", "sex": written})

    assert response.status_code == 201, response.content
    assert response.json()["sex"] == stored


def test_a_public_form_applies_the_same_phone_country_and_date_rules(api):
    assert api.post("/forms", CONTACT_FORM).status_code == 201
    visitor = Client()

    good = visitor.post("/f/contact", json.dumps({"email": "a@example.com", "phone": "(206) 555-0142",
                                                  "country": "United States", "born": "1990-05-01 00:00:00"}),
                        content_type="application/json")
    bad = visitor.post("/f/contact", json.dumps({"email": "b@example.com", "phone": "-1199", "country": "Atlantis"}),
                       content_type="application/json")

    assert good.status_code == 201, good.content
    stored = Profile.objects.get(email="a@example.com")
    assert (stored.phone, stored.country_code, str(stored.birth_date)) == ("+12065550142", "US", "1990-05-01")
    assert bad.status_code == 422
    codes = {d["field"]: d["code"] for d in bad.json()["error"]["details"]}
    assert codes == {"phone": "invalid_phone", "country": "invalid_country"}
    assert not Profile.objects.filter(email="b@example.com").exists()
