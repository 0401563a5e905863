"""Every kind of writer on the same 1,000 profiles at once, against a real web server (gunicorn, two
processes) and a real `dossier worker`: API PATCHes from several clients (some with If-Match),
batch edits (big ones in the worker, in chunks; small ones within the request), imports, and a
workflow that a tracked event triggers to update the profile.

Afterwards: every write the server acknowledged is in the event log exactly once, and nothing is
there that no writer asked for (no lost, doubled or phantom update); every job and workflow run
reached its end; no 5xx; `dossier verify` is clean, so every profile's change chain follows on
(each `old` is the previous `new`, one event per version).

The run lasts 8 seconds in `make test`; the `long` run lasts DOSSIER_SOAK_SECONDS (60 by
default). With DOSSIER_SOAK_REPORT set to a path, the run's figures are appended to it as a JSON
line (docs/reliability.md quotes them).
"""

import json
import os
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from dossier.accounts.services import do_create_api_key
from dossier.activity import event_types
from dossier.activity.models import Event
from dossier.jobs.models import Job
from dossier.workflows.models import PendingTrigger, WorkflowRun
from tests.processes import run_dossier
from tests.soak import writers
from tests.soak.processes import web_server, worker

pytestmark = pytest.mark.django_db(transaction=True)

PROFILES = 1000
SHORT_SECONDS = 8
PATCH_CLIENTS = 4
WEB_PROCESSES = 2
JOB_CHUNK_SIZE = "250"  # a batch edit of all the profiles commits in four chunks, between other writers
SETTLE_SECONDS = 300
SHOWN_PROBLEMS = 20


def test_mixed_writers_for_eight_seconds_lose_nothing(tmp_path):
    soak(SHORT_SECONDS, tmp_path)


@pytest.mark.long
def test_mixed_writers_for_a_minute_lose_nothing(tmp_path):
    soak(int(os.environ.get("DOSSIER_SOAK_SECONDS", "60")), tmp_path)


def soak(seconds: int, tmp_path: Path) -> None:
    _, key = do_create_api_key("soak", ["admin"])
    ledger = writers.Ledger()
    log = tmp_path / "worker.log"
    server_log = tmp_path / "server.log"
    with web_server(WEB_PROCESSES, server_log, DOSSIER_JOB_CHUNK_SIZE=JOB_CHUNK_SIZE) as url, \
            worker(log, DOSSIER_JOB_CHUNK_SIZE=JOB_CHUNK_SIZE) as worker_process:
        setup = writers.Client(url, key, ledger)
        emails = [f"soak-{n:04d}@example.com" for n in range(PROFILES)]
        profile_ids = create_profiles(setup, emails)
        create_ping_workflow(setup)
        write_at_once(url, key, ledger, profile_ids, emails, seconds)
        settling = time.monotonic()
        wait_until_settled(worker_process, log)
        settle_seconds = time.monotonic() - settling

    writes = shared_writes()
    record_figures(seconds, ledger, writes, settle_seconds)
    assert ledger.errors == [], (f"{len(ledger.errors)} failed request(s):\n" + "\n".join(ledger.errors[:SHOWN_PROBLEMS])
                                 + f"\nserver log:\n{server_log.read_text()[-5000:]}")
    problems = [*patch_problems(ledger, writes), *batch_edit_problems(ledger, writes),
                *import_problems(ledger, writes, dict(zip(emails, profile_ids))), *workflow_problems(ledger, writes),
                *phantom_problems(ledger, writes)]
    assert problems == [], f"{len(problems)} problem(s):\n" + "\n".join(problems[:SHOWN_PROBLEMS])
    verify = run_dossier("verify", timeout=600)
    assert verify.returncode == 0, verify.stdout[-5000:] + verify.stderr


# --- arranging and running ------------------------------------------------------------------

def create_profiles(client: writers.Client, emails: list[str]) -> list[str]:
    response = client.send("setup", "POST", "/profiles/batch", (200,), json=[
        {"email": email, "tags": ["soak"], "attributes": {"shared": f"seed-{n}"}} for n, email in enumerate(emails)])
    assert response is not None, client.ledger.errors
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] * len(emails)
    return [r["id"] for r in results]


def create_ping_workflow(client: writers.Client) -> None:
    response = client.send("setup", "POST", "/workflows", (201,), json={
        "name": "ping", "enabled": True, "trigger": {"event": writers.PING},
        "nodes": [{"type": "updateProfile", "set": {"attributes.shared": "{{ event.params.token }}"}}]})
    assert response is not None, client.ledger.errors


def write_at_once(url: str, key: str, ledger: writers.Ledger, profile_ids: list[str], emails: list[str],
                  seconds: int) -> None:
    """Run every writer, each in its own thread with its own connection, until the deadline."""
    deadline = time.monotonic() + seconds

    def start(loop, *args) -> threading.Thread:
        def run() -> None:
            try:
                loop(writers.Client(url, key, ledger), *args)
            except Exception as exc:  # a writer that dies would leave the soak quietly smaller
                ledger.errors.append(f"{loop.__name__} stopped: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=run, name=loop.__name__)
        thread.start()
        return thread

    threads = [start(writers.patch_writer, profile_ids, deadline, f"patch-{n}", n) for n in range(PATCH_CLIENTS)]
    threads += [start(writers.batch_edit_writer, profile_ids, deadline, PATCH_CLIENTS),
                start(writers.import_writer, emails, deadline),
                start(writers.event_writer, profile_ids, deadline, PATCH_CLIENTS + 1)]
    for thread in threads:
        thread.join()


def wait_until_settled(worker_process, log: Path) -> None:
    """Until every job has ended, the workflow outbox is empty and no run is left mid-way."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        assert worker_process.poll() is None, f"the worker exited with {worker_process.returncode}:\n{log.read_text()[-3000:]}"
        unfinished = list(Job.objects.exclude(status__in=Job.FINISHED).values_list("kind", "status", "processed", "total"))
        triggers = PendingTrigger.objects.count()
        runs = WorkflowRun.objects.filter(status__in=(WorkflowRun.Status.RUNNING, WorkflowRun.Status.WAITING)).count()
        if not unfinished and not triggers and not runs:
            return
        assert time.monotonic() < deadline, (f"not settled after {SETTLE_SECONDS} s: jobs {unfinished}, "
                                             f"{triggers} pending trigger(s), {runs} run(s) unfinished;\n"
                                             f"worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


# --- holding the event log to the ledger ----------------------------------------------------

@dataclass(frozen=True)
class SharedWrite:
    """A change event that set `shared`: on which profile, at which version, by which door."""

    profile_id: str
    version: int
    source: str
    job_id: str | None
    caused_by: int | None


def shared_writes() -> dict[str, list[SharedWrite]]:
    """Token -> the change events that set `shared` to it. A profile's n-th change event made its
    version n (`dossier verify` holds the stored versions to that)."""
    writes: dict[str, list[SharedWrite]] = defaultdict(list)
    rows = (Event.objects.filter(type__in=event_types.CHANGE_EVENT_TYPES).order_by("profile_id", "id")
            .values_list("profile_id", "source", "job_id", "caused_by_id", "params").iterator(chunk_size=5000))
    current, version = None, 0
    for profile_id, source, job_id, caused_by, params in rows:
        version = version + 1 if profile_id == current else 1
        current = profile_id
        for change in params["changes"]:
            if change["attribute"] == "attributes.shared":
                writes[change["new"]].append(SharedWrite(str(profile_id), version, source,
                                                         str(job_id) if job_id else None, caused_by))
    return writes


def _mismatch(what: str, expected: list, found: list) -> list[str]:
    return [] if expected == found else [f"{what}: expected {expected[:3]}{'…' if len(expected) > 3 else ''}, "
                                         f"the log has {found[:3]}{'…' if len(found) > 3 else ''}"]


def patch_problems(ledger: writers.Ledger, writes: dict) -> list[str]:
    """A 200 is in the log once, by the API, at a version no later than the one it answered (the
    answer is the profile read after the commit, which a writer just behind may already have
    moved on: its body and ETag then show that later version); a 412 is not in the log at all."""
    problems = []
    for patch in ledger.patches:
        found = writes.get(patch.token, [])
        if patch.status != 200:
            problems += _mismatch(f"PATCH {patch.token} ({patch.status})", [], found)
        elif [(w.profile_id, w.source, w.job_id, w.caused_by) for w in found] != [(patch.profile_id, "api", None, None)]:
            problems += _mismatch(f"PATCH {patch.token}", [(patch.profile_id, "api")], found)
        elif found[0].version > patch.version:
            problems.append(f"PATCH {patch.token} answered version {patch.version}, but its event is change {found[0].version}")
    return problems


def _by_profile(found: list[SharedWrite]) -> list[tuple]:
    return sorted((w.profile_id, w.source, w.job_id, w.caused_by) for w in found)


def batch_edit_problems(ledger: writers.Ledger, writes: dict) -> list[str]:
    """A batch edit succeeded and wrote each selected profile once, with its job's id."""
    jobs = {str(job.id): job for job in Job.objects.filter(kind=Job.Kind.BATCH_EDIT)}
    problems = []
    for edit in ledger.batch_edits:
        job = jobs[edit.job_id]
        if job.status != Job.Status.SUCCEEDED:
            problems.append(f"batch edit {edit.job_id} ended {job.status}: {job.summary.get('error')}")
        expected = sorted((pid, "batch", edit.job_id, None) for pid in edit.profile_ids)
        problems += _mismatch(f"batch edit {edit.token}", expected, _by_profile(writes.get(edit.token, [])))
    return problems


def import_problems(ledger: writers.Ledger, writes: dict, id_of_email: dict) -> list[str]:
    """An import succeeded, wrote each good row's profile once, and rejected each bad row."""
    jobs = {str(job.id): job for job in Job.objects.filter(kind=Job.Kind.IMPORT)}
    problems = []
    for run in ledger.imports:
        job = jobs[run.job_id]
        counts = {status: job.summary.get(status, 0) for status in ("updated", "rejected")}
        if job.status != Job.Status.SUCCEEDED or counts != {"updated": len(run.tokens), "rejected": writers.REJECTED_IMPORT_ROWS}:
            problems.append(f"import {run.job_id} ended {job.status} with {counts}: {job.summary.get('error')}")
        for email, token in run.tokens.items():
            expected = [(id_of_email[email], "import", run.job_id, None)]
            problems += _mismatch(f"import row {token}", expected, _by_profile(writes.get(token, [])))
    return problems


def workflow_problems(ledger: writers.Ledger, writes: dict) -> list[str]:
    """Each tracked event ran the workflow once, which wrote its profile once, caused by the event."""
    runs = defaultdict(list)
    for event_id, status in WorkflowRun.objects.values_list("event_id", "status"):
        runs[event_id].append(status)
    problems = []
    for tracked in ledger.tracked:
        if runs[tracked.event_id] != [WorkflowRun.Status.DONE]:
            problems.append(f"event {tracked.event_id} has runs {runs[tracked.event_id]}")
        expected = [(tracked.profile_id, "workflow", None, tracked.event_id)]
        problems += _mismatch(f"workflow write {tracked.token}", expected, _by_profile(writes.get(tracked.token, [])))
    return problems


def phantom_problems(ledger: writers.Ledger, writes: dict) -> list[str]:
    """Nothing set `shared` that no acknowledged writer asked for."""
    asked = {f"seed-{n}" for n in range(PROFILES)}
    asked |= {p.token for p in ledger.patches if p.status == 200}
    asked |= {e.token for e in ledger.batch_edits}
    asked |= {token for run in ledger.imports for token in run.tokens.values()}
    asked |= {t.token for t in ledger.tracked}
    return [f"{token} is in the log, but no writer was told it was written" for token in sorted(set(writes) - asked)]


def record_figures(seconds: int, ledger: writers.Ledger, writes: dict, settle_seconds: float) -> None:
    report = os.environ.get("DOSSIER_SOAK_REPORT")
    if not report:
        return
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for (kind, status), count in sorted(ledger.requests.items(), key=str):
        by_kind[kind][str(status)] = count
    figures = {
        "database": connection.vendor, "seconds": seconds, "profiles": PROFILES,
        "requests": sum(ledger.requests.values()), "requests by kind": by_kind,
        "milliseconds p50/p99/max": {kind: _quantiles(durations) for kind, durations in sorted(ledger.seconds.items())},
        "PATCH answers already showing a later write": sum(
            1 for p in ledger.patches if p.status == 200 and any(w.version < p.version for w in writes.get(p.token, []))),
        "batch edits": {"in the worker": sum(e.queued for e in ledger.batch_edits),
                        "within the request": sum(not e.queued for e in ledger.batch_edits)},
        "imports": len(ledger.imports),
        "jobs": {f"{kind} {status}": n for (kind, status), n in Counter(Job.objects.values_list("kind", "status")).items()},
        "workflow runs": WorkflowRun.objects.count(),
        "events": Event.objects.count(),
        "change events": Event.objects.filter(type__in=event_types.CHANGE_EVENT_TYPES).count(),
        "errors": len(ledger.errors), "first errors": ledger.errors[:5],
        "seconds to settle": round(settle_seconds, 1),
    }
    with open(report, "a") as output:
        output.write(json.dumps(figures) + "\n")


def _quantiles(durations: list[float]) -> str:
    ordered = sorted(durations)
    p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.99))
    return f"{p50 * 1000:.0f}/{p99 * 1000:.0f}/{ordered[-1] * 1000:.0f}"
