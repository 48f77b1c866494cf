"""National-size benchmark of the nightly run (not a test: it prints figures).

Generates 100,000 citizens over 98 municipalities (the synthetic Aalborg shape scaled), imports them
into a fresh SQLite database (or DATABASE_URL), then measures in one process:
  * the floor: reading the same rows the run reads, straight from the database;
  * the nightly run end to end: database read → facts → rules (durable-rules) → stored results;
and prints citizens per second, peak memory and the ratio run time / floor.

    .venv/bin/python scripts/benchmark.py [--citizens 100000] [--municipalities 98] [--workers 2]
"""

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.importing import import_folder
from engine.run import nightly_run
from engine.store import KINDS
from engine.synthetic import write_delivery
from engine.synthetic.aalborg import municipalities
from models.database import make_engine, upgrade
from models.db import CitizenVersion

MEMBER_SHARE = 0.8  # the generator adds a quarter as many non-members as members


def peak_memory_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def read_floor(engine) -> tuple[float, int]:  # noqa: ANN001
    """Seconds to fetch every row the run reads (citizens and their timeline tables), and the row count."""
    started = time.perf_counter()
    rows = 0
    with Session(engine) as session:
        rows += len(
            session.execute(
                select(CitizenVersion.citizen_id, CitizenVersion.birth_date, CitizenVersion.death_date)
            ).all()
        )
        for kind in KINDS.values():
            rows += len(session.execute(select(kind.table.citizen_id, *kind.columns())).all())
    return time.perf_counter() - started, rows


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
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        places = list(municipalities(round(args.citizens * MEMBER_SHARE), args.municipalities))
        citizens = write_delivery(work / "delivery", places)
        generated = time.perf_counter()
        import_folder(engine, work / "delivery", report_dir=work / "report")
        imported = time.perf_counter()
        print(f"generated {citizens:,} citizens in {len(places)} municipalities: {generated - started:.1f} s")
        print(
            f"imported the delivery: {imported - generated:.1f} s ({citizens / (imported - generated):,.0f} citizens/s)"
        )

        floor, rows = read_floor(engine)
        print(f"floor: read {rows:,} rows straight from the database: {floor:.2f} s")
        started = time.perf_counter()
        outcome = nightly_run(engine, as_of=date(2018, 3, 2), workers=args.workers)
        elapsed = time.perf_counter() - started
        own, children = peak_memory_mb()
        print(
            f"nightly run ({args.workers} workers): {elapsed:.2f} s for {citizens:,} citizens "
            f"({outcome.decisions:,} decisions stored) = {citizens / elapsed:,.0f} citizens/s end to end"
        )
        print(f"ratio run / floor: {elapsed / floor:.2f}")
        print(f"peak memory: {own:,.0f} MB (main process), {children:,.0f} MB (largest worker)")
        engine.dispose()


if __name__ == "__main__":
    main()
