"""Hostile import files, built here so every door is tested on the same bytes."""

import json

BOB_NOTE = 'said "hi";\nthen left'


def _csv(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    def cell(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + newline for row in rows)


PEOPLE = [
    ["E-mail", "first_name", "Last Name", "city", "note"],
    ["ann@example.com", "Ann", "O'Neil", "Warsaw", ""],
    ["bob@example.com", "Bob", "", "", BOB_NOTE],
]
NOTE_AS_ATTRIBUTE = {"mapping": {"note": "attributes.note"}}

BOM_SEMICOLON_CRLF = b"\xef\xbb\xbf" + _csv(PEOPLE, ";", "\r\n").encode()
TABS = _csv(PEOPLE, "\t").encode()
PIPES = _csv(PEOPLE, "|").encode()
QUOTED = ('"E-mail","first_name","Last Name","city","note"\n'
          '"ann@example.com","Ann","O\'Neil","Warsaw",""\n'
          '"bob@example.com","Bob","","","said ""hi"";\nthen left"\n').encode()

INVALID_CELLS = _csv([
    ["email", "birthDate", "sex", "score"],
    ["good@example.com", "1980-05-12", "FEMALE", "12"],
    ["not-an-email", "1980-13-05", "5", "3"],
    ["future@example.com", "2999-01-01", "1", "many"],
]).encode()

RAGGED = _csv([
    ["email", "city", "lastName"],
    ["a@example.com", "Oslo", "Aa"],
    ["b@example.com", "Oslo", "Bb", "extra"],
    ["c@example.com", "Oslo", "Cc"],
    ["d@example.com", "Oslo"],
]).encode()

HUGE_CELL = _csv([["email", "city"], ["a@example.com", "x" * 100_000], ["b@example.com", "Oslo"]]).encode()

LATIN1 = "email,city\na@example.com,Oslo\nb@example.com,Bogotá\n".encode("latin-1")
BINARY_JUNK = bytes(range(256)) * 40
UTF16 = "email,city\na@example.com,Oslo\n".encode("utf-16")

JSON_LINES = "\n".join([
    json.dumps({"email": "ann@example.com", "firstName": "Ann", "sex": 2, "attributes": {"score": 7},
                "agreements": {"email": True}, "tags": ["vip"]}),
    json.dumps({"email": "bob@example.com", "city": "Oslo"}),
    '{"email": "broken@example.com", ',
    json.dumps({"email": "nope", "city": "Rome"}),
    "",
]).encode()


def mixed_rows(count: int, *, start: int = 0, bad_every: int = 0) -> bytes:
    """`count` rows of new profiles; with `bad_every`, every n-th row has an invalid email and sex."""
    cities = ("Warsaw", "Kraków", "Gdańsk", "Berlin", "Praha")
    lines = ["email,firstName,lastName,city,countryCode,birthDate,sex,loyalty,tags"]
    for n in range(start, start + count):
        if bad_every and n % bad_every == bad_every - 1:
            lines.append(f"broken-{n},Bad,Row,Nowhere,XX,1980-13-45,7,x,")
            continue
        lines.append(f"person.{n}@example.com,Name{n % 97},Surname{n % 89},{cities[n % 5]},PL,"
                     f"19{50 + n % 50}-0{1 + n % 9}-1{n % 9},{n % 3},{n % 1000},{'vip' if n % 10 == 0 else ''}")
    return ("\n".join(lines) + "\n").encode()
