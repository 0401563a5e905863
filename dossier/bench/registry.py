"""The benchmark scenarios: each module in `dossier.bench.scenarios` registers its own.

A scenario is a function taking a `BenchContext` and returning one `Measurement`. It builds its
own data at `ctx.size(full_size)` (a tenth under BENCH_SCALE=small), measures the Dossier path,
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

    def size(self, full: int) -> int:
        return max(1, int(full * self.scale))


@dataclass
class Measurement:
    scenario: str
    database: str
    size: int
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


def scenario(name: str):
    """Register a scenario under its SPEC §10 name (`import-new`, `api-patch`, ...)."""

    def register(fn: Callable[[BenchContext], Measurement]):
        SCENARIOS[name] = fn
        return fn

    return register
