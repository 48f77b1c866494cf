"""National-size benchmark of the nightly run (not a test: it prints figures).

One process generates 100,000 citizens over 98 municipalities (the synthetic Aalborg shape, scaled)
and imports them into a fresh SQLite database (or the empty database of DATABASE_URL). Then a
second process, which has held none of that in memory, measures:
  * the floor: reading every row the run reads (citizens and their timeline tables) straight from
    the database with the product's database layer (SQLAlchemy Core, values typed: dates as dates),
    best of three; and the same rows through the bare driver, untyped, for reference;
  * the nightly run end to end: database read → facts → rules (durable-rules) → stored results,
    three times (three nightly runs over the same data, each stored), best of three like the
    floor, every time printed (a shared 2-core machine varies by ±10 % from run to run);
and prints citizens per second, peak memory (the run's process, and its largest worker) and the
ratio of the run's time to the floor (the median run's too).

    .venv/bin/python scripts/benchmark.py [--citizens 100000] [--municipalities 98] [--workers 2]
"""

import argparse
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from engine.input.importing import import_folder
from engine.input.timelines import KINDS
from engine.runs.run import nightly_run
from engine.synthetic import write_delivery
from engine.synthetic.aalborg import municipalities
from models.database import make_engine, upgrade
from models.db import CitizenVersion

MEMBER_SHARE = 0.8  # the generator adds a quarter as many non-members as members
STATUS_DAY = date(2018, 3, 2)
RUNS = 3


def prepare(url: str, folder: Path, citizens: int, count: int) -> None:
    """Generate the population as a delivery and import it (in a process of its own)."""
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    places = list(municipalities(round(citizens * MEMBER_SHARE), count))
    written = write_delivery(folder / "delivery", places)
    generated = time.perf_counter()
    import_folder(engine, folder / "delivery", report_dir=folder / "report")
    imported = time.perf_counter()
    print(f"generated {written:,} citizens in {len(places)} municipalities: {generated - started:.1f} s")
    print(
        f"imported the delivery: {imported - generated:.1f} s ({written / (imported - generated):,.0f} citizens/s)"
    )
    engine.dispose()


def statements() -> list:
    return [
        select(CitizenVersion.citizen_id, CitizenVersion.birth_date, CitizenVersion.death_date),
        *(select(kind.table.citizen_id, *kind.columns()) for kind in KINDS.values()),
    ]


def read_floor(engine: Engine) -> tuple[float, int]:
    """Seconds to fetch every row the run reads, typed, through SQLAlchemy Core (best of three)."""
    best, rows = float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        with engine.connect() as connection:
            rows = sum(len(connection.execute(statement).all()) for statement in statements())
        best = min(best, time.perf_counter() - started)
    return best, rows


def read_raw(engine: Engine) -> float:
    """The same rows through the bare database driver, values as the driver gives them (best of three)."""
    compiled = [str(statement.compile(engine)) for statement in statements()]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            for sql in compiled:
                cursor.execute(sql)
                cursor.fetchall()
        finally:
            connection.close()
        best = min(best, time.perf_counter() - started)
    return best


def measure(url: str, workers: int) -> None:
    """The floor and the nightly run, in one process (of its own: its peak memory is the run's)."""
    engine = make_engine(url)
    floor, rows = read_floor(engine)
    raw = read_raw(engine)
    print(
        f"floor: read {rows:,} rows with SQLAlchemy Core, typed: {floor:.2f} s (bare driver, untyped: {raw:.2f} s)"
    )
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        outcome = nightly_run(engine, as_of=STATUS_DAY, workers=workers)
        times.append(time.perf_counter() - started)
    best, median = min(times), statistics.median(times)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"nightly run ({workers} workers), best of {RUNS}: {best:.2f} s for {outcome.citizens:,} citizens "
        f"({outcome.decisions:,} decisions stored) = {outcome.citizens / best:,.0f} citizens/s end to end "
        f"(every run: {', '.join(f'{t:.2f}' for t in times)} s)"
    )
    print(
        f"ratio run / floor: {best / floor:.2f} (median run: {median / floor:.2f}; "
        f"run / bare driver: {best / raw:.2f})"
    )
    print(f"peak memory: {own:,.0f} MB (the run's process), {children:,.0f} MB (its largest worker)")
    engine.dispose()


def in_a_process(target, *args: object) -> None:  # noqa: ANN001 - a function to run
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--municipalities", type=int, default=98)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'benchmark.sqlite'}"
        in_a_process(prepare, url, work, args.citizens, args.municipalities)
        in_a_process(measure, url, args.workers)


if __name__ == "__main__":
    main()
