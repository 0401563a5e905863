"""Webhook delivery (issue 17 `webhook-delivery`): `size` profile updates delivered to a local
receiver (a process of its own) by a real `dossier worker`.

Three phases on the same seeded profiles, writes in chunks of 100 profiles per transaction (as
batch calls would make them):
- writers alone: `size` updates with no subscription; the writers' rate;
- writers with a subscription to profile.updated: `size` more updates while the worker delivers
  them; the writers' rate again (`notes.writerSlowdown` is the difference, the target being 10 %
  at most), and, per event, the time from its transaction's commit to its receipt (`p50Ms`, `p99Ms`);
- `rate`: events received per second, from the first commit of that phase to the last receipt.
`notes.coresWhileWriting` is the CPU each process used while the writers wrote with the
subscription on (1.0 is a whole core): the writers, the worker and the receiver share the
machine's cores, so what the other two use is what the writers may lose.
The ceiling is the same receiver taking the same events as plain unsigned POSTs of 100, sent by
one loop over a kept-alive connection: what the network and the receiver allow.
"""

import http.client
import json
import multiprocessing
import os
import threading
import time
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import transaction
from django.test import override_settings

from dossier.bench import measure
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.seed import email_for, seed_profiles
from dossier.bench.workers import start_workers, stop_workers
from dossier.profiles.changes import ChangeContext
from dossier.profiles.services import do_upsert_profiles
from dossier.webhooks.services import do_create_subscription

CHUNK = 100


def _serve(port_queue, path: str) -> None:
    """The receiver's process: note each event's city and when it arrived, a line each."""
    lock = threading.Lock()
    out = open(path, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            now = time.time()
            lines = [f"{change['new']} {now}\n" for event in body["data"]["events"]
                     for change in event["params"].get("changes", []) if change["attribute"] == "city"]
            with lock:
                out.write("".join(lines))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_port)
    server.serve_forever()


class _Receiver:
    """A local HTTP receiver in a process of its own (so it takes no time from the writers), noting
    when each event, known by the city it wrote, arrived."""

    def __init__(self, work_dir: str):
        self.path = str(Path(work_dir) / "arrivals.txt")
        Path(self.path).write_text("")
        ports = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_serve, args=(ports, self.path), daemon=True)
        self.process.start()
        self.port = ports.get(timeout=30)
        self.url = f"http://127.0.0.1:{self.port}/hooks"

    def arrivals(self) -> dict[str, float]:
        found = {}
        for line in Path(self.path).read_text().splitlines():
            city, _, at = line.rpartition(" ")
            found.setdefault(city, float(at))
        return found

    def wait_for(self, cities: set[str], timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            arrivals = self.arrivals()
            if cities <= arrivals.keys():
                return arrivals
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(cities & arrivals.keys())} of {len(cities)} events arrived in {timeout:.0f} s")
            time.sleep(0.05)

    def close(self):
        self.process.terminate()
        self.process.join(10)


def _write(size: int, phase: str) -> dict[str, float]:
    """`size` city updates, CHUNK per transaction; the commit time of each city written."""
    ctx = ChangeContext(source="api", actor="bench")
    committed = {}
    for start in range(0, size, CHUNK):
        cities = [f"{phase}-{n}" for n in range(start, min(start + CHUNK, size))]
        with transaction.atomic():
            do_upsert_profiles([{"email": email_for(n), "city": city} for n, city in zip(range(start, start + CHUNK), cities)],
                               ctx)
        now = time.time()
        committed.update((city, now) for city in cities)
    return committed


def _cpu(receiver: "_Receiver", workers: list) -> dict[str, float | None]:
    """CPU seconds used so far by the writers (this process), the worker and the receiver."""
    return {"writers": measure.cpu_seconds(), "worker": measure.cpu_seconds(workers[0].pid),
            "receiver": measure.cpu_seconds(receiver.process.pid)}


def _ceiling(receiver: _Receiver, size: int) -> float:
    """Events per second the receiver takes as bare POSTs of CHUNK events."""
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=30)
    bodies = [json.dumps({"data": {"events": [{"params": {"changes": [{"attribute": "city", "new": f"ceiling-{n}"}]}}
                                              for n in range(start, min(start + CHUNK, size))]}}).encode()
              for start in range(0, size, CHUNK)]
    started = time.perf_counter()
    for body in bodies:
        connection.request("POST", "/hooks", body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
    seconds = time.perf_counter() - started
    connection.close()
    return measure.rate(size, seconds)


@scenario("webhook-delivery")
def webhook_delivery(ctx: BenchContext) -> Measurement:
    size = ctx.size(10_000)
    seed_profiles(size, with_tags=False)
    receiver = _Receiver(ctx.work_dir)
    try:
        started = time.perf_counter()
        _write(size, "alone")
        alone_rate = measure.rate(size, time.perf_counter() - started)

        workers = start_workers(ctx.work_dir, 1, DOSSIER_WEBHOOKS_ALLOW_PRIVATE="1")
        try:
            with override_settings(WEBHOOKS_ALLOW_PRIVATE=True):  # the receiver is on the loopback
                do_create_subscription({"url": receiver.url, "eventTypes": ["profile.updated"]}, "bench")
            started, wall_started = time.perf_counter(), time.time()
            cpu_before = _cpu(receiver, workers)
            committed = _write(size, "hooked")
            hooked_seconds = time.perf_counter() - started
            hooked_rate = measure.rate(size, hooked_seconds)
            cores = {name: round((after - cpu_before[name]) / hooked_seconds, 2)
                     for name, after in _cpu(receiver, workers).items() if after is not None}
            arrivals = receiver.wait_for(set(committed), timeout=600)
        finally:
            stop_workers(workers)
        last = max(arrivals[city] for city in committed)
        delivery_rate = measure.rate(size, last - wall_started)
        lags = [(arrivals[city] - at) * 1000 for city, at in committed.items()]
        ceiling = _ceiling(receiver, size)
    finally:
        receiver.close()
    return Measurement(
        scenario="webhook-delivery", database=ctx.database, size=size, seconds=round(last - wall_started, 3),
        rate=delivery_rate, unit="events/s delivered", ceiling=ceiling, ratio=measure.ratio(delivery_rate, ceiling),
        p50Ms=round(measure.percentile(lags, 50), 1), p99Ms=round(measure.percentile(lags, 99), 1),
        peakMemoryMB=measure.peak_memory_mb(), target="p99Ms <= 2000 and writerSlowdown <= 0.10",
        notes={"writerRateAlone": alone_rate, "writerRateWithSubscription": hooked_rate,
               "writerSlowdown": round(1 - hooked_rate / alone_rate, 3) if alone_rate and hooked_rate else None,
               "eventsPerMessage": CHUNK, "coresWhileWriting": cores, "cores": os.cpu_count()},
    )
