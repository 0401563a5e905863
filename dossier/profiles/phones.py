"""Phone numbers: only valid ones are stored, in E.164, an extension kept in RFC 3966 form.

`normalize_phone_number` is phonenumbers' own verdict (`is_valid_number`, which checks the
number against its country's numbering plan, not merely its length): `+1 517-782-7343 x123` is
`+15177827343;ext=123`; `-1199`, `001-345-767` or a Polish number that is one digit short are
refused. A number written with `+` or `00` carries its country; any other is read in the region
the caller gives (the profile's country, an import's `phoneRegion`, or the deployment's default),
and the refusal says which region it was read in, so the person can add the country code.
"""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from dossier.profiles.errors import InvalidValue

_INTERNATIONAL_ZEROS = re.compile(r"^[\s(]*00(?=[\s()\-./]*[1-9])")
_INTERNATIONAL = re.compile(r"^[\s(]*(\+|tel:\+)")


def is_international(text: str) -> bool:
    """Whether the number carries its country (`+48…`, `0048…`, `tel:+48…`), so no region applies."""
    return bool(_INTERNATIONAL.match(text) or _INTERNATIONAL_ZEROS.match(text))


def normalize_phone_number(text: str, region: str) -> str:
    """The number in E.164 (`;ext=N` appended when it has an extension); InvalidValue unless valid."""
    international = _INTERNATIONAL_ZEROS.sub("+", text, count=1)
    try:
        number = phonenumbers.parse(international, region)
    except NumberParseException:
        raise InvalidValue("invalid_phone", "is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        where = "" if is_international(text) else f" in {region} (add the country code, as in +1 555 010 0199, for a number of another country)"
        raise InvalidValue("invalid_phone", f"is not a valid phone number{where}")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164
