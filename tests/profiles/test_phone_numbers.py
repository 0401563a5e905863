"""A phone number is stored as phonenumbers reads it: in E.164 when it reads a possible number, as
written when it only looks like one, refused otherwise. International numbers of one country and
length are answered from what phonenumbers said of the first one (dossier.profiles.phones), so
these send many of each kind, for every country code, and compare with phonenumbers itself."""

import random
import re

import phonenumbers
import pytest
from django.conf import settings

from dossier.profiles.models import Profile

pytestmark = pytest.mark.django_db

NATIONAL_LENGTHS = range(2, 16)


def phonenumbers_reading(text: str) -> str | None:
    """What the phone rule makes of `text` by phonenumbers alone; None when it refuses it."""
    try:
        number = phonenumbers.parse(text, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return text if re.fullmatch(r"[0-9+() .\-/]{3,32}", text) else None


def international_numbers(rng: random.Random) -> list[str]:
    """Three numbers for every country code and national length, digits and spacing drawn at random:
    some start with 0 or a national prefix, most do not."""
    numbers = []
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for length in NATIONAL_LENGTHS:
            for _ in range(3):
                digits = f"{code}{rng.randrange(10 ** length):0{length}d}"
                spaced = "".join(d + (" " if rng.random() < 0.15 else "") for d in digits[:-1]) + digits[-1]
                numbers.append(f"+{spaced}")
    return numbers


def test_international_numbers_are_stored_as_phonenumbers_reads_them(api):
    numbers = international_numbers(random.Random(20240611))

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
    expected = {number: phonenumbers_reading(number) for number in numbers}
    mismatches = [(number, stored.get(f"p{n}@phones.example"), expected[number])
                  for n, number in enumerate(numbers) if stored.get(f"p{n}@phones.example") != expected[number]]
    assert mismatches == []
    assert rejected == {number: ["invalid_phone"] for number, reading in expected.items() if reading is None}
    assert len(set(expected.values()) - {None}) > len(numbers) // 4  # possible numbers, not only text kept as written
