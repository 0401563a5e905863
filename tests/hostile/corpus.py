"""Hostile input, named. Raw JSON is kept as bytes where Python's json module could not write it
(lone surrogates, numbers past float range, invalid UTF-8, nesting past the parser's limit)."""

import json

SQL_INJECTION = "x' OR 1=1--"
SQL_DROP = "Robert'); DROP TABLE profiles_profile;--"
HUGE_INTEGER = "1" + "0" * 400          # 10**400: a valid JSON number, past every column type
BEYOND_INT_DIGITS = "1" + "0" * 5000    # past Python's 4300-digit limit for reading an integer
BEYOND_FLOAT = "1e309"                  # read by Python as infinity
NUL = "\x00"
LONE_SURROGATE = "\\ud800"              # as written in JSON text
RLO = "\u202e"                          # RIGHT-TO-LEFT OVERRIDE: makes "\u202egnp.exe" show as "exe.png"
TEN_MB = 10 * 1024 * 1024


def nested(depth: int) -> bytes:
    """A JSON array nested `depth` levels deep."""
    return b"[" * depth + b"]" * depth


def raw(text: str) -> bytes:
    return text.encode()


def ten_megabytes_in(field: str) -> bytes:
    return b'{"' + field.encode() + b'": "' + b"a" * TEN_MB + b'"}'


def body(data) -> bytes:
    return json.dumps(data).encode()
