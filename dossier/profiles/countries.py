"""Country names and codes to ISO 3166-1 alpha-2, from the data of pycountry and Babel (CLDR).

A country arrives as `PL`, `POL`, `Poland`, `Polska`, `Republic of Poland` or `POLAND ` depending
on the system it was exported from. Every spelling either package knows is looked up the same
way: case, accents, punctuation and spacing ignored. The table is built on the first lookup that
is not a two-letter code (about a second), then kept for the life of the process.

The sources: pycountry's ISO 3166-1 alpha-2, alpha-3, names, official and common names, and its
translations of them into every language it carries; Babel's CLDR territory names in every
locale (the short forms people write: `Russia`, `South Korea`, `Россия`); pycountry's ISO 3166-2
subdivisions of type "Country" (`England`, `Scotland`, `Wales`, `Northern Ireland` are GB).
A spelling two sources give to different countries is left out rather than guessed, unless an
English name settles it. `FORMER_NAMES` adds the few spellings that are still everywhere in
older exports but that ISO and CLDR no longer list as names (they keep them only as alternates).
"""

import functools
import gettext
import os
import re
import unicodedata

import pycountry
from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers

from dossier.profiles.errors import InvalidValue

# ISO 3166/MA's "exceptionally reserved" UK, and English names ISO and CLDR have replaced
# (Türkiye, Côte d'Ivoire, Eswatini, North Macedonia, Myanmar, Timor-Leste, Cabo Verde) or list
# only as alternates (CLDR's "-alt-short" and "-alt-variant" forms, which Babel does not ship).
FORMER_NAMES = {
    "UK": "GB", "Great Britain": "GB", "Turkey": "TR", "Ivory Coast": "CI", "Swaziland": "SZ",
    "Macedonia": "MK", "Burma": "MM", "East Timor": "TL", "Cape Verde": "CV", "Holland": "NL",
    "Czech Republic": "CZ", "Vatican": "VA",
}
_PUNCTUATION = re.compile(r"[\W_]+")


def country_key(text: str) -> str:
    """`text` without case, accents, punctuation, spacing or a leading "the":
    `Côte d’Ivoire` -> `cotedivoire`, `The Netherlands` -> `netherlands`."""
    decomposed = unicodedata.normalize("NFKD", text)
    words = _PUNCTUATION.split("".join(c for c in decomposed if not unicodedata.combining(c)).casefold())
    words = [word for word in words if word]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return "".join(words)


ALPHA_2 = frozenset(country.alpha_2 for country in pycountry.countries)
_ALPHA_3 = {country.alpha_3: country.alpha_2 for country in pycountry.countries}


def normalize_country_code(text: str) -> str:
    """The ISO 3166-1 alpha-2 code `text` names; InvalidValue when it names no known country."""
    upper = text.upper()
    if upper in ALPHA_2:
        return upper
    code = _ALPHA_3.get(upper) or country_names().get(country_key(text))
    if code is None:
        raise InvalidValue("invalid_country", f"'{text}' is not a known country (give an ISO 3166 code such as PL, "
                                              "POL, or the country's name)")
    return code


@functools.cache
def country_names() -> dict[str, str]:
    """Every known spelling's `country_key` -> alpha-2 code (codes with dots, `U.S.A.`, included)."""
    english: dict[str, str] = {}
    for country in pycountry.countries:
        english[country.alpha_2.lower()] = english[country.alpha_3.lower()] = country.alpha_2  # U.S., U.S.A.
        for name in _names_of(country):
            english.setdefault(country_key(name), country.alpha_2)
    english_locale = Locale("en").territories
    for code in ALPHA_2:
        if code in english_locale:
            english.setdefault(country_key(english_locale[code]), code)
    for name, code in FORMER_NAMES.items():
        english[country_key(name)] = code
    others: dict[str, set[str]] = {}
    for name, code in _translated_names():
        others.setdefault(country_key(name), set()).add(code)
    names = {key: codes.pop() for key, codes in others.items() if len(codes) == 1 and key}
    names.update(english)
    names.pop("", None)
    return names


def _names_of(country) -> list[str]:
    return [n for n in (country.name, getattr(country, "official_name", None), getattr(country, "common_name", None)) if n]


def _translated_names():
    """(name, alpha-2) in every language pycountry and Babel carry."""
    countries = list(pycountry.countries)
    for language in sorted(os.listdir(pycountry.LOCALES_DIR)):
        try:
            catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in countries:
            for name in _names_of(country):
                yield catalog.gettext(name), country.alpha_2
    for subdivision in pycountry.subdivisions:
        if subdivision.type == "Country":
            yield subdivision.name.split(" [")[0], subdivision.country_code
    for identifier in locale_identifiers():
        if "_" in identifier:  # regional variants repeat their language's names
            continue
        try:
            territories = Locale.parse(identifier).territories
        except (UnknownLocaleError, ValueError):
            continue
        for code, name in territories.items():
            if code in ALPHA_2:
                yield name, code
