"""Fast, realistic data for scenarios that need existing profiles or events.

Rows go straight into the tables (COPY on PostgreSQL, `executemany` on SQLite), not through the
change service: a million profiles take seconds, and the bench measures the code under test, not
the seeding. Seeded profiles carry no `profile.created` events, so `dossier verify` does not apply
to a bench database.

Values are passed as text both databases parse themselves: ids as 32-digit hex (Django's UUID
storage on SQLite, valid uuid input on PostgreSQL), times as ISO text, JSON as dumped text.
"""

import datetime as dt
import json
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from django.db import connection, transaction

FIRST_NAMES = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Zofia", "Julia", "Maja",
    "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub", "Adam", "Łukasz",
    "Emma", "Olivia", "Sophie", "Lena", "Hannah", "Lucas", "Noah", "Liam", "Felix", "David",
)
LAST_NAMES = (
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
    "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk",
    "Müller", "Schmidt", "Schneider", "Fischer", "Smith", "Johnson", "Brown", "Taylor", "Martin", "Bernard",
)
CITIES = (  # (city, province, zip prefix, country); the first ones are the most frequent
    ("Warszawa", "mazowieckie", "00", "PL"), ("Kraków", "małopolskie", "30", "PL"),
    ("Wrocław", "dolnośląskie", "50", "PL"), ("Łódź", "łódzkie", "90", "PL"),
    ("Poznań", "wielkopolskie", "60", "PL"), ("Gdańsk", "pomorskie", "80", "PL"),
    ("Szczecin", "zachodniopomorskie", "70", "PL"), ("Bydgoszcz", "kujawsko-pomorskie", "85", "PL"),
    ("Lublin", "lubelskie", "20", "PL"), ("Białystok", "podlaskie", "15", "PL"),
    ("Katowice", "śląskie", "40", "PL"), ("Gdynia", "pomorskie", "81", "PL"),
    ("Częstochowa", "śląskie", "42", "PL"), ("Radom", "mazowieckie", "26", "PL"),
    ("Rzeszów", "podkarpackie", "35", "PL"), ("Toruń", "kujawsko-pomorskie", "87", "PL"),
    ("Kielce", "świętokrzyskie", "25", "PL"), ("Olsztyn", "warmińsko-mazurskie", "10", "PL"),
    ("Opole", "opolskie", "45", "PL"), ("Zielona Góra", "lubuskie", "65", "PL"),
    ("Berlin", "Berlin", "10", "DE"), ("München", "Bayern", "80", "DE"),
    ("Praha", "Praha", "11", "CZ"), ("Wien", "Wien", "10", "AT"),
)
CITY_WEIGHTS = tuple(1 / (rank + 1) ** 0.8 for rank in range(len(CITIES)))
TAGS = ("newsletter", "customer", "vip", "b2b", "lead", "churn-risk", "loyalty-gold", "loyalty-silver",
        "webinar-2024", "mobile-app", "returning", "event-attendee")
TAG_WEIGHTS = (0.45, 0.4, 0.05, 0.12, 0.25, 0.06, 0.04, 0.1, 0.08, 0.2, 0.3, 0.07)
PLANS = ("free", "starter", "pro", "enterprise")
SEED_TIME = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.timezone.utc)
SEED_SPAN_MINUTES = 2_000_000

PROFILE_COLUMNS = (
    "id", "email", "custom_id", "phone", "first_name", "last_name", "display_name", "city", "province",
    "zip_code", "address", "country_code", "birth_date", "sex", "anonymous_type", "avatar_url",
    "agreement_email", "agreement_sms", "agreement_push", "agreement_web_push", "company_id", "attributes",
    "version", "created_at", "updated_at",
)
EVENT_COLUMNS = ("profile_id", "type", "time", "source", "actor", "job_id", "caused_by_id", "request_id", "params")
CHUNK = 20_000


@dataclass
class SeededProfiles:
    """What a scenario needs to address the seeded profiles again: ids (hex) and emails, in seed order."""

    ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


def db_time(moment: dt.datetime) -> str:
    """A timestamp as the database stores it: naive UTC text on SQLite, with its offset on PostgreSQL."""
    utc = moment.astimezone(dt.timezone.utc)
    if connection.vendor == "sqlite":
        return utc.replace(tzinfo=None).isoformat(sep=" ")
    return utc.isoformat(sep=" ")


def email_for(number: int) -> str:
    """The email of the seeded profile `number` (and of the new profiles scenarios send)."""
    return f"{FIRST_NAMES[number % len(FIRST_NAMES)].lower()}.{number}@bench.example.com".replace("ł", "l")


def created_for(number: int) -> dt.datetime:
    """Seeded profiles arrive a minute apart over the years before SEED_TIME, the highest number last."""
    return SEED_TIME - dt.timedelta(minutes=SEED_SPAN_MINUTES - number)


def profile_row(number: int, rng: random.Random) -> tuple:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    last = rng.choice(LAST_NAMES)
    city, province, zip_prefix, country = rng.choices(CITIES, CITY_WEIGHTS)[0]
    attributes = {"plan": rng.choice(PLANS), "score": rng.randrange(100), "newsletterOptIn": rng.random() < 0.6}
    if rng.random() < 0.3:
        attributes["lastOrderDate"] = f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return (
        uuid.UUID(int=rng.getrandbits(128), version=4).hex, email_for(number), f"CRM-{number:08d}",
        f"+4860{number % 10_000_000:07d}", first, last, None, city, province,
        f"{zip_prefix}-{rng.randrange(1000):03d}", f"ul. Polna {rng.randrange(1, 200)}", country,
        f"{rng.randrange(1950, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        rng.choice((0, 1, 2)), "recognized", None,
        rng.random() < 0.6, rng.random() < 0.3, rng.random() < 0.2, False, None,
        json.dumps(attributes), 1, *([db_time(created_for(number))] * 2),
    )


def seed_profiles(count: int, *, start: int = 0, seed: int = 7, with_tags: bool = True,
                  sqlite_cache_mb: int = 0) -> SeededProfiles:
    """Insert profiles number `start` to `start + count - 1`, each with 0-3 tags, and commit.

    Profile `n` always gets email `email_for(n)` and custom id `CRM-<n>`, so a scenario can name
    seeded profiles (and new ones beyond them) without reading them back. `sqlite_cache_mb` lends
    SQLite a larger page cache while seeding (a million profiles: about 1024 MB halves the time),
    at the price of this process's peak memory: not for scenarios that report their own.
    """
    rng = random.Random(seed + start)
    seeded = SeededProfiles()
    tag_ids = ensure_tags(TAGS) if with_tags else {}
    with sqlite_cache(sqlite_cache_mb * 1024):
        for chunk_start in range(start, start + count, CHUNK):
            _seed_chunk(seeded, rng, range(chunk_start, min(chunk_start + CHUNK, start + count)), tag_ids)
    if connection.vendor == "postgresql":
        # What autovacuum would do within a minute of a bulk load: without statistics the planner
        # takes a million rows for a few hundred and picks plans no production database would.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE profiles_profile, profiles_profiletag")
    return seeded


def expect_seeded(count: int) -> None:
    """Stop a scenario registered with `seeded=` whose database does not hold the seeded profiles."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM profiles_profile")
        found = cursor.fetchone()[0]
    if found != count:
        raise RuntimeError(f"the scenario expects the {count:,} seeded profiles; its database holds {found:,}")


def _seed_chunk(seeded: SeededProfiles, rng: random.Random, numbers: range, tag_ids: dict[str, int]) -> None:
    rows = [profile_row(n, rng) for n in numbers]
    links = []
    for row in rows if tag_ids else ():
        for tag, weight in zip(TAGS, TAG_WEIGHTS):
            if rng.random() < weight * 0.5:
                links.append((row[0], tag_ids[tag]))
    with transaction.atomic():
        insert_raw("profiles_profile", PROFILE_COLUMNS, rows)
        insert_raw("profiles_profiletag", ("profile_id", "tag_id"), links)
    seeded.ids.extend(row[0] for row in rows)
    seeded.emails.extend(row[1] for row in rows)


@contextmanager
def sqlite_cache(kilobytes: int) -> Iterator[None]:
    """A larger SQLite page cache for a while; the configured size is restored afterwards."""
    if connection.vendor != "sqlite" or not kilobytes:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kilobytes)}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def ensure_tags(names: tuple[str, ...]) -> dict[str, int]:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("INSERT INTO profiles_tag (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", [name])
        cursor.execute("SELECT name, id FROM profiles_tag")
        return dict(cursor.fetchall())


def seed_events(profile_id: str, count: int, *, seed: int = 11) -> None:
    """Give one profile `count` events over the past year: page views, email activity, form posts, edits."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        moment = db_time(SEED_TIME - dt.timedelta(minutes=53 * (count - n)))
        kind = rng.random()
        if kind < 0.55:
            row = ("page.view", "api", "apikey:website", {"url": f"https://shop.example.com/p/{rng.randrange(500)}"})
        elif kind < 0.8:
            row = ("email.open", "api", "apikey:mailer", {"campaign": f"spring-{rng.randrange(20)}"})
        elif kind < 0.9:
            row = ("form.submit", "form", "form:contact", {"message": "Please call me back about the offer."})
        else:
            row = ("profile.updated", "ui", "user:maria", {"changes": [
                {"attribute": "city", "old": rng.choice(CITIES)[0], "new": rng.choice(CITIES)[0]}]})
        type_, source, actor, params = row
        rows.append((profile_id, type_, moment, source, actor, None, None, "", json.dumps(params)))
    with transaction.atomic():
        insert_raw("activity_event", EVENT_COLUMNS, rows)


def insert_raw(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
