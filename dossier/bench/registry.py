"""The benchmark scenarios: each module in `dossier.bench.scenarios` registers its own.

A scenario is a function taking a `BenchContext` and returning one `Measurement`. It builds its
own data at `ctx.size(full_size)` (a tenth under BENCH_SCALE=small), or, registered with
`seeded=`, starts from the standard seeded profiles, which the runner seeds once per database and
copies for each such scenario (a million profiles take minutes to seed). It measures the Dossier path,
measures the raw-database ceiling on the same data in the same run where the scenario has one,
and fills in the figures. See dossier/bench/runner.py for how scenarios are run per database.
"""

from dataclasses import asdict, dataclass, field
from typing import Callable


@dataclass
class BenchContext:
    database: str  # "sqlite" or "postgresql"
    scale: float  # 1.0, or 0.1 under BENCH_SCALE=small
    work_dir: str  # a scratch folder for files the scenario writes
    workers: int | None = None  # for scenarios registered with worker counts: this run's

    def size(self, full: int) -> int:
        return scaled(full, self.scale)


def scaled(full: int, scale: float) -> int:
    return max(1, int(full * scale))


@dataclass
class Measurement:
    scenario: str
    database: str
    size: int
    workers: int | None = None  # worker processes, where a scenario runs them
    seconds: float | None = None
    rate: float | None = None
    unit: str | None = None
    ceiling: float | None = None
    ratio: float | None = None
    p50Ms: float | None = None
    p99Ms: float | None = None
    peakMemoryMB: float | None = None
    target: str | None = None
    notes: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


SCENARIOS: dict[str, Callable[[BenchContext], Measurement]] = {}
WORKER_COUNTS: dict[str, dict[str, tuple[int, ...]]] = {}
SEEDED: dict[str, int] = {}


def scenario(name: str, *, workers: dict[str, tuple[int, ...]] | None = None, seeded: int = 0):
    """Register a scenario under its SPEC §10 name (`import-new`, `api-patch`, ...). With `workers`
    (database: counts), it runs once per count, each run a row of its own. With `seeded` (a full
    size), its database already holds `seed_profiles(ctx.size(seeded))` when it starts."""

    def register(fn: Callable[[BenchContext], Measurement]):
        SCENARIOS[name] = fn
        if workers:
            WORKER_COUNTS[name] = workers
        if seeded:
            SEEDED[name] = seeded
        return fn

    return register
