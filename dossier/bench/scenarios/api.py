"""The API scenarios over real HTTP: batch add-or-update and single PATCH with 16 clients (SPEC §10).

Both run against the production server `dossier run` starts (gunicorn, its worker settings),
from keep-alive clients in threads of this process.
"""

import json
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from dossier.bench import measure
from dossier.bench.ceilings import (bare_event, bare_single_updates, bare_upserts_with_events, clone_event_table,
                                    clone_profile_table, drop_table)
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.seed import CITIES, FIRST_NAMES, LAST_NAMES, SEED_TIME, db_time, email_for, seed_profiles
from dossier.bench.server import KeepAliveClient, api_key_header, running_server

BATCH = 1000
BATCH_CLIENTS = 4
PATCH_CLIENTS = 16
PATCH_PROFILES = 10_000


@scenario("api-batch")
def api_batch(ctx: BenchContext) -> Measurement:
    """ctx.size(100) requests of 1000 profiles to POST /profiles/batch: half new, half updates."""
    requests = ctx.size(100)
    half = BATCH // 2
    existing = requests * half
    seed_profiles(existing)
    rng = random.Random(3)
    bodies, ceiling_chunks = [], []
    event_id = 0
    for r in range(requests):
        items, rows, events = [], [], []
        for n in range(r * half, (r + 1) * half):
            city = rng.choice(CITIES)[0]
            items.append({"email": email_for(n), "city": city, "attributes": {"score": 100 + rng.randrange(1000)}})
            rows.append(_bare_row(n, rng, city, items[-1]["attributes"]))
        for n in range(existing + r * half, existing + (r + 1) * half):
            city = rng.choice(CITIES)[0]
            items.append(_new_item(n, rng, city))
            rows.append(_bare_row(n, rng, city, items[-1]["attributes"]))
        for position, (item, row) in enumerate(zip(items, rows)):
            event_id += 1
            kind = "profile.updated" if position < half else "profile.created"
            changes = [{"attribute": name, "old": None, "new": value} for name, value in item.items()]
            events.append(bare_event(event_id, row[0], kind, row[-1], changes, source="api"))
        bodies.append(json.dumps(items).encode())
        ceiling_chunks.append((rows, events))

    table, event_table = clone_profile_table(), clone_event_table()
    ceiling_seconds = bare_upserts_with_events(table, event_table, iter(ceiling_chunks), ("city", "attributes"))
    drop_table(table)
    drop_table(event_table)

    headers = api_key_header()
    with running_server(ctx.work_dir) as server:
        clients = threading.local()

        def send(body: bytes) -> list[dict]:
            if not hasattr(clients, "client"):
                clients.client = KeepAliveClient(server.url, headers)
            status, payload = clients.client.request("POST", "/api/v1/profiles/batch", body)
            if status != 200:
                raise RuntimeError(f"POST /profiles/batch answered {status}: {payload[:300]!r}")
            return json.loads(payload)["results"]

        started = time.perf_counter()
        with ThreadPoolExecutor(BATCH_CLIENTS) as pool:
            results = [r for batch in pool.map(send, bodies) for r in batch]
        seconds = time.perf_counter() - started
    statuses = Counter(result["status"] for result in results)
    if statuses.get("created") != requests * half or statuses.get("updated") != requests * half:
        raise RuntimeError(f"expected {requests * half} created and updated each, got {dict(statuses)}")

    profiles = requests * BATCH
    value, ceiling = measure.rate(profiles, seconds), measure.rate(profiles, ceiling_seconds)
    return Measurement(
        scenario="api-batch", database=ctx.database, size=profiles, seconds=round(seconds, 3), rate=value,
        unit="profiles/s", ceiling=ceiling, ratio=measure.ratio(value, ceiling),
        peakMemoryMB=server.peak_memory_mb, target="ratio >= 0.5",
        notes={"requests": requests, "clients": BATCH_CLIENTS, "peakMemory": "largest server process",
               "ceilingQuery": "bare upserts of the same profile rows and one bare event row each, a transaction per request"},
    )


def _new_item(n: int, rng: random.Random, city: str) -> dict:
    return {
        "email": email_for(n), "customId": f"CRM-{n:08d}", "phone": f"+48 60{n % 10_000_000:07d}",
        "firstName": FIRST_NAMES[n % len(FIRST_NAMES)], "lastName": rng.choice(LAST_NAMES), "city": city,
        "countryCode": "PL", "agreements": {"email": rng.random() < 0.6},
        "attributes": {"plan": rng.choice(("free", "pro")), "score": rng.randrange(100)},
        "tags": ["customer"] if rng.random() < 0.5 else [],
    }


def _bare_row(n: int, rng: random.Random, city: str, attributes: dict) -> tuple:
    """The profile row a bare upsert writes for item `n` (the insert side of it when `n` is new)."""
    now = db_time(SEED_TIME)
    return (uuid.uuid4().hex, email_for(n), f"CRM-{n:08d}", f"+4860{n % 10_000_000:07d}",
            FIRST_NAMES[n % len(FIRST_NAMES)], rng.choice(LAST_NAMES), None, city, None, None, None, "PL", None, None,
            "recognized", None, True, False, False, False, None, json.dumps(attributes), 1, now, now)


@scenario("api-patch")
def api_patch(ctx: BenchContext) -> Measurement:
    """ctx.size(10,000) PATCH /profiles/{id}, each changing one field of a random profile, 16 clients at once.

    The floor, in the same server run with the same clients: as many authenticated GETs of a tiny
    JSON document (an empty page of jobs) through the same stack, which no request can beat.
    """
    count = ctx.size(10_000)
    profiles = seed_profiles(PATCH_PROFILES).ids
    rng = random.Random(5)
    work = [("PATCH", f"/api/v1/profiles/{uuid.UUID(rng.choice(profiles))}",
             json.dumps({"firstName": f"{FIRST_NAMES[n % 30]} {n}"}).encode()) for n in range(count)]
    floor_work = [("GET", "/api/v1/jobs?limit=1", b"")] * count
    headers = api_key_header()
    with running_server(ctx.work_dir) as server:
        floor_seconds, floor_latencies = _concurrent_requests(server.url, headers, floor_work)
        seconds, latencies = _concurrent_requests(server.url, headers, work)

    when = db_time(SEED_TIME)
    bare = [(f"{FIRST_NAMES[n % 30]} bare {n}", when, path.rsplit("/", 1)[1].replace("-", ""))
            for n, (_, path, _) in enumerate(work)]
    ceiling_seconds = bare_single_updates("profiles_profile", bare, "first_name")
    value, ceiling = measure.rate(count, seconds), measure.rate(count, ceiling_seconds)
    floor_rate = measure.rate(count, floor_seconds)
    p99, floor_p99 = measure.percentile(latencies, 99), measure.percentile(floor_latencies, 99)
    return Measurement(
        scenario="api-patch", database=ctx.database, size=count, seconds=round(seconds, 3), rate=value,
        unit="requests/s", ceiling=ceiling, ratio=measure.ratio(value, ceiling),
        p50Ms=round(measure.percentile(latencies, 50), 2), p99Ms=round(p99, 2),
        peakMemoryMB=server.peak_memory_mb, target="floorRatio >= 0.5 and p99VsFloor <= 3",
        notes={"clients": PATCH_CLIENTS, "profiles": PATCH_PROFILES, "peakMemory": "largest server process",
               "floor": "GET /api/v1/jobs?limit=1 (an empty page), same clients and server",
               "floorRate": floor_rate, "floorP50Ms": round(measure.percentile(floor_latencies, 50), 2),
               "floorP99Ms": round(floor_p99, 2), "floorRatio": measure.ratio(value, floor_rate),
               "p99VsFloor": round(p99 / floor_p99, 2) if floor_p99 else None},
    )


def _concurrent_requests(url: str, headers: dict, work: list[tuple[str, str, bytes]]) -> tuple[float, list[float]]:
    """Send `work` from PATCH_CLIENTS keep-alive clients at once; seconds in all and each request's ms."""
    def run_client(share: list[tuple[str, str, bytes]]) -> list[float]:
        client = KeepAliveClient(url, headers)
        latencies = []
        try:
            for method, path, body in share:
                started = time.perf_counter()
                status, payload = client.request(method, path, body)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise RuntimeError(f"{method} {path} answered {status}: {payload[:300]!r}")
        finally:
            client.close()
        return latencies

    shares = [work[i::PATCH_CLIENTS] for i in range(PATCH_CLIENTS)]
    started = time.perf_counter()
    with ThreadPoolExecutor(PATCH_CLIENTS) as pool:
        latencies = [ms for share in pool.map(run_client, shares) for ms in share]
    return time.perf_counter() - started, latencies
