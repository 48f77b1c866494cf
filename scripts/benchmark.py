"""Benchmark of the nightly run, as a user runs it (not a test: it prints figures).

For each database (SQLite, PostgreSQL) it writes a delivery of the chosen shape and imports it with
`fsm import`, then prints, from one invocation:
  * the full run: `fsm run --full` as a process of its own (process start, imports and the schema
    check included), best of `--runs`, in citizens per second;
  * the floor: the bare database driver reading every timeline row the run reads (best of three);
  * the reference: a set-based DuckDB query of the FSM1 target group over the same CSV files, the
    tool a data analyst would use instead (load + query, best of three; its member count is
    checked against the run's);
  * the ratios run / floor and run / DuckDB;
  * start-up: `fsm --help`, `fsm status` and `fsm explain` as processes of their own;
  * a second night: a delivery that repeats every citizen (a full snapshot) with 1 % of them
    changed, imported, and `fsm run` as of one day later (incremental: unchanged citizens carried
    over), as a share of the full run, checked against a full run of that night;
  * the peak memory (RSS) of the run's process and of its largest worker, at each population of
    `--memory` (it must not grow with the population).

Shapes: `national` (engine/synthetic/national.py: the diversity of real national data, ~10.5 rows
and ~19 % members per citizen, ../shared/BENCHMARK_DATA.md) and `demo` (the synthetic Aalborg of
seed 002, scaled: few distinct timelines, so memos hide what the rules cost).

DuckDB is a benchmark-only extra: `.venv/bin/pip install -e '.[bench]'`. Then, for example:

    .venv/bin/python scripts/benchmark.py --shape national
    .venv/bin/python scripts/benchmark.py --shape demo --database sqlite --memory 100000

PostgreSQL: `--postgresql-url` (default: the development server); the benchmark works in a schema
of its own, dropped at the end. Absolute seconds vary by ±10–30 % on a shared 2-core machine: the
ratios to the floor and to DuckDB, measured in the same run, are the figures to compare.
"""

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from engine.synthetic import write_delivery
from engine.synthetic.aalborg import municipalities
from engine.synthetic.national import changed_citizens, write_national
from models.database import make_engine

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AS_OF = {"national": date(2019, 7, 31), "demo": date(2018, 3, 2)}
"""The first night's as-of date per shape; the second night is one day later."""
D, W0 = date(2016, 12, 31), date(2011, 12, 31)
"""FSM1's cut-off date and the first day of its lookback window (parameters of rules/fsm1)."""
CHANGED_SHARE = 0.01
DEMO_MEMBER_SHARE = 0.8
"""The demo generator adds a quarter as many non-members as members."""
TIMELINE_TABLES = {
    "citizen_versions": ("birth_date", "death_date"),
    "residence": ("municipality", "from_date", "to_date"),
    "support": ("support", "from_date", "to_date"),
    "match": ("category", "from_date", "to_date"),
    "programmes": ("programme", "from_date", "to_date"),
    "visitations": ("programme", "date", '"group"'),
    "activities": ("activity", "from_date", "to_date"),
    "exemptions": ("marking", "from_date", "to_date"),
}
MEASURED = """
import os, resource, sys
from engine.faces.cli import app
try:
    app(sys.argv[1:], prog_name="fsm")
finally:
    # this process's own peak (VmHWM starts anew at exec; ru_maxrss would count the forked benchmark)
    own = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["BENCHMARK_RUSAGE"], "w") as handle:
        handle.write(f"{own} {workers}")
"""
"""`fsm` as its console script runs it, reporting its own peak RSS and its largest worker's (KiB)."""


# --- the data -------------------------------------------------------------------------------------


def write_first(shape: str, folder: Path, citizens: int) -> int:
    """The first delivery; returns its data rows."""
    if shape == "national":
        return write_national(folder, citizens).rows
    write_delivery(folder, municipalities(round(citizens * DEMO_MEMBER_SHARE), 98))
    return sum(_rows(path) for path in folder.glob("*.csv"))


def write_second(shape: str, first: Path, folder: Path, changed_only: Path, citizens: int) -> int:
    """The second night's delivery twice: a full snapshot of every citizen of the first delivery
    with `CHANGED_SHARE` of them changed (in `folder`), and those changed citizens alone (in
    `changed_only`: what an importer that gives unchanged citizens no new version stores of the
    full snapshot). Returns how many changed."""
    if shape == "national":
        changed = changed_citizens(citizens, CHANGED_SHARE)
        write_national(folder, citizens, changed=changed)
        write_national(changed_only, citizens, changed=changed, only=changed)
        return len(changed)
    shutil.copytree(first, folder)
    with (first / "citizens.csv").open(encoding="utf-8") as handle:
        ids = [row["citizen_id"] for row in csv.DictReader(handle)]
    chosen = set(random.Random(1).sample(ids, round(len(ids) * CHANGED_SHARE)))
    with (folder / "activities.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            (cid, "ordinaere_timer", "2018-02-01", "2018-02-10") for cid in sorted(chosen)
        )
    changed_only.mkdir()
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as source:
            rows = list(csv.reader(source))
        kept = [rows[0], *(r for r in rows[1:] if path.name.startswith("grant") or r[0] in chosen)]
        with (changed_only / path.name).open("w", encoding="utf-8", newline="") as target:
            csv.writer(target).writerows(kept)
    return len(chosen)


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


# --- measuring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    seconds: float
    cpu: float
    """CPU seconds (user + system) of the process and its workers: on a busy machine wall-clock
    seconds say more about the other processes than about this one."""
    own_mb: float
    """Peak RSS of the `fsm` process itself."""
    worker_mb: float
    """Peak RSS of its largest worker (0 without workers)."""
    output: str


def fsm(url: str, cwd: Path, *args: str) -> Measured:
    """An `fsm` command in a process of its own, timed from its start to its end."""
    stats = cwd / f"rusage-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": url, "BENCHMARK_RUSAGE": str(stats), "CI": "1"}
    before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fsm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    own, children = (int(kib) / 1024 for kib in stats.read_text().split())
    stats.unlink()
    return Measured(seconds, _children_cpu() - before, own, children, done.stdout.strip())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(times: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(times))


def floor(engine: Engine) -> tuple[float, int]:
    """Seconds for the bare driver to read every timeline row of the current versions, in the
    order the run reads them (best of three); and how many rows."""
    statements = [
        f"select t.citizen_id, t.delivery_id, {', '.join(f't.{c}' for c in columns)} from {table} t"
        + (
            ""
            if table == "citizen_versions"
            else " join citizen_versions v on v.delivery_id = t.delivery_id and v.citizen_id = t.citizen_id"
        )
        + f" where {'t' if table == 'citizen_versions' else 'v'}.superseded_by is null"
        + " order by t.citizen_id, t.delivery_id"
        + ("" if table == "citizen_versions" else ", t.id")
        for table, columns in TIMELINE_TABLES.items()
    ]
    rows = 0

    def read() -> float:
        nonlocal rows
        started = time.perf_counter()
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            rows = 0
            for statement in statements:
                cursor.execute(statement)
                rows += len(cursor.fetchall())
        finally:
            connection.close()
        return time.perf_counter() - started

    return best_of(3, read), rows


DUCKDB_TARGET_GROUP = f"""
with
cash as (select * from support where support in ('kontanthjaelp', 'uddannelseshjaelp', 'integrationsydelse', 'overgangsydelse')),
inside as (  -- cash-benefit periods clipped to the lookback window W
    select citizen_id, greatest("from", date '{W0}') as f, least(coalesce("to", date '9999-12-31'), date '{D}') as t
    from cash where "from" <= date '{D}' and coalesce("to", date '9999-12-31') >= date '{W0}'),
gaps as (
    select citizen_id, f, t, lag(t) over (partition by citizen_id order by f) as before from inside),
covered as (  -- W's first day covered, and the longest run of uncovered days inside W
    select citizen_id,
        bool_or(f = date '{W0}') as first_day_covered,
        greatest(max(case when before is null then f - date '{W0}' else f - before - 1 end),
                 date '{D}' - max(t)) as longest_break
    from gaps group by citizen_id),
integration as (
    select distinct citizen_id from programmes
    where programme = 'integrationsprogram' and "from" <= date '{D}' and coalesce("to", date '9999-12-31') >= date '{W0}')
select r.municipality, count(*) as members
from residence r
join citizens c on c.citizen_id = r.citizen_id and (c.death_date is null or c.death_date > date '{D}')
join cash s on s.citizen_id = r.citizen_id and s."from" <= date '{D}' and coalesce(s."to", date '9999-12-31') >= date '{D}'
join match m on m.citizen_id = r.citizen_id and m.category = 'aktivitetsparat'
    and m."from" <= date '{D}' and coalesce(m."to", date '9999-12-31') >= date '{D}'
join covered v on v.citizen_id = r.citizen_id and v.first_day_covered and v.longest_break <= 28
where r."from" <= date '{D}' and coalesce(r."to", date '9999-12-31') >= date '{D}'
    and r.municipality in (select municipality from grants where programme = 'fsm1')
    and r.citizen_id not in (select citizen_id from integration)
group by r.municipality
"""
"""FSM1's target group (SPEC section 4) as sets: resident, alive, on cash benefit and activity-ready
on the cut-off date D, W's first day covered by cash benefit and no break longer than 28 days in W,
no integration programme in W; members per municipality with a grant."""


DUCKDB_DATES = {
    "citizens": ("birth_date", "death_date"),
    "residence": ("from", "to"),
    "support": ("from", "to"),
    "match": ("from", "to"),
    "programmes": ("from", "to"),
    "grants": ("approved_on", "project_start", "project_end"),
}


def duckdb_reference(folder: Path) -> tuple[float, int]:
    """Seconds to load the delivery's CSV files into DuckDB and query the target group (best of
    three), and how many members it finds."""
    try:
        import duckdb
    except ImportError:
        raise SystemExit("DuckDB is missing: .venv/bin/pip install -e '.[bench]'") from None
    members = 0

    def query() -> float:
        nonlocal members
        started = time.perf_counter()
        with duckdb.connect() as connection:
            for name, dates in DUCKDB_DATES.items():
                types = ", ".join(f"'{column}': 'DATE'" for column in dates)
                connection.execute(
                    f"create table {name} as select * from "
                    f"read_csv('{folder / name}.csv', header = true, types = {{{types}}})"
                )
            members = sum(count for _, count in connection.execute(DUCKDB_TARGET_GROUP).fetchall())
        return time.perf_counter() - started

    return best_of(3, query), members


STARTUP_RUNS = 5


def startup(url: str, work: Path, engine: Engine) -> str:
    """`fsm --help`, `fsm status` (of one municipality: all 98 are thousands of lines) and `fsm
    explain` (of a citizen) on the latest run, as processes of their own, best of STARTUP_RUNS
    each: what a command costs before it does anything big."""
    latest = "(select max(id) from runs)"
    with engine.connect() as connection:
        citizen, place = connection.execute(
            text(
                f"select citizen_id, municipality from decisions where citizen_id is not null and run_id = {latest}"
            )
        ).first()
    figures = []
    for args in (("--help",), ("status", "--municipality", place), ("explain", citizen)):
        best = min((fsm(url, work, *args) for _ in range(STARTUP_RUNS)), key=lambda m: m.seconds)
        figures.append(f"fsm {args[0]} {best.seconds:.2f} s ({best.cpu:.2f} CPU-s)")
    return ", ".join(figures)


def stored_differences(engine: Engine, first: int, second: int) -> int:
    """Decision rows (with their evidence) in one run and not in the other, both ways, as multisets."""
    columns = (
        'd.municipality, d.citizen_id, d.decision, d.day, d.outcome, d.value, d."group", '
        "cast(d.trace as text), cast(e.verdicts as text), cast(e.facts as text), count(*)"
    )
    one = (
        f"select {columns} from decisions d join evidence e on e.run_id = d.run_id and e.id = d.evidence_id "
        "where d.run_id = {run} group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
    )
    with engine.connect() as connection:
        return sum(
            connection.execute(
                text(f"select count(*) from ({one.format(run=a)} except {one.format(run=b)}) as differing")
            ).scalar_one()
            for a, b in ((first, second), (second, first))
        )


def members_of(engine: Engine, run: int) -> tuple[int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(text(f"select members, citizens from runs where id = {run}")).one()
        )


def latest_run(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("select max(id) from runs")).scalar_one()


# --- databases --------------------------------------------------------------------------------------


@contextmanager
def database(kind: str, work: Path, pg_url: str) -> Iterator[str]:
    """The URL of an empty database of this kind: an SQLite file in `work`, or a PostgreSQL schema
    of the benchmark's own (dropped afterwards)."""
    if kind == "sqlite":
        path = work / f"benchmark-{uuid.uuid4().hex[:8]}.sqlite"
        yield f"sqlite:///{path}"
        for leftover in work.glob(f"{path.name}*"):
            leftover.unlink()
        return
    schema = f"fsm_benchmark_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


# --- the benchmark ----------------------------------------------------------------------------------


def print_line(text: str) -> None:
    print(text, flush=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def timed(args: argparse.Namespace, kind: str, work: Path) -> Measured:
    """The full run, the floor, DuckDB and the second night at `args.citizens`; returns the best full run."""
    n, as_of = args.citizens, AS_OF[args.shape]
    run = ("run", "--as-of", as_of.isoformat(), "--workers", str(args.workers))
    first, second = work / f"{args.shape}-{n}-1", work / f"{args.shape}-{n}-2"
    changed_only = work / f"{args.shape}-{n}-2-changed"
    started = time.perf_counter()
    if not first.exists():
        write_first(args.shape, first, n)
        write_second(args.shape, first, second, changed_only, n)
    rows = sum(_rows(p) for p in first.glob("*.csv"))
    print_line(f"  generated {rows:,} rows for {n:,} citizens: {time.perf_counter() - started:.1f} s")
    with database(kind, work, args.postgresql_url) as url:
        imported = fsm(url, work, "import", str(first))
        print_line(f"  fsm import: {imported.seconds:.1f} s ({n / imported.seconds:,.0f} citizens/s)")
        engine = make_engine(url)
        floor_seconds, floor_rows = floor(engine)
        print_line(f"  floor: the bare driver reads the run's {floor_rows:,} rows in {floor_seconds:.2f} s")
        duckdb_seconds, duckdb_members = duckdb_reference(first)
        print_line(
            f"  DuckDB reference (load the CSV files + query the target group): {duckdb_seconds:.2f} s"
        )
        full = [fsm(url, work, *run, "--full") for _ in range(args.runs)]
        best = min(full, key=lambda m: m.seconds)
        members, citizens = members_of(engine, latest_run(engine))
        check = "= the run's" if duckdb_members == members else f"≠ the run's {members:,}: CHECK THE QUERY"
        print_line(
            f"  full run (fsm run --full, {args.workers} workers, process start included), best of "
            f"{args.runs}: {best.seconds:.2f} s = {citizens / best.seconds:,.0f} citizens/s "
            f"(every run: {', '.join(f'{m.seconds:.2f} s / {m.cpu:.1f} CPU-s' for m in full)}); {members:,} members "
            f"(DuckDB: {duckdb_members:,} {check})"
        )
        print_line(
            f"  ratios: run / floor {best.seconds / floor_seconds:.1f}, run / DuckDB {best.seconds / duckdb_seconds:.1f}"
        )
        print_line(
            f"  start-up, best of {STARTUP_RUNS} (process start included): {startup(url, work, engine)}"
        )
        day = as_of
        for label, delivery in (
            (
                "the changed citizens' rows alone (as an importer that keeps unchanged citizens' versions stores a full snapshot)",
                changed_only,
            ),
            (
                "the full snapshot, as this importer stores it (every citizen listed gets a new version)",
                second,
            ),
        ):
            day += timedelta(days=1)
            again = fsm(url, work, "import", str(delivery))
            night = fsm(url, work, *run[:2], day.isoformat(), *run[3:])
            incremental = latest_run(engine)
            reference = fsm(url, work, *run[:2], day.isoformat(), *run[3:], "--full")
            differences = stored_differences(engine, incremental, latest_run(engine))
            print_line(
                f"  second night ({CHANGED_SHARE:.0%} of the citizens changed, as of one day later), delivered as {label}; "
                f"import {again.seconds:.1f} s: {night.seconds:.2f} s, {night.cpu:.1f} CPU-s = "
                f"{night.seconds / best.seconds:.0%} of the full run ({night.cpu / best.cpu:.0%} of its CPU); "
                f"a full run of that night {reference.seconds:.2f} s; "
                f"{night.output.splitlines()[-1] if night.output else ''}; it stores "
                + (
                    "exactly what the full run stores"
                    if differences == 0
                    else f"{differences} rows OTHERWISE than the full run"
                )
            )
        engine.dispose()
    return best


def memory(args: argparse.Namespace, kind: str, work: Path, at_timed: Measured) -> None:
    figures = []
    for n in args.memory:
        if n == args.citizens:
            measured = at_timed
        else:
            folder = work / f"{args.shape}-{n}-memory"
            write_first(args.shape, folder, n)
            with database(kind, work, args.postgresql_url) as url:
                fsm(url, work, "import", str(folder))
                measured = fsm(
                    url, work, "run", "--as-of", AS_OF[args.shape].isoformat(), "--workers", str(args.workers)
                )
            shutil.rmtree(folder)
        figures.append(f"{n:,}: {measured.own_mb:,.0f} / {measured.worker_mb:,.0f} MB")
    print_line(f"  peak RSS, the run's process / its largest worker: {'; '.join(figures)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", choices=sorted(AS_OF), default="national")
    parser.add_argument("--citizens", type=int, default=100_000, help="the population timed")
    parser.add_argument(
        "--memory",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[50_000, 100_000, 200_000],
        help="populations whose peak memory is measured, comma-separated",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="full runs timed (the best is shown)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgresql-url", default=PG_URL)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    print_line(f"{args.shape} shape; {os.cpu_count()} cores; {load()}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for kind in kinds:
            print_line(f"{kind}, {args.citizens:,} citizens:")
            best = timed(args, kind, work)
            memory(args, kind, work, best)
    print_line(
        f"done; {load()}; the benchmark's own peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )


if __name__ == "__main__":
    main()
