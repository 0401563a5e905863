"""The writers of the soak: loops of real HTTP requests until a deadline, each keeping in a shared
ledger what the server answered, so that the event log can be held to it afterwards.

Every write sets the custom attribute `shared` of its profiles to a token no other write uses
(`patch-2-17`, `batch-5`, `import-3-812`, `ping-40`), so each answer can be traced to the one
change event that must record it.
"""

import csv
import io
import json
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from random import Random

import requests

TAGS = ("t0", "t1", "t2", "t3", "t4")
PING = "soak.ping"
IF_MATCH_EVERY = 3  # one PATCH in three sends If-Match with the version it just read
SMALL_BATCH_EDIT = 100
ERASED_IDS = 5  # ids of no profile added to the big batch edits: past 1,000 ids, a job runs in the worker
REJECTED_IMPORT_ROWS = 100  # rows an import rejects: past 1,000 rows, an import runs in the worker
EVENTS_PER_BATCH = 10
EVENT_PAUSE = 0.2  # seconds between event batches: about 50 workflow runs a second
POLL = 0.2


@dataclass(frozen=True)
class Patch:
    profile_id: str
    token: str
    status: int
    version: int | None  # the version the 200 answered with
    if_match: bool


@dataclass(frozen=True)
class BatchEdit:
    job_id: str
    token: str
    profile_ids: tuple[str, ...]  # the selected profiles that exist
    queued: bool  # 202: run by the worker; 200: run within the request


@dataclass(frozen=True)
class ImportRun:
    job_id: str
    tokens: dict  # email -> the token its row sets


@dataclass(frozen=True)
class Tracked:
    event_id: int
    profile_id: str
    token: str


@dataclass
class Ledger:
    requests: Counter = field(default_factory=Counter)  # (kind, status) -> count
    seconds: dict = field(default_factory=lambda: defaultdict(list))  # kind -> how long each answer took
    errors: list[str] = field(default_factory=list)  # 5xx, unexpected answers, transport failures
    patches: list[Patch] = field(default_factory=list)
    batch_edits: list[BatchEdit] = field(default_factory=list)
    imports: list[ImportRun] = field(default_factory=list)
    tracked: list[Tracked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, kind: str, status: int | str, seconds: float) -> None:
        with self.lock:
            self.requests[(kind, status)] += 1
            self.seconds[kind].append(seconds)


class Client:
    """One HTTP client (its own connection) that books every answer in the ledger."""

    def __init__(self, base_url: str, key: str, ledger: Ledger):
        self.base = f"{base_url}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        self.ledger = ledger

    def send(self, kind: str, method: str, path: str, expected: tuple[int, ...], **kwargs) -> requests.Response | None:
        """The answer when its status is one of `expected`; otherwise None, with the error noted."""
        started = time.monotonic()
        try:
            response = self.session.request(method, f"{self.base}{path}", timeout=120, **kwargs)
        except requests.RequestException as exc:
            self.ledger.count(kind, "no answer", time.monotonic() - started)
            self.ledger.errors.append(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
            return None
        self.ledger.count(kind, response.status_code, time.monotonic() - started)
        if response.status_code not in expected:
            self.ledger.errors.append(f"{kind} {method} {path}: {response.status_code} {response.text[:500]}")
            return None
        return response


def patch_writer(client: Client, profile_ids: list[str], deadline: float, name: str, seed: int) -> None:
    """PATCH a random profile: a new token, one tag added and another removed; one in three
    with If-Match, where a 412 is the expected answer to a profile that moved on."""
    rng = Random(seed)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        profile_id = rng.choice(profile_ids)
        token = f"{name}-{n}"
        added, removed = rng.sample(TAGS, 2)
        headers = {}
        if n % IF_MATCH_EVERY == 0:
            read = client.send("read", "GET", f"/profiles/{profile_id}", (200,))
            if read is None:
                continue
            headers["If-Match"] = read.headers["ETag"]
        response = client.send("patch (If-Match)" if headers else "patch", "PATCH", f"/profiles/{profile_id}",
                               (200, 412) if headers else (200,), headers=headers,
                               json={"attributes": {"shared": token}, "addTags": [added], "removeTags": [removed]})
        if response is not None:
            version = response.json()["version"] if response.status_code == 200 else None
            client.ledger.patches.append(Patch(profile_id, token, response.status_code, version, bool(headers)))


def batch_edit_writer(client: Client, profile_ids: list[str], deadline: float, seed: int) -> None:
    """Batch edits: one of all 1,000 profiles (run by the worker, in chunks) at a time, and small
    ones of 100 profiles (run within the request) meanwhile."""
    rng = Random(seed)
    n = 0
    running: str | None = None  # the big job the worker has not finished yet
    while time.monotonic() < deadline:
        n += 1
        token = f"batch-{n}"
        if running is not None:
            job = client.send("read job", "GET", f"/jobs/{running}", (200,))
            if job is not None and job.json()["status"] in ("succeeded", "failed", "cancelled"):
                running = None
        big = running is None
        selected = profile_ids if big else rng.sample(profile_ids, SMALL_BATCH_EDIT)
        erased = [str(uuid.uuid4()) for _ in range(ERASED_IDS)] if big else []
        response = client.send("batch edit", "POST", "/profiles/batch-edit", (200, 202), json={
            "selection": {"ids": [*selected, *erased]},
            "changes": {"set": {"attributes.shared": token}, "addTags": [TAGS[n % len(TAGS)]]}})
        if response is None:
            time.sleep(POLL)
            continue
        job_id = response.json()["id"]
        client.ledger.batch_edits.append(BatchEdit(job_id, token, tuple(selected), response.status_code == 202))
        if big and response.status_code == 202:
            running = job_id
        time.sleep(POLL)


def import_writer(client: Client, emails: list[str], deadline: float) -> None:
    """Imports of a CSV that sets a token and a city on every profile, by email, plus rows it
    rejects; one at a time, each followed until it ends."""
    n = 0
    while time.monotonic() < deadline:
        n += 1
        tokens = {email: f"import-{n}-{row}" for row, email in enumerate(emails)}
        text = io.StringIO()
        rows = csv.writer(text)
        rows.writerow(["email", "attributes.shared", "city"])
        rows.writerows([email, token, f"City {n}"] for email, token in tokens.items())
        rows.writerows([f"not-an-email-{row}", f"rejected-{n}-{row}", "Nowhere"] for row in range(REJECTED_IMPORT_ROWS))
        response = client.send("import", "POST", "/imports", (200, 202),
                               files={"file": (f"soak-{n}.csv", text.getvalue().encode(), "text/csv")},
                               data={"options": json.dumps({"identifier": "email"})})
        if response is None:
            time.sleep(POLL)
            continue
        job_id = response.json()["id"]
        client.ledger.imports.append(ImportRun(job_id, tokens))
        status = response.status_code
        while status == 202 and time.monotonic() < deadline:
            time.sleep(POLL)
            read = client.send("read import", "GET", f"/imports/{job_id}", (200, 202))
            status = read.status_code if read is not None else status


def event_writer(client: Client, profile_ids: list[str], deadline: float, seed: int) -> None:
    """Track `soak.ping` events, each carrying a token the workflow writes into the profile."""
    rng = Random(seed)
    n = 0
    while time.monotonic() < deadline:
        batch = []
        for _ in range(EVENTS_PER_BATCH):
            n += 1
            batch.append({"profile": {"id": rng.choice(profile_ids)}, "type": PING, "params": {"token": f"ping-{n}"}})
        response = client.send("track events", "POST", "/events/batch", (200,), json=batch)
        if response is not None:
            for sent, result in zip(batch, response.json()["results"]):
                if result["status"] != "accepted":
                    client.ledger.errors.append(f"event refused: {result}")
                    continue
                client.ledger.tracked.append(Tracked(result["id"], sent["profile"]["id"], sent["params"]["token"]))
        time.sleep(EVENT_PAUSE)
