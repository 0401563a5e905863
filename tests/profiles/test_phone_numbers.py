"""A phone number is stored only when phonenumbers says it is valid (`is_valid_number`), in E.164
with its extension as `;ext=N`; anything else is refused with `invalid_phone`. A number without
`+`/`00` is read in the write's country, else the profile's stored country, else the default
region. The first test sends many numbers of every country code and compares with phonenumbers."""

import random

import phonenumbers
import pytest
from django.conf import settings

from dossier.activity.models import Event
from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

NATIONAL_LENGTHS = range(2, 16)


def phonenumbers_reading(text: str, region: str) -> str | None:
    """What phonenumbers alone makes of `text`: E.164 of a valid number, else None."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def international_numbers(rng: random.Random) -> list[str]:
    """Three numbers for every country code and national length, digits and spacing drawn at random."""
    numbers = []
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for length in NATIONAL_LENGTHS:
            for _ in range(3):
                digits = f"{code}{rng.randrange(10 ** length):0{length}d}"
                spaced = "".join(d + (" " if rng.random() < 0.15 else "") for d in digits[:-1]) + digits[-1]
                numbers.append(f"+{spaced}")
    return numbers


def example_numbers() -> list[str]:
    """phonenumbers' own example of every type of number of every region: all valid ones."""
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return numbers


def test_numbers_are_stored_exactly_when_phonenumbers_says_they_are_valid(api):
    numbers = international_numbers(random.Random(20240611)) + example_numbers()

    rejected = {}
    for start in range(0, len(numbers), 1000):
        batch = numbers[start:start + 1000]
        response = api.post("/profiles/batch", [{"email": f"p{start + n}@phones.example", "phone": phone}
                                                for n, phone in enumerate(batch)])
        assert response.status_code == 200, response.content
        for result in response.json()["results"]:
            if result["status"] == "rejected":
                rejected[numbers[start + result["index"]]] = [e["code"] for e in result["errors"]]

    stored = dict(Profile.objects.values_list("email", "phone"))
    expected = {number: phonenumbers_reading(number, settings.DEFAULT_PHONE_REGION) for number in numbers}
    mismatches = [(number, stored.get(f"p{n}@phones.example"), expected[number])
                  for n, number in enumerate(numbers) if stored.get(f"p{n}@phones.example") != expected[number]]
    assert mismatches == []
    assert rejected == {number: ["invalid_phone"] for number, reading in expected.items() if reading is None}
    valid = len(set(expected.values()) - {None})
    assert valid > 500 and len(rejected) > 1000  # both verdicts were exercised


@pytest.mark.parametrize("written, stored", [
    ("+1 517-782-7343 x123", "+15177827343;ext=123"),
    ("+1 (517) 782-7343 ext. 45", "+15177827343;ext=45"),
    ("0048 601 234 567", "+48601234567"),
    ("00 1 517 782 7343", "+15177827343"),
    ("tel:+1-517-782-7343", "+15177827343"),
    ("601 234 567", "+48601234567"),  # national, read in the default region (PL)
])
def test_valid_numbers_are_stored_in_e164_with_their_extension(api, written, stored):
    response = api.post("/profiles", {"email": "a@example.com", "phone": written})

    assert response.status_code == 201, response.content
    assert response.json()["phone"] == stored


@pytest.mark.parametrize("written", ["-1199", "001-345-767", "+48 601 234 56", "12", "(517) 782-7343", "call me"])
def test_invalid_numbers_are_refused_with_the_rule(api, written):
    response = api.post("/profiles", {"email": "a@example.com", "phone": written})

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"], detail["value"]) == ("phone", "invalid_phone", written)
    assert Profile.objects.count() == 0


def test_a_national_number_is_read_in_the_country_of_the_same_write(api):
    response = api.post("/profiles", {"email": "a@example.com", "countryCode": "United States", "phone": "(517) 782-7343"})

    assert response.status_code == 201, response.content
    assert (response.json()["countryCode"], response.json()["phone"]) == ("US", "+15177827343")


def test_a_national_number_is_read_in_the_profiles_stored_country(api):
    created = api.post("/profiles", {"email": "a@example.com", "countryCode": "US"}).json()

    response = api.patch(f"/profiles/{created['id']}", {"phone": "(517) 782-7343"})

    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+15177827343"
    change = Event.objects.filter(type="profile.updated").get().params["changes"]
    assert change == [{"attribute": "phone", "old": None, "new": "+15177827343"}]


def test_a_national_number_valid_in_the_default_region_is_refused_in_the_profiles_country(api):
    created = api.post("/profiles", {"email": "a@example.com", "countryCode": "DE"}).json()

    response = api.patch(f"/profiles/{created['id']}", {"phone": "601 234 567"})  # Polish mobile, not German

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("phone", "invalid_phone")
    assert "in DE" in detail["message"]
    assert Profile.objects.get().phone is None


def test_batch_items_read_national_numbers_in_their_own_stored_countries(api):
    api.post("/profiles/batch", [{"email": "us@example.com", "countryCode": "US"}, {"email": "pl@example.com"}])

    response = api.post("/profiles/batch", [{"email": "us@example.com", "phone": "517 782 7343"},
                                            {"email": "pl@example.com", "phone": "601 234 567"},
                                            {"email": "pl@example.com", "phone": "517 782 7343"}])

    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["updated", "updated", "rejected"]  # the last repeats an identifier of the batch
    assert dict(Profile.objects.values_list("email", "phone")) == {"us@example.com": "+15177827343",
                                                                   "pl@example.com": "+48601234567"}
