"""The standard profile fields: API name, column, section and the rule that normalizes a value.

Every door (API, card, batch edit, import, form, workflow) passes raw values through these same
normalizers, so a value means the same whichever way it came in.
"""

import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from dossier.profiles.errors import LONE_SURROGATE, InvalidValue
from dossier.profiles.countries import normalize_country_code
from dossier.profiles.phones import normalize_phone_number

# What no text may hold: control characters, the bidirectional embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069) that can make a value display as something else than it is, and
# lone surrogates; one-line text refuses tabs and line breaks too. One search per value.
REFUSED_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
REFUSED_CHARS_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Unicode's format characters (category Cf): zero-width spaces and joiners, soft hyphens, word
# joiners, the BOM, invisible operators, tag characters. They show as nothing, so an identifier or a
# tag holding one looks like another (`ab\u200bc` as `abc`): identifiers and tags refuse them. A
# tag keeps a zero-width joiner or non-joiner between two non-ASCII characters, where it does
# visible work (emoji sequences such as a family, Persian and Indic words). Written out, not
# derived at import time, so loading costs nothing; a test holds it to unicodedata's Cf set.
INVISIBLE_CHARS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
_JOINERS = "\u200c\u200d"
# ISO/IEC 5218's codes (0 not known, 1 male, 2 female) plus 3 for other, as Synerise's OTHER;
# the words the v4 API and common exports use for them.
SEX_CODES = {"0": 0, "1": 1, "2": 2, "3": 3}
SEX_NAMES = {"NOT_SPECIFIED": 0, "NOT SPECIFIED": 0, "UNSPECIFIED": 0, "UNKNOWN": 0, "MALE": 1, "M": 1, "FEMALE": 2,
             "F": 2, "OTHER": 3}
SEX_CHOICES = "0, 1, 2, 3, NOT_SPECIFIED, MALE, FEMALE or OTHER"
ANONYMOUS_TYPES = ("anonymous", "recognized")
AGREEMENT_CHANNELS = {"email": "agreement_email", "sms": "agreement_sms", "push": "agreement_push", "webPush": "agreement_web_push"}
# Beside true and false, the words exports use for a consent: Synerise's enabled/disabled,
# Klaviyo's and Mailchimp's subscribed/unsubscribed.
TRUE_WORDS = {"true", "1", "yes", "y", "on", "t", "enabled", "subscribed"}
FALSE_WORDS = {"false", "0", "no", "n", "off", "f", "disabled", "unsubscribed", "never_subscribed", "not_subscribed",
               "non_subscribed"}


def _text(value: Any, max_length: int = 255) -> str:
    if type(value) is not str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or (isinstance(value, float) and not math.isfinite(value)):
            raise InvalidValue("invalid_type", "must be a string")
        value = str(value)
    text = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()  # ASCII text is NFC already
    found = REFUSED_CHARS_ONE_LINE.search(text)  # check_characters(text), inlined: it runs for every value
    if found is not None:
        raise refusal(found)
    if len(text) > max_length:
        raise InvalidValue("too_long", f"must be at most {max_length} characters")
    return text


def check_characters(text: str, *, multiline: bool = False) -> None:
    """Refuse control characters (line breaks and tabs too, unless `multiline`) and lone surrogates."""
    found = (REFUSED_CHARS if multiline else REFUSED_CHARS_ONE_LINE).search(text)
    if found is not None:
        raise refusal(found)


def check_visible(text: str, *, joiners: bool = False) -> None:
    """Refuse a format character (INVISIBLE_CHARS), naming it and where it is; with `joiners`, a
    zero-width joiner or non-joiner between two non-ASCII characters is kept."""
    if text.isascii():
        return
    for found in INVISIBLE_CHARS.finditer(text):
        at = found.start()
        char = found.group()
        if joiners and char in _JOINERS and 0 < at < len(text) - 1 and not text[at - 1].isascii() \
                and not text[at + 1].isascii():
            continue
        name = unicodedata.name(char, "FORMAT CHARACTER")
        raise InvalidValue("invisible_characters", f"must not contain invisible characters (U+{ord(char):04X} {name} "
                                                   f"at position {at + 1})")


def refusal(found: re.Match) -> InvalidValue:
    """The problem with a refused character, as matched by REFUSED_CHARS."""
    if LONE_SURROGATE.match(found.group()):
        return InvalidValue("invalid_unicode", "must be valid Unicode text (a lone surrogate such as \\ud800 is not)")
    return InvalidValue("control_characters", "must not contain control characters")


def normalize_text(value: Any) -> str | None:
    text = _text(value)
    return text or None


# An ASCII dot-atom local part and an ASCII domain: what nearly every address looks like. For such
# an address email-validator accepts the local part as it is and checks the domain on its own, so
# the domain's verdict can be cached and the full validator run only for everything else; the
# result is the same, at a fraction of the cost on a bulk import.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_PLAIN_EMAIL = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@([A-Za-z0-9.-]+)")


def _validated_email(text: str) -> str:
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidValue("invalid_email", f"is not a valid email address: {exc}") from None
    return result.normalized.lower()


@functools.lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> bool:
    """True when email-validator accepts `domain` and normalizes it to its lower case."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False, allow_smtputf8=True).domain == domain.lower()
    except EmailNotValidError:
        return False


def normalize_email(value: Any) -> str | None:
    if type(value) is str and len(value) <= 254:
        plain = _PLAIN_EMAIL.fullmatch(value)  # such an address is its own text: NFC, stripped, nothing refused
        if plain and _plain_domain(plain.group(1)):
            return value.lower()
    text = _text(value, 254)
    if not text:
        return None
    check_visible(text)
    plain = _PLAIN_EMAIL.fullmatch(text)
    if plain and _plain_domain(plain.group(1)):
        return text.lower()
    return _validated_email(text)


def normalize_custom_id(value: Any) -> str | None:
    text = _text(value, 128)
    check_visible(text)
    return text or None


PHONE_MAX = 64  # E.164 is at most 16 characters; an extension adds ";ext=" and its digits


def normalize_phone(value: Any, region: str | None = None) -> str | None:
    """A valid number in E.164; a number without `+`/`00` is read in `region` (the deployment's
    default region unless the caller knows the profile's country)."""
    text = _text(value, PHONE_MAX)
    if not text:
        return None
    return normalize_phone_number(text, region or settings.DEFAULT_PHONE_REGION)


def normalize_country(value: Any) -> str | None:
    text = _text(value, 100)
    if not text:
        return None
    return normalize_country_code(text)


_EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)  # excluded


def parse_iso_date(text: str) -> dt.date | None:
    """The date of an ISO 8601 date (`1990-01-29`) or date and time (`1990-01-29 00:00:00`,
    `1990-01-29T10:00:00Z`); None when `text` is neither."""
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    if len(text) < 16 or text[10] not in "T t":
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("z", "Z")).date()
    except ValueError:
        return None


def check_birth_date(date: dt.date) -> dt.date:
    if date <= _EARLIEST_BIRTH_DATE:
        raise InvalidValue("out_of_range", "must be after 1900-01-01")
    if date > dt.date.today():
        raise InvalidValue("out_of_range", "must not be in the future")
    return date


def normalize_birth_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return check_birth_date(value.date())
    if isinstance(value, dt.date):
        return check_birth_date(value)
    text = _text(value, 40)
    if not text:
        return None
    date = parse_iso_date(text)
    if date is None:
        raise InvalidValue("invalid_date", "must be a date as YYYY-MM-DD (or an ISO 8601 date and time)")
    return check_birth_date(date)


def normalize_sex(value: Any) -> int | None:
    if isinstance(value, bool):
        raise InvalidValue("invalid_choice", f"must be {SEX_CHOICES}")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        code = SEX_CODES.get(text, SEX_NAMES.get(text.upper()))
        if code is not None:
            return code
    elif isinstance(value, int) and value in (0, 1, 2, 3):
        return value
    raise InvalidValue("invalid_choice", f"must be {SEX_CHOICES}")


def normalize_anonymous_type(value: Any) -> str:
    text = _text(value, 16).lower()
    if text not in ANONYMOUS_TYPES:
        raise InvalidValue("invalid_choice", "must be anonymous or recognized")
    return text


def normalize_avatar_url(value: Any) -> str | None:
    text = _text(value, 2048)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        raise InvalidValue("invalid_url", "must be an absolute http(s) URL")
    return text


def normalize_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
    raise InvalidValue("invalid_boolean", "must be true or false")


@dataclass(frozen=True)
class StandardField:
    name: str
    column: str
    label: str
    section: str
    input_type: str
    normalize: Callable[[Any], Any]
    clearable: bool = True


STANDARD_FIELDS: tuple[StandardField, ...] = (
    StandardField("firstName", "first_name", "First name", "profile", "text", normalize_text),
    StandardField("lastName", "last_name", "Last name", "profile", "text", normalize_text),
    StandardField("displayName", "display_name", "Display name", "profile", "text", normalize_text),
    StandardField("city", "city", "City", "profile", "text", normalize_text),
    StandardField("province", "province", "Province", "profile", "text", normalize_text),
    StandardField("zipCode", "zip_code", "Zip code", "profile", "text", normalize_text),
    StandardField("address", "address", "Address", "profile", "text", normalize_text),
    StandardField("countryCode", "country_code", "Country", "profile", "country", normalize_country),
    StandardField("birthDate", "birth_date", "Birth date", "profile", "date", normalize_birth_date),
    StandardField("email", "email", "Email", "contact", "email", normalize_email),
    StandardField("phone", "phone", "Phone", "contact", "tel", normalize_phone),
    StandardField("customId", "custom_id", "Custom ID", "contact", "text", normalize_custom_id),
    StandardField("anonymousType", "anonymous_type", "Anonymous type", "other", "anonymous_type", normalize_anonymous_type, clearable=False),
    StandardField("avatarUrl", "avatar_url", "Avatar URL", "other", "url", normalize_avatar_url),
    StandardField("sex", "sex", "Sex", "other", "sex", normalize_sex),
)
FIELDS_BY_NAME = {f.name: f for f in STANDARD_FIELDS}
FIELDS_BY_COLUMN = {f.column: f for f in STANDARD_FIELDS}
IDENTIFIER_FIELDS = ("id", "email", "customId", "phone")
RESERVED_NAMES = frozenset(
    {f.name for f in STANDARD_FIELDS}
    | {f.column for f in STANDARD_FIELDS}
    | {"id", "tags", "agreements", "company", "companyId", "attributes", "version", "createdAt", "updatedAt",
       "addTags", "removeTags", "created_at", "updated_at", "company_id"}
)
