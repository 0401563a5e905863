"""Dates as exports write them, read without guessing.

A date column of an import is read as ISO 8601 (`1990-01-29`, `1990-01-29 00:00:00`), with the
`strptime` format the user gives (`%m/%d/%Y`), or in the order its own values prove: a column of
`1/29/1933` and `3/4/1950` is month/day/year because 29 cannot be a month. `DateColumnScan`
watches a whole column go by (in constant memory) and says which orders its values allow; a
column whose values fit both day/month and month/day (`01/02/1990` and nothing to tell) is
ambiguous, and the import refuses it with a message that asks for the format.

A two-digit year (`29/01/33`) is read as the latest year ending in those digits that is not in
the future for a birth date (1933), and as `strptime` reads `%y` for other dates (69-99 are
19xx, 00-68 20xx). Outlook's `0/0/00` is its way of writing no date: an empty cell.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from dossier.profiles.errors import InvalidValue
from dossier.profiles.fields import parse_iso_date

DMY, MDY, YMD = "day/month/year", "month/day/year", "year/month/day"
ORDERS = (DMY, MDY, YMD)
ISO = "ISO 8601"
EMPTY_DATES = frozenset({"0/0/00", "0/0/0000", "00/00/0000", "00.00.0000", "0000-00-00"})
_NUMERIC = re.compile(r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})$")
_TIME = re.compile(r"[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$")
_NAMED_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y", "%B %d, %Y",
                  "%d %b, %Y", "%d. %B %Y", "%Y%m%d")


def date_part(text: str) -> str:
    """`text` without a time of day after its date (`1/29/1933 0:00` -> `1/29/1933`)."""
    return _TIME.sub("", text).strip()


def _orders_of(text: str) -> tuple[set[str], bool] | None:
    """The orders that read `text` as a real date, and whether they read different dates;
    None when it is not a numeric date."""
    match = _NUMERIC.match(text)
    if match is None:
        return None
    first, _, second, third = match.groups()
    if len(first) == 4:
        return ({YMD} if _real(int(first), int(second), int(third)) else set()), False
    if len(first) > 2 or len(third) not in (2, 4):
        return set(), False
    year = int(third) if len(third) == 4 else 2000
    a, b = int(first), int(second)
    orders = {order for order, (day, month) in ((DMY, (a, b)), (MDY, (b, a))) if _real(year, month, day)}
    return orders, a != b


def _real(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _named_date(text: str) -> dt.date | None:
    for fmt in _NAMED_FORMATS:
        try:
            return dt.datetime.strptime(text.replace(",", ", ").replace(",  ", ", "), fmt).date()
        except ValueError:
            continue
    return None


@dataclass
class DateColumnScan:
    """What the values of one date column allow, learned one value at a time."""

    orders: set[str] = field(default_factory=lambda: {DMY, MDY, YMD})
    numeric: int = 0  # values written as numbers and separators
    telling: bool = False  # some value reads as two different dates in the orders still allowed
    unreadable: int = 0
    example: str = ""  # a value that reads both ways, for the message

    def add(self, text: str) -> None:
        text = date_part(text.strip())
        if not text or text in EMPTY_DATES or parse_iso_date(text) is not None:
            return
        reading = _orders_of(text)
        if reading is None:
            if _named_date(text) is None:
                self.unreadable += 1
            return
        orders, differ = reading
        self.numeric += 1
        if not orders:
            self.unreadable += 1
            return
        if self.orders & orders:
            self.orders &= orders
        else:
            self.orders = set()  # day/month and month/day mixed: no single order reads the column
        if differ and {DMY, MDY} <= orders:
            self.telling = True
            self.example = self.example or text

    def decision(self) -> tuple[str | None, str | None]:
        """(order, problem): the order that reads the column's numeric dates, or why there is none."""
        if self.numeric == 0:
            return ISO, None
        if not self.orders:
            return None, "mixes day/month/year and month/day/year dates"
        if {DMY, MDY} <= self.orders and self.telling:
            return None, f"has dates such as {self.example!r} that read as day/month or as month/day, and no value tells which"
        for order in (YMD, DMY, MDY):  # DMY before MDY: the same date either way when the columns never differ
            if order in self.orders:
                return order, None
        return ISO, None


def _year(text: str, birth_date: bool) -> int:
    if len(text) == 4:
        return int(text)
    short = int(text)
    if birth_date:
        this_year = dt.date.today().year
        year = this_year - (this_year - short) % 100
        return year
    return 1900 + short if short >= 69 else 2000 + short


def read_date(text: str, *, order: str | None, fmt: str | None, birth_date: bool) -> dt.date | None:
    """The date a cell holds, read as ISO 8601 or in the column's order or format; None for an
    empty date; InvalidValue naming what was expected otherwise."""
    text = text.strip()
    if not text or date_part(text) in EMPTY_DATES:
        return None
    iso = parse_iso_date(text)
    if iso is not None:
        return iso
    if fmt is not None:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            try:
                parsed = dt.datetime.strptime(date_part(text), fmt)
            except ValueError:
                raise InvalidValue("invalid_date", f"does not match the date format {fmt}") from None
        date = parsed.date()
        if birth_date and "%y" in fmt and date > dt.date.today():
            date = date.replace(year=date.year - 100)
        return date
    plain = date_part(text)
    match = _NUMERIC.match(plain)
    if match is not None and order in (DMY, MDY, YMD):
        first, _, second, third = match.groups()
        if order == YMD and len(first) == 4:
            year, month, day = int(first), int(second), int(third)
        elif order != YMD and len(first) <= 2 and len(third) in (2, 4):
            a, b = int(first), int(second)
            day, month = (a, b) if order == DMY else (b, a)
            year = _year(third, birth_date)
        else:
            raise InvalidValue("invalid_date", f"is not a date written {order} as the rest of the column")
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise InvalidValue("invalid_date", f"is not a real date when read {order}") from None
    named = _named_date(plain) if match is None else None
    if named is not None:
        return named
    expected = f"a date written {order}" if order in (DMY, MDY, YMD) else "a date as YYYY-MM-DD"
    raise InvalidValue("invalid_date", f"is not {expected}")


def read_datetime(text: str, *, order: str | None, fmt: str | None) -> dt.datetime | str | None:
    """A datetime attribute's cell: ISO 8601 text as it is (the attribute's coercion reads it), or
    the date in the column's order or format at midnight, with the time of day when written."""
    text = text.strip()
    if not text or date_part(text) in EMPTY_DATES:
        return None
    if fmt is not None:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            raise InvalidValue("invalid_datetime", f"does not match the format {fmt}") from None
    plain = date_part(text)
    if parse_iso_date(text) is not None:
        return text
    date = read_date(plain, order=order, fmt=None, birth_date=False)
    clock = text[len(plain):].strip(" T")
    moment = dt.datetime.combine(date, dt.time())
    if clock:
        for pattern in ("%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p"):
            try:
                moment = dt.datetime.combine(date, dt.datetime.strptime(clock.upper(), pattern).time())
                break
            except ValueError:
                continue
        else:
            raise InvalidValue("invalid_datetime", "has a time of day that cannot be read")
    return moment


def check_format(fmt: str) -> str | None:
    """Why `fmt` cannot be a date format, or None when it can."""
    if not isinstance(fmt, str) or not fmt or len(fmt) > 64:
        return "a date format is strptime text such as %m/%d/%Y"
    if "%" not in fmt:
        return "a date format names its parts with %: %d day, %m month, %Y or %y year, %b month name"
    try:
        dt.datetime(2001, 2, 3, 4, 5, 6).strftime(fmt)
    except ValueError:
        return "not a valid strptime format"
    if not any(part in fmt for part in ("%Y", "%y")) or "%d" not in fmt or not any(p in fmt for p in ("%m", "%b", "%B")):
        return "a date format needs a day (%d), a month (%m, %b or %B) and a year (%Y or %y)"
    return None
