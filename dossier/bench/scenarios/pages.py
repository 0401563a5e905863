"""The page scenarios: the filtered profile list over a million profiles and a busy profile's card.

Both fetch the real pages from the production server as a logged-in editor, one request at a
time after a short warm-up, and report the page's latency. The ceiling is the query the page
cannot do without, with nothing around it: the list's own first-page query (through
`profiles.filters`, as the page runs it), and the card's latest events as raw SQL.
"""

import time
import uuid
from typing import Callable
from urllib.parse import urlencode

from django.db import connection

from dossier.bench import measure
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.seed import CITIES, expect_seeded, seed_events, seed_profiles
from dossier.bench.server import KeepAliveClient, running_server, session_cookie_header
from dossier.profiles.filters import page, parse_filters

WARM_UP = 5
SAMPLES = 60
PAGE_ROWS = 50
FILTERS = [(city, tag) for city, *_ in CITIES[:6] for tag in ("customer", "vip", "b2b", "lead")]
# Substrings of the seeded names, emails and phones: in many profiles (ann, wal) and in few.
SEARCHES_3 = ("ann", "wal", "767", "ews", "xyz")
SEARCHES_8 = ("kowalczy", "zielinsk", "60123456", "ia.12345", "a.999999")


def _page_latencies(client: KeepAliveClient, paths: list[str]) -> list[float]:
    """Milliseconds per page load, following one redirect (the list canonicalizes its query)."""
    latencies = []
    for path in paths:
        started = time.perf_counter()
        status, body = client.request("GET", path)
        if status in (301, 302, 303):
            raise RuntimeError(f"GET {path} redirected; the scenario should ask for the canonical URL")
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:200]!r}")
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _raw_latencies(sql: str, params_list: list[list]) -> list[float]:
    latencies = []
    with connection.cursor() as cursor:
        for params in params_list:
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _page_measurement(ctx: BenchContext, name: str, size: int, unit: str, pages: list[float],
                      bare: list[float], server_peak_mb: float | None, notes: dict) -> Measurement:
    page_rate = measure.rate(len(pages), sum(pages) / 1000)
    ceiling = measure.rate(len(bare), sum(bare) / 1000)
    return Measurement(
        scenario=name, database=ctx.database, size=size, seconds=round(sum(pages) / 1000, 3), rate=page_rate,
        unit=unit, ceiling=ceiling, ratio=measure.ratio(page_rate, ceiling),
        p50Ms=round(measure.percentile(pages, 50), 2), p99Ms=round(measure.percentile(pages, 99), 2),
        peakMemoryMB=server_peak_mb, target="p50Ms <= 100",
        notes={**notes, "samples": len(pages), "bareP50Ms": round(measure.percentile(bare, 50), 2),
               "peakMemory": "largest server process"},
    )


def _measure_pages(ctx: BenchContext, paths: Callable[[int], list[str]]) -> tuple[list[float], float | None]:
    """Page latencies in ms, and the server's peak memory in MB."""
    headers = session_cookie_header("editor")
    with running_server(ctx.work_dir) as server:
        client = KeepAliveClient(server.url, headers)
        try:
            _page_latencies(client, paths(WARM_UP))
            latencies = _page_latencies(client, paths(SAMPLES))
        finally:
            client.close()
    return latencies, server.peak_memory_mb


@scenario("list-filter", seeded=1_000_000)
def list_filter(ctx: BenchContext) -> Measurement:
    """GET /profiles/?city=X&tag=Y over ctx.size(1,000,000) profiles, cycling through city/tag pairs."""
    count = ctx.size(1_000_000)
    expect_seeded(count)

    def paths(n: int) -> list[str]:
        return [f"/profiles/?{urlencode({'city': city, 'tag': tag})}" for city, tag in (FILTERS * n)[:n]]

    pages, server_peak_mb = _measure_pages(ctx, paths)
    bare = []
    for city, tag in (FILTERS * SAMPLES)[:SAMPLES]:
        started = time.perf_counter()
        page(parse_filters({"city": [city], "tag": [tag]}).queryset, sort=None, limit=PAGE_ROWS, cursor=None)
        bare.append((time.perf_counter() - started) * 1000)
    return _page_measurement(ctx, "list-filter", count, "pages/s", pages, bare, server_peak_mb,
                             {"ceilingQuery": f"the list's own query for the first {PAGE_ROWS} rows, no page around it"})


@scenario("list-search", seeded=1_000_000)
def list_search(ctx: BenchContext) -> Measurement:
    """GET /profiles/?search=X over ctx.size(1,000,000) profiles: 3- and 8-character substrings of
    names, emails and phones, common and rare, cycled."""
    count = ctx.size(1_000_000)
    expect_seeded(count)
    searches = [*SEARCHES_3, *SEARCHES_8]

    def paths(n: int) -> list[str]:
        return [f"/profiles/?{urlencode({'search': text})}" for text in (searches * n)[:n]]

    pages, server_peak_mb = _measure_pages(ctx, paths)
    bare = []
    for text in (searches * SAMPLES)[:SAMPLES]:
        started = time.perf_counter()
        page(parse_filters({"search": [text]}).queryset, sort=None, limit=PAGE_ROWS, cursor=None)
        bare.append((time.perf_counter() - started) * 1000)
    by_length = {length: [ms for text, ms in zip((searches * SAMPLES)[:SAMPLES], pages) if len(text) == length]
                 for length in (3, 8)}
    return _page_measurement(ctx, "list-search", count, "pages/s", pages, bare, server_peak_mb, {
        "searches": searches, "p50Ms3": round(measure.percentile(by_length[3], 50), 2),
        "p50Ms8": round(measure.percentile(by_length[8], 50), 2),
        "ceilingQuery": f"the list's own query for the first {PAGE_ROWS} rows, no page around it"})


@scenario("card")
def card(ctx: BenchContext) -> Measurement:
    """GET /profiles/<id>/ of a profile with ctx.size(10,000) events, among 10,000 other profiles."""
    events = ctx.size(10_000)
    profile_hex = seed_profiles(10_000).ids[1234]
    seed_events(profile_hex, events)
    path = f"/profiles/{uuid.UUID(profile_hex)}/"
    pages, server_peak_mb = _measure_pages(ctx, lambda n: [path] * n)
    bare_sql = (f"SELECT e.id, e.type, e.time, e.source, e.actor, e.params FROM activity_event e "
                f"WHERE e.profile_id = %s ORDER BY e.id DESC LIMIT {PAGE_ROWS}")
    bare = _raw_latencies(bare_sql, [[profile_hex]] * SAMPLES)
    return _page_measurement(ctx, "card", events, "pages/s", pages, bare, server_peak_mb,
                             {"ceilingQuery": f"the latest {PAGE_ROWS} events, raw SQL"})
