"""What a column's header means: the alias table of the exports users bring, in one place.

A header is reduced to its words, without case, accents, punctuation or numbering (`E-mail 1 -
Value`, `Emails 1 Email`, `emailAddress` and `EMAIL_ADDRESS` are read as the words they spell),
then looked up in `HEADER_ALIASES`. When several columns mean the same field (Outlook's `Mobile
Phone`, `Home Phone`, `Business Phone`), the first column fills it and the others are reported as
not imported, naming it; a rank puts the columns that hold the field in a weaker form (a
formatted address, a business phone, a bare `Id`) after the others.

The table covers the contact exports of Google Contacts, Outlook, Mailchimp, HubSpot,
Salesforce, Klaviyo, Shopify, Mautic, CiviCRM, OroCRM and Synerise; the README lists it
("Importing from other systems"). A header that means something Dossier keeps differently is
named in `NOT_IMPORTED` with the reason.
"""

import re
import unicodedata

# (target, rank): lower ranks win. Keys are `header_key` forms.
HEADER_ALIASES: dict[str, tuple[str, int]] = {}


def _alias(target: str, rank: int, *headers: str) -> None:
    for header in headers:
        HEADER_ALIASES[header_key(header)] = (target, rank)


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Words that say which part of a repeated group a column is, not what it holds: Google's
# `E-mail 1 - Value`, Outlook's `E-mail 2 Address` keep the field's own words.
_GROUP_SUFFIXES = ("value",)


def header_words(header: str) -> list[str]:
    """The words a header spells, lower-case and unaccented, numbers dropped."""
    decomposed = unicodedata.normalize("NFKD", header)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = [w for w in _NON_WORD.split(_CAMEL.sub(" ", plain).lower()) if w and not w.isdigit()]
    if len(words) > 1 and words[-1] in _GROUP_SUFFIXES:
        words = words[:-1]
    return words


def header_key(header: str) -> str:
    return "".join(header_words(header))


# --- the table --------------------------------------------------------------------------------

_alias("email", 0, "email", "e-mail", "email address", "e-mail address", "mail", "primary email", "emails email",
       "email_address", "personal email", "home email", "email 1")
_alias("email", 2, "work email", "business email", "other email")
_alias("phone", 1, "mobile", "mobile phone", "mobile phone number", "mobile number", "cell", "cell phone", "cellular",
       "mobilephone", "phone mobile", "sms phone number", "phone", "phone number", "telephone", "telephone number", "tel", "primary phone", "phones phone",
       "phone_number", "contact phone")
_alias("phone", 2, "home phone", "other phone", "personal phone")
_alias("phone", 3, "business phone", "work phone", "company main phone", "default address phone", "office phone")
_alias("firstName", 0, "first name", "firstname", "first_name", "given name", "givenname", "forename", "fname",
       "first")
_alias("lastName", 0, "last name", "lastname", "last_name", "surname", "family name", "familyname", "lname", "last")
_alias("displayName", 1, "display name", "displayname", "display_name", "name", "full name", "fullname",
       "contact name", "file as")
_alias("city", 0, "city", "town", "locality", "address city", "primary address city", "default address city",
       "city town")
_alias("city", 1, "home city", "mailing city", "shipping city", "billing city")
_alias("city", 2, "business city", "other city")
_alias("province", 0, "province", "state", "region", "state region", "state province", "state/province",
       "address region", "primary address region", "default address province", "province name", "voivodeship")
_alias("province", 1, "county", "home state", "mailing state", "mailing state province", "province code",
       "default address province code", "state code", "billing state", "shipping state")
_alias("province", 2, "business state", "other state")
_alias("zipCode", 0, "zip", "zip code", "zipcode", "zip_code", "postcode", "post code", "postal code", "zip postal code",
       "address postal code", "primary address zip postal code", "default address zip", "plz")
_alias("zipCode", 1, "home postal code", "mailing zip postal code", "mailing postal code", "postal",
       "billing zip", "shipping zip")
_alias("zipCode", 2, "business postal code", "other postal code")
_alias("address", 0, "street", "street address", "address line", "address line 1", "address street",
       "primary address street", "default address address", "street 1", "address 1")
_alias("address", 1, "address", "home street", "mailing street", "billing address", "shipping address")
_alias("address", 2, "business street", "other street", "address formatted")
_alias("countryCode", 0, "country", "country code", "countrycode", "country_code", "country region", "country/region",
       "address country", "primary address country", "primary address country iso2 code",
       "default address country code", "country iso code", "nation")
_alias("countryCode", 1, "cc", "country name", "home country region", "mailing country", "default address country",
       "billing country", "shipping country", "country id")
_alias("countryCode", 2, "business country region", "other country region")
_alias("birthDate", 0, "birth date", "birthdate", "birth_date", "birthday", "date of birth", "dob", "birth day")
_alias("sex", 0, "sex", "gender")
_alias("customId", 1, "custom id", "customid", "custom_id", "custom identify", "custom_identify", "external id",
       "external identifier", "externalid", "external_id", "customer id", "contact id", "record id", "client id", "user id", "member id", "subscriber id",
       "klaviyo id", "person id", "lead id", "account number", "customer number")
_alias("customId", 2, "id", "uuid", "_id")
_alias("avatarUrl", 0, "avatar", "avatar url", "avatarurl", "avatar_url", "external avatar url", "photo url",
       "profile picture url", "image url")
_alias("avatarUrl", 1, "photo", "picture", "profile picture", "image")
_alias("anonymousType", 0, "anonymous type", "anonymous_type", "anonymoustype")
_alias("tags", 0, "tags", "tag", "add tags", "addtags")
_alias("tags", 1, "labels", "group membership", "segments")
_alias("company", 0, "company", "company name", "organization", "organisation", "organization name",
       "organisation name", "account name", "account")
_alias("company", 1, "employer", "current employer", "default address company", "business name")
_alias("agreements.email", 0, "newsletter agreement", "newsletter_agreement", "accepts email marketing",
       "accepts marketing", "email marketing consent", "email consent", "email opt in", "email optin",
       "newsletter", "agreement email", "agreements email", "email subscription", "subscribed to newsletter")
_alias("agreements.sms", 0, "receive smses", "receive_smses", "accepts sms marketing", "sms consent",
       "sms marketing consent", "sms opt in", "agreement sms", "agreements sms")
_alias("agreements.push", 0, "receive push messages", "receive_push_messages", "push consent", "agreement push",
       "agreements push", "mobile push consent")
_alias("agreements.webPush", 0, "receive webpush messages", "receive_webpush_messages", "web push consent",
       "agreement web push", "agreements web push", "agreement webpush", "agreements webpush")

# Headers that hold something Dossier keeps differently: not imported, and the reason says why.
NOT_IMPORTED: dict[str, str] = {
    header_key(h): reason for reason, headers in {
        "an opt-out (true means no consent); Dossier keeps consents: map a consent column, or keep it with "
        "--keep-unmapped": ("do not email", "email opt out", "has opted out of email", "do not phone", "do not sms",
                            "sms opt out", "do not mail", "unsubscribed", "opted out", "do not call", "do not trade"),
    }.items() for h in headers
}


def alias_of(header: str) -> tuple[str, int] | None:
    """(target, rank) of a header the table knows; None otherwise."""
    return HEADER_ALIASES.get(header_key(header))


def attribute_name_for(header: str) -> str:
    """A custom attribute's name made from a header: `MEMBER_RATING` -> `memberRating`,
    `Phone 2 - Type` -> `phone2Type` (numbers kept: they tell repeated columns apart)."""
    decomposed = unicodedata.normalize("NFKD", header)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = [w for w in _NON_WORD.split(_CAMEL.sub(" ", plain).lower()) if w]
    if not words:
        return ""
    name = words[0] + "".join(w.capitalize() for w in words[1:])
    if not name[0].isalpha():
        name = "column" + name[0].upper() + name[1:]
    return name[:64]
