"""A phone number as phonenumbers reads it, without parsing again what is already known.

`possible_e164` answers what `phonenumbers.parse` then `is_possible_number` answer: the number in
E.164, or None when phonenumbers does not read a possible number. Parsing costs about 20 µs, the
largest share of reading a profile in a bulk write, and nearly every number comes in one shape:
"+", the country code and digits, spaces allowed. For that shape phonenumbers' answer depends only
on the country code and how many digits follow it, as long as those digits neither start with 0
(an Italian leading zero) nor match the country's national prefix: phonenumbers then strips
nothing, and judges a possible number by its length alone (it checks no leading digits). So the
verdict for each (default region, country code, length) is learned from phonenumbers itself on
the first number of the kind, and every other number of that kind gets the same one.
"""

import functools
import re

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

_INTERNATIONAL = re.compile(r"\+[1-9][0-9 ]*")
_COUNTRY_CODES = {str(code): code for code in COUNTRY_CODE_TO_REGION_CODE}  # codes have 1 to 3 digits
_PARSE = object()  # the verdict of a kind whose numbers phonenumbers does not write back as "+" and their digits
_verdicts: dict[tuple[str, int, int], object] = {}


def possible_e164(text: str, region: str) -> str | None:
    """The number in E.164 when phonenumbers reads a possible number from `text`, else None."""
    if _INTERNATIONAL.fullmatch(text):
        digits = text[1:].replace(" ", "")
        kind = _kind(digits)
        if kind is not None:
            key = (region, *kind)
            verdict = _verdicts.get(key)
            if verdict is None:
                verdict = _verdicts[key] = _learned_verdict(text, digits, region)
            if verdict is True:
                return "+" + digits
            if verdict is False:
                return None
    return _parsed_e164(text, region)


def _kind(digits: str) -> tuple[int, int] | None:
    """(country code, digits after it) of an international number whose reading depends on those
    alone; None when its digits matter (an unknown country code, a leading 0, a national prefix)."""
    for size in (1, 2, 3):
        code = _COUNTRY_CODES.get(digits[:size])
        if code is not None:
            break
    else:
        return None
    national = digits[size:]
    if national.startswith("0"):
        return None
    prefix = _national_prefix(code)
    if prefix is False or (prefix is not None and prefix.match(national)):
        return None
    return code, len(national)


@functools.cache
def _national_prefix(code: int) -> re.Pattern | None | bool:
    """The pattern phonenumbers strips as a national prefix for `code`; False without metadata."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, phonenumbers.region_code_for_country_code(code))
    if metadata is None:
        return False
    pattern = metadata.national_prefix_for_parsing
    return re.compile(pattern) if pattern else None


def _learned_verdict(text: str, digits: str, region: str) -> object:
    parsed = _parsed_e164(text, region)
    if parsed is None:
        return False
    return True if parsed == "+" + digits else _PARSE


def _parsed_e164(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
