"""`dossier bench`: run every scenario on every database, each in its own process and database.

For each database (SQLite always; PostgreSQL when it answers at DOSSIER_BENCH_POSTGRES_URL) the
runner migrates one template database, then runs each registered scenario in a fresh child
process (`python -m dossier.bench.runner ...`) on a fresh copy of that template, so scenarios
never see each other's data and the child's peak memory is the scenario's own. The child writes
its `Measurement` as JSON; the runner prints the table and keeps `<data dir>/bench/latest.json`
up to date after every scenario. A scenario that fails is a row with its error, not the end of
the run.
"""

import functools
import importlib
import json
import os
import pkgutil
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable, TextIO
from urllib.parse import urlsplit, urlunsplit

from dossier.bench.registry import SCENARIOS, SEEDED, WORKER_COUNTS, BenchContext, Measurement, scaled
from dossier.bench import measure

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SPEC_ORDER = ("import-new", "import-new-peer", "import-update", "batch-edit", "api-batch", "api-patch", "workflow-runs", "list-filter", "list-search",
              "card", "webhook-delivery")
COLUMNS = ("scenario", "database", "workers", "size", "seconds", "rate", "unit", "ceiling", "ratio", "p50Ms", "p99Ms",
           "peakMemoryMB", "target", "targetMet")
HEADINGS = {"p50Ms": "p50 ms", "p99Ms": "p99 ms", "peakMemoryMB": "peak MB", "targetMet": "met?"}
TARGET_TERM = re.compile(r"(\w+)\s*(>=|<=|≥|≤|<|>)\s*([0-9][0-9,_.]*)")
COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b, "≥": lambda a, b: a >= b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, "≤": lambda a, b: a <= b, "<": lambda a, b: a < b,
}


class HarnessError(Exception):
    """The bench itself cannot run (as opposed to one scenario failing)."""


def load_scenarios() -> tuple[dict[str, Callable], dict[str, str]]:
    """Import every module of `dossier.bench.scenarios` (each registers its scenarios on import).

    Returns the scenarios in SPEC order and, for modules that failed to import, their error: a
    broken module costs its own rows, not the run.
    """
    import dossier.bench.scenarios as package

    broken = {}
    for module in pkgutil.iter_modules(package.__path__):
        try:
            importlib.import_module(f"{package.__name__}.{module.name}")
        except Exception as exc:  # reported as that module's row of the table
            broken[module.name] = f"importing dossier.bench.scenarios.{module.name} failed: {type(exc).__name__}: {exc}"
    order = {name: i for i, name in enumerate(SPEC_ORDER)}
    return dict(sorted(SCENARIOS.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))), broken


def bench_scale(raw: str | None) -> float:
    """BENCH_SCALE: unset or `full` is 1, `small` a tenth, or a positive number (tests use 0.001)."""
    if raw is None or raw.strip() in ("", "full"):
        return 1.0
    if raw.strip() == "small":
        return 0.1
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 10:
        raise HarnessError(f"BENCH_SCALE must be 'small', 'full' or a number in (0, 10], got {raw!r}")
    return scale


def target_met(measurement: dict) -> bool | None:
    """Evaluate a target such as `p50Ms <= 5 and p99Ms <= 25`; None when it cannot be judged."""
    terms = TARGET_TERM.findall(measurement.get("target") or "")
    if not terms:
        return None
    for name, operator, number in terms:
        value = measurement.get(name)
        if value is None:  # a scenario's own figure
            value = (measurement.get("notes") or {}).get(name)
        if value is None:
            return None
        if not COMPARE[operator](value, float(number.replace(",", "").replace("_", ""))):
            return False
    return True


# --- databases -----------------------------------------------------------------------------

class Database(ABC):
    """One database kind the scenarios run on: migrated templates and a fresh copy per scenario.

    The plain template is migrated and empty. Scenarios registered with `seeded=` start from a
    second template holding the standard seeded profiles, made once (on first use) by a child
    process seeding a copy of the plain one.
    """

    def __init__(self, name: str, bench_dir: Path):
        self.name = name
        self.bench_dir = bench_dir
        self.seeded: set[int] = set()  # counts whose seeded template was made (or tried)
        self.failed_seeds: dict[int, str] = {}

    @abstractmethod
    def prepare(self) -> None:
        """Create and migrate the plain template."""

    @abstractmethod
    def copy_template(self, source: str, target: str | None) -> dict[str, str]:
        """Copy the template `source` (a `template_key`) to a new template `target`, or with no
        target to the scenario's database; the environment that points a process at the copy."""

    @abstractmethod
    def discard(self) -> None:
        """Remove the scenario's copy."""

    @abstractmethod
    def close(self) -> None:
        """Remove the templates and anything left."""

    def fresh(self, seeded: int = 0) -> tuple[dict[str, str], float | None]:
        """A new copy of a template for a scenario, and the seconds spent seeding the template
        first when this is the first scenario that needs it."""
        seed_seconds = self._ensure_seeded(seeded) if seeded else None
        return self.copy_template(template_key(seeded), None), seed_seconds

    def _ensure_seeded(self, count: int) -> float | None:
        if count in self.failed_seeds:
            raise HarnessError(self.failed_seeds[count])
        if count in self.seeded:
            return None
        started = time.monotonic()
        self.seeded.add(count)  # from here on, close() removes it, even if seeding fails
        env = self.copy_template(template_key(0), template_key(count))
        data_dir = self.bench_dir / "seed-data"
        data_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([sys.executable, "-m", "dossier.bench.runner", "seed", str(count)],
                                env=_child_env(env, data_dir), capture_output=True, text=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        if result.returncode != 0:
            self.failed_seeds[count] = f"seeding {count:,} profiles failed: {result.stderr.strip()[-2000:]}"
            raise HarnessError(self.failed_seeds[count])
        return round(time.monotonic() - started, 1)


class SqliteDatabase(Database):
    def _path(self, label: str) -> Path:
        return self.bench_dir / f"{label}.sqlite3"

    def _template(self, key: str) -> Path:
        return self._path(f"template-{os.getpid()}-{key}")

    def prepare(self) -> None:
        template = self._template(template_key(0))
        _remove_sqlite(template)
        _migrate({"DOSSIER_SQLITE_PATH": str(template)}, self.bench_dir)

    def copy_template(self, source: str, target: str | None) -> dict[str, str]:
        path = self._template(target) if target else self._path("scenario")
        _remove_sqlite(path)
        shutil.copyfile(self._template(source), path)
        return {"DOSSIER_SQLITE_PATH": str(path)}

    def discard(self) -> None:
        _remove_sqlite(self._path("scenario"))

    def close(self) -> None:
        for path in self.bench_dir.glob(f"template-{os.getpid()}-*.sqlite3"):
            _remove_sqlite(path)


class PostgresDatabase(Database):
    def __init__(self, name: str, bench_dir: Path, url: str):
        super().__init__(name, bench_dir)
        self.url = url
        self.db_name = f"dossier_bench_{os.getpid()}"

    def _template(self, key: str) -> str:
        return f"{self.db_name}_template_{key}"

    @functools.cached_property
    def copy_strategy(self) -> str:
        """From PostgreSQL 15 on, a copy by FILE_COPY: the files copied after a checkpoint, which for
        a seeded gigabyte is much faster than the default of writing the whole database to the WAL."""
        import psycopg

        with psycopg.connect(_libpq(self.url), autocommit=True, connect_timeout=5) as conn:
            version = conn.info.server_version
        return " STRATEGY FILE_COPY" if version >= 150000 else ""

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(_libpq(self.url), autocommit=True, connect_timeout=5) as conn:
            for statement in statements:
                conn.execute(statement)

    def _url_of(self, db_name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{db_name}"))

    def prepare(self) -> None:
        template = self._template(template_key(0))
        self._admin(f"DROP DATABASE IF EXISTS {template}", f"CREATE DATABASE {template}")
        _migrate({"DOSSIER_DATABASE_URL": self._url_of(template)}, self.bench_dir)

    def copy_template(self, source: str, target: str | None) -> dict[str, str]:
        name = self._template(target) if target else self.db_name
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                    f"CREATE DATABASE {name} TEMPLATE {self._template(source)}{self.copy_strategy}")
        return {"DOSSIER_DATABASE_URL": self._url_of(name)}

    def discard(self) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")

    def close(self) -> None:
        templates = [self._template(template_key(count)) for count in (0, *self.seeded)]
        self._admin(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)",
                    *(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in templates))


def template_key(seeded: int) -> str:
    """The name of the template a scenario starts from: the plain one, or with `seeded` profiles."""
    return f"seeded_{seeded}" if seeded else "plain"


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def postgres_unreachable(url: str) -> str | None:
    """Why PostgreSQL cannot be used at `url`, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(_libpq(url), connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means "not available", with the reason shown
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _child_env(database_env: dict[str, str], data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DOSSIER_DATABASE_URL", "DOSSIER_SQLITE_PATH", "DOSSIER_TEST_DB_NAME")}
    env.update(database_env, DOSSIER_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="dossier.settings")
    return env


def _migrate(database_env: dict[str, str], bench_dir: Path) -> None:
    data_dir = bench_dir / "template-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "dossier.cli", "migrate", "--no-input", "-v", "0"],
                            env=_child_env(database_env, data_dir), capture_output=True, text=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    if result.returncode != 0:
        raise HarnessError(f"migrating the bench template failed: {result.stderr.strip()[-2000:]}")


# --- the run -------------------------------------------------------------------------------

def run_bench(names: list[str] | None, databases: list[str] | None, scale: float, bench_dir: Path,
              out: TextIO, timeout: float) -> list[dict]:
    scenarios, broken = load_scenarios()
    unknown = sorted(set(names or ()) - scenarios.keys())
    if unknown:
        hint = f" ({'; '.join(broken.values())})" if broken else ""
        raise HarnessError(f"unknown scenario {', '.join(unknown)}; known: {', '.join(scenarios)}{hint}")
    selected = [name for name in scenarios if not names or name in names]
    bench_dir.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    for database in _databases(databases, bench_dir, out):
        out.write(f"Preparing {database.name}...\n")
        out.flush()
        if not names:
            results += [{**Measurement(scenario=module, database=database.name, size=0).as_dict(), "error": error, "targetMet": None}
                        for module, error in broken.items()]
        try:
            database.prepare()
            for name in selected:
                for workers in WORKER_COUNTS.get(name, {}).get(database.name, (None,)):
                    with_workers = f" with {workers} worker{'s' if workers > 1 else ''}" if workers else ""
                    out.write(f"  {name} on {database.name}{with_workers}: ")
                    out.flush()
                    row = _run_one(name, database, scale, bench_dir, timeout, workers)
                    results.append(row)
                    out.write(f"{row['error'] if row.get('error') else _summary(row)}\n")
                    out.flush()
                    (bench_dir / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        finally:
            database.close()
    out.write("\n" + format_table(results) + "\n")
    out.write(f"\nWritten to {bench_dir / 'latest.json'}\n")
    return results


def _databases(requested: list[str] | None, bench_dir: Path, out: TextIO) -> list[Database]:
    wanted = requested or ["sqlite", "postgresql"]
    chosen: list[Database] = []
    if "sqlite" in wanted:
        chosen.append(SqliteDatabase("sqlite", bench_dir))
    if "postgresql" in wanted:
        url = os.environ.get("DOSSIER_BENCH_POSTGRES_URL") or POSTGRES_URL
        reason = postgres_unreachable(url)
        if reason is None:
            chosen.append(PostgresDatabase("postgresql", bench_dir, url))
        elif requested:
            raise HarnessError(f"PostgreSQL at {url} did not answer: {reason}")
        else:
            out.write(f"PostgreSQL skipped: {url} did not answer ({reason}). Set DOSSIER_BENCH_POSTGRES_URL.\n")
    return chosen


def _run_one(name: str, database: Database, scale: float, bench_dir: Path, timeout: float,
             workers: int | None = None) -> dict:
    label = f"{name}-{database.name}" + (f"-{workers}w" if workers else "")
    work_dir = bench_dir / "work" / label
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    log_path = bench_dir / "logs" / f"{label}.log"
    log_path.parent.mkdir(exist_ok=True)
    result_path = work_dir / "measurement.json"
    row = Measurement(scenario=name, database=database.name, size=0, workers=workers).as_dict()
    started = time.monotonic()
    seed_seconds = None
    try:
        database_env, seed_seconds = database.fresh(scaled(SEEDED[name], scale) if name in SEEDED else 0)
        env = _child_env(database_env, work_dir)
        with open(log_path, "wb") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "dossier.bench.runner", name, database.name, repr(scale), str(work_dir),
                 str(result_path), str(workers or 0)],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise TimeoutError(f"did not finish within {timeout:.0f} s") from None
            finally:  # on timeout, Ctrl-C or a crash, nothing the scenario started outlives it
                _kill_group(child)
        if result_path.exists():
            row.update(json.loads(result_path.read_text()))
        else:
            row["error"] = f"the scenario process exited with {child.returncode}; see {log_path}"
    except Exception as exc:  # one scenario's failure is a row of the table, never the end of the run
        row["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            database.discard()
        except Exception as exc:  # leaving a scratch database behind is worth a note, not a crash
            row.setdefault("notes", {})["cleanup"] = str(exc)
        shutil.rmtree(work_dir, ignore_errors=True)
    row["targetMet"] = None if row.get("error") else target_met(row)
    if seed_seconds is not None:  # this scenario waited for the shared seeded template to be made
        row.setdefault("notes", {})["seedSeconds"] = seed_seconds
    row.setdefault("notes", {})["wallSeconds"] = round(time.monotonic() - started, 1)
    return row


def _kill_group(child: subprocess.Popen) -> None:
    """Stop the scenario process and whatever it started (its server): they share its process group."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _summary(row: dict) -> str:
    parts = [f"{row['rate']:,.0f} {row['unit']}" if row.get("rate") else None,
             f"p50 {row['p50Ms']} ms" if row.get("p50Ms") is not None else None,
             f"ceiling ratio {row['ratio']}" if row.get("ratio") is not None else None,
             {True: "target met", False: "target missed"}.get(row.get("targetMet"))]
    return ", ".join(p for p in parts if p) or "done"


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: list[dict]) -> str:
    cells = [[HEADINGS.get(c, c) for c in COLUMNS]]
    errors = []
    for row in rows:
        cells.append([_cell(row.get(c)) for c in COLUMNS])
        if row.get("error"):
            cells[-1][COLUMNS.index("targetMet")] = "ERROR"
            errors.append(f"  {row['scenario']} on {row['database']}: {row['error']}")
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(w) if i > 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths)))
             for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if errors:
        lines += ["", "Errors:", *errors]
    return "\n".join(lines)


# --- the child -----------------------------------------------------------------------------

def run_child(name: str, database: str, scale: float, work_dir: str, result_path: str, workers: int = 0) -> int:
    """Run one scenario in this process (its database is fresh and migrated) and write its figures."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")
    django.setup()
    try:
        scenario = load_scenarios()[0][name]
        measurement: Measurement = scenario(BenchContext(database=database, scale=scale, work_dir=work_dir,
                                                         workers=workers or None))
        result = measurement.as_dict()
        if result.get("peakMemoryMB") is None:
            result["peakMemoryMB"] = measure.peak_memory_mb()
    except Exception as exc:  # the runner reports it as this scenario's row
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    Path(result_path).write_text(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def run_seed(count: int) -> int:
    """Seed the standard profiles into this process's database (a template being made)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")
    django.setup()
    from django.db import connection

    from dossier.bench.seed import seed_profiles

    seed_profiles(count, sqlite_cache_mb=1024)
    if connection.vendor == "sqlite":  # the template is copied as one file: nothing may stay in the WAL
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        sys.exit(run_seed(int(sys.argv[2])))
    _name, _database, _scale, _work_dir, _result_path, _workers = sys.argv[1:7]
    sys.exit(run_child(_name, _database, float(_scale), _work_dir, _result_path, int(_workers)))
