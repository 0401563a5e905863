"""A realistic demo data set, written through the change service like any other data."""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from dossier.activity.services import NewEvent, record_events
from dossier.profiles.attributes import AttributeRegistry
from dossier.profiles.changes import ChangeContext, Identity, WriteItem, apply_writes
from dossier.profiles.models import AttributeDefinition, Company
from dossier.profiles.writes import parse_write

FIRST = ["Anna", "Piotr", "Maria", "Jan", "Katarzyna", "Tomasz", "Olivia", "Liam", "Emma", "Noah", "Zofia",
         "Jakub", "Sofia", "Lucas", "Mia", "Aleksander", "Julia", "Mateusz", "Ewa", "Marek", "Hanna", "Oskar"]
LAST = ["Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Smith", "Johnson", "Müller", "García", "Rossi", "Dubois",
        "Kamińska", "Lewandowski", "Zielińska", "Szymański", "Brown", "Taylor", "Novák", "Jensen"]
CITIES = [("Warsaw", "Masovian", "PL"), ("Kraków", "Lesser Poland", "PL"), ("Gdańsk", "Pomeranian", "PL"),
          ("Wrocław", "Lower Silesian", "PL"), ("Berlin", "Berlin", "DE"), ("London", "England", "GB"),
          ("Paris", "Île-de-France", "FR"), ("Prague", "Prague", "CZ"), ("Madrid", "Madrid", "ES")]
TAGS = ["vip", "newsletter", "churn-risk", "b2b", "loyalty-gold", "loyalty-silver", "app-user", "webinar-2026"]
COMPANIES = ["Acme Retail", "Northwind", "Globex", "Initech", "Umbrella Foods", "Stark Logistics", "Wayne Media",
             "Soylent Labs", "Hooli", "Vandelay Imports"]
EVENT_TYPES = ["page.visit", "product.view", "cart.add", "transaction.charge", "email.open", "push.click"]
ATTRIBUTES = [("loyaltyPoints", "integer", "Loyalty points"), ("plan", "text", "Plan"),
              ("lifetimeValue", "number", "Lifetime value"), ("lastOrderAt", "datetime", "Last order at"),
              ("interests", "list", "Interests"), ("vatPayer", "boolean", "VAT payer")]


def load_demo(count: int = 3000, seed: int = 42) -> int:
    rng = random.Random(seed)
    for name, type_, label in ATTRIBUTES:
        AttributeDefinition.objects.get_or_create(name=name, defaults={"type": type_, "label": label})
    companies = [Company.objects.get_or_create(name=name, defaults={"domain": name.lower().replace(" ", "") + ".example"})[0]
                 for name in COMPANIES]
    ctx = ChangeContext(source="import", actor="user:demo")
    registry = AttributeRegistry.load()
    created_ids = []
    for start in range(0, count, 500):
        items = []
        for n in range(start, min(count, start + 500)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, province, country = rng.choice(CITIES)
            values = {
                "firstName": first, "lastName": last, "city": city, "province": province, "countryCode": country,
                "sex": rng.choice([0, 1, 2]),
                "birthDate": (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))).isoformat(),
                "phone": f"+48 5{rng.randrange(10**7, 10**8)}",
                "attributes.loyaltyPoints": rng.randrange(0, 5000),
                "attributes.plan": rng.choice(["free", "basic", "pro", "enterprise"]),
                "attributes.lifetimeValue": round(rng.uniform(0, 3000), 2),
                "attributes.interests": rng.sample(["running", "cooking", "travel", "books", "gaming", "design"], 2),
                "agreements.email": rng.random() < 0.6, "agreements.sms": rng.random() < 0.3,
                "agreements.push": rng.random() < 0.4, "agreements.webPush": rng.random() < 0.2,
            }
            if rng.random() < 0.85:
                values["email"] = f"{first}.{last}.{n}@example.com".lower()
            if rng.random() < 0.5:
                values["customId"] = f"C{100000 + n}"
            if rng.random() < 0.3:
                values["companyId"] = str(rng.choice(companies).id)
            write, errors = parse_write(values, registry=registry, add_tags=rng.sample(TAGS, rng.randrange(0, 3)))
            assert not errors, errors
            items.append(WriteItem(n, None, write))
        results = apply_writes(items, ctx, registry=registry)
        created_ids += [r.id for r in results if r.status == "created"]
    _activity(rng, created_ids[: max(1, len(created_ids) // 3)], registry)
    return len(created_ids)


def _activity(rng: random.Random, profile_ids: list, registry: AttributeRegistry) -> None:
    """Tracked events and a few later edits, so the activity lists have something to show."""
    now = timezone.now()
    events = []
    for profile_id in profile_ids:
        for _ in range(rng.randrange(1, 6)):
            type_ = rng.choice(EVENT_TYPES)
            params = {"url": f"https://shop.example/p/{rng.randrange(1000)}"} if "view" in type_ or "visit" in type_ else {}
            if type_ == "transaction.charge":
                params = {"amount": round(rng.uniform(5, 500), 2), "currency": "PLN"}
            events.append(NewEvent(profile_id=profile_id, type=type_, time=now - dt.timedelta(minutes=rng.randrange(60 * 24 * 90)),
                                   source="api", actor="apikey:demo-tracker", params=params))
    with transaction.atomic():
        record_events(events)
    items = []
    for index, profile_id in enumerate(profile_ids[:200]):
        write, _ = parse_write({"city": rng.choice(CITIES)[0], "attributes.vatPayer": rng.random() < 0.5},
                               registry=registry, add_tags=["newsletter"])
        items.append(WriteItem(index, Identity("id", profile_id), write, create=False))
    apply_writes(items, ChangeContext(source="ui", actor="user:admin"), registry=registry)
