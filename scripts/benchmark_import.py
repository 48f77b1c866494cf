"""Benchmark of `fsm import` on the national shape (../shared/BENCHMARK_DATA.md; not a test: it prints figures).

For each population (default 50,000, 100,000 and 200,000 citizens, ~10.5 rows each) it writes the
national delivery (engine.synthetic.national) and, on SQLite and on PostgreSQL, into a fresh
database at the latest schema:
  * imports it with `fsm import` as a user runs it, in a process of its own (its start included),
    and reports rows per second and that process's peak memory (RSS);
  * imports the second night's delivery — the same citizens, 1 % of them changed — likewise;
  * measures the floor in the same run: the bare driver inserting the same rows into the same
    tables (executemany of plain tuples on SQLite, COPY on PostgreSQL), reading excluded;
and prints the ratio of the import to the floor, and PostgreSQL's time to SQLite's. A shared
2-core machine varies by ±10–30 % from run to run: the load average is printed too.

    .venv/bin/python scripts/benchmark_import.py [--citizens 50000 100000 200000] [--postgresql URL | --no-postgresql]
"""

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from engine.input.timelines import KINDS
from engine.synthetic.national import changed_citizens, write_national
from models.database import make_engine, upgrade

FSM = Path(sys.executable).parent / "fsm"
BATCH = 10_000
TIMELINE_FILES = {f"{kind}.csv": kind for kind in KINDS}


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float


def import_process(folder: Path, url: str, work: Path) -> Measured:
    """`fsm import FOLDER` in a process of its own: wall time and the process's peak RSS."""
    environment = {**os.environ, "DATABASE_URL": url, "CI": "true"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(FSM), "import", str(folder), "--report-dir", str(work / f"report-{uuid.uuid4().hex[:6]}")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"fsm import failed: {err or out}")
    return Measured(seconds, usage.ru_maxrss / 1024)


def _rows(path: Path) -> Iterator[list[tuple[str | None, ...]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch: list[tuple[str | None, ...]] = []
        for row in reader:
            batch.append(tuple(cell or None for cell in row))
            if len(batch) >= BATCH:
                yield batch
                batch = []
        yield batch


def floor(folder: Path, url: str) -> float:
    """Seconds the bare driver takes to insert the delivery's rows (reading them excluded)."""
    engine = make_engine(url)
    tables = {"citizens.csv": ("citizen_versions", ("citizen_id", "birth_date", "death_date"))}
    for name, kind in TIMELINE_FILES.items():
        tables[name] = (KINDS[kind].table.__tablename__, ("citizen_id", *KINDS[kind].column_names()))
    with engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        connection.execute(
            text(
                "insert into deliveries (id, imported_at, source, checksum, citizens) values (1, now(), 'floor', 'floor', 0)"
            )
            if engine.dialect.name == "postgresql"
            else text(
                "insert into deliveries (id, imported_at, source, checksum, citizens) values (1, '2020-01-01', 'floor', 'floor', 0)"
            )
        )
        driver = connection.connection.driver_connection
        spent = 0.0
        for name, (table, columns) in tables.items():
            path = folder / name
            if not path.is_file():
                continue
            names = ", ".join(quote(c) for c in ("delivery_id", *columns))
            for batch in _rows(path):
                started = time.perf_counter()
                if engine.dialect.name == "postgresql":
                    with driver.cursor() as cursor, cursor.copy(f"copy {table} ({names}) from stdin") as copy:
                        for row in batch:
                            copy.write_row((1, *row))
                else:
                    marks = ", ".join("?" * len(columns))
                    driver.executemany(f"insert into {quote(table)} ({names}) values (1, {marks})", batch)
                spent += time.perf_counter() - started
        started = time.perf_counter()
        connection.commit()
        spent += time.perf_counter() - started
    engine.dispose()
    return spent


@contextmanager
def fresh(kind: str, work: Path, postgresql: str) -> Iterator[str]:
    """The URL of an empty database at the latest schema: an SQLite file, or a PostgreSQL schema of its own."""
    if kind == "sqlite":
        url = f"sqlite:///{work / f'bench-{uuid.uuid4().hex[:6]}.sqlite'}"
        upgrade(make_engine(url))
        yield url
        return
    schema = f"fsm_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(postgresql)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    url = f"{postgresql}?options=-csearch_path%3D{schema}"
    try:
        upgrade(make_engine(url))
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def main() -> None:
    signal.signal(
        signal.SIGTERM, lambda *_: sys.exit(1)
    )  # a killed benchmark still removes its files and schemas
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    parser.add_argument("--postgresql", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgresql", action="store_true")
    options = parser.parse_args()
    kinds = ["sqlite"] if options.no_postgresql else ["sqlite", "postgresql"]
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="fsm-bench-") as directory:
        work = Path(directory)
        for citizens in options.citizens:
            first, second = work / f"first-{citizens}", work / f"second-{citizens}"
            written = write_national(first, citizens)
            write_national(second, citizens, changed=changed_citizens(citizens))
            print(f"\n{citizens:,} citizens, {written.rows:,} rows (the national shape)")
            seconds: dict[str, float] = {}
            for kind in kinds:
                with fresh(kind, work, options.postgresql) as url:
                    imported = import_process(first, url, work)
                    night = import_process(second, url, work)
                with fresh(kind, work, options.postgresql) as url:
                    bare = floor(first, url)
                seconds[kind] = imported.seconds
                print(
                    f"  {kind:10}  fsm import {imported.seconds:6.2f} s = {written.rows / imported.seconds:9,.0f} rows/s, "
                    f"peak RSS {imported.peak_mb:5.0f} MB; bare driver {bare:5.2f} s "
                    f"({written.rows / bare:9,.0f} rows/s); ratio import / driver {imported.seconds / bare:4.2f}"
                )
                print(
                    f"  {'':10}  second night (1 % changed): {night.seconds:6.2f} s, peak RSS {night.peak_mb:5.0f} MB"
                )
            if len(seconds) == 2:
                print(f"  PostgreSQL / SQLite: {seconds['postgresql'] / seconds['sqlite']:.2f}")
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
