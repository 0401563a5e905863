"""Figures every scenario computes the same way: percentiles, peak memory, rates."""

import os
import resource
import sys
from pathlib import Path


def percentile(values: list[float], pct: float) -> float | None:
    """The `pct` percentile (nearest rank) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MB (a server's: `Server.peak_memory_mb`)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    kilobytes = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return round(kilobytes / 1024, 1)


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


def ratio(value: float | None, ceiling: float | None) -> float | None:
    if not value or not ceiling:
        return None
    return round(value / ceiling, 3)


def cpu_seconds(pid: int | None = None) -> float | None:
    """CPU time (user and system) a process has used so far: this one's, or (Linux) another's."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
