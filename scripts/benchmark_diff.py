"""National-size benchmark of the audit trail (not a test: it prints figures): the seal a run stores
as it finishes, the stored diff between two nights, and every diff route of the web.

Builds the national shape (engine/synthetic/national.py: 100,000 citizens over 98 municipalities)
in a fresh SQLite database (or the empty database of DATABASE_URL): delivery 1 and a run as of
2019-07-31; delivery 2, in which 1 % of the citizens changed, and a run as of 2019-08-01 — two
nights. Then measures, best of three, with a floor and a reference from the same run:
  * the seal: making run 2's digest from its results as they are stored, against the nightly run
    itself (the reference: the seal's share of it) and hashing the same rows' text (the floor);
  * the diff of runs 1 and 2, computed from nothing, against reading both runs' decision rows with
    the bare driver (the floor: any diff must read them once);
  * each diff route, server side (in-process), once the diff is stored: the page with the summary,
    later pages, a municipality's changes, the JSON API; and the first call of a pair never
    compared (it computes the diff).

    .venv/bin/python scripts/benchmark_diff.py [--citizens 100000] [--municipalities 98] [--workers 2]
"""

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from engine.faces.users import add_user, load_users
from engine.faces.web import create_app
from engine.input.importing import import_folder
from engine.input.timelines import load_grants
from engine.rules.pack import get_pack
from engine.runs import diff as diffs
from engine.runs import results
from engine.runs.batch import evaluate_run, prepare_run, whole
from engine.runs.digest import LINE, Seal
from engine.runs.run import nightly_run
from engine.synthetic.national import changed_citizens, write_national
from models.database import make_engine, upgrade
from models.runs import RunDiff, StoredDecision

NIGHTS = (date(2019, 7, 31), date(2019, 8, 1))
PASSWORD = "benchmark-password-1"


def best_of(work: Callable[[], object], times: int = 3) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(engine: Engine, folder: Path, citizens: int, municipalities: int, workers: int) -> float:
    """The two nights; returns the second night's run time (the seal's reference)."""
    changed = changed_citizens(citizens)
    write_national(folder / "d1", citizens, municipalities=municipalities)
    write_national(folder / "d2", citizens, municipalities=municipalities, changed=changed, only=changed)
    import_folder(engine, folder / "d1", report_dir=folder / "r1")
    nightly_run(engine, as_of=NIGHTS[0], workers=workers)
    import_folder(engine, folder / "d2", report_dir=folder / "r2")
    started = time.perf_counter()
    nightly_run(engine, as_of=NIGHTS[1], workers=workers)
    return time.perf_counter() - started


def seal_cost(engine: Engine, run_seconds: float, workers: int) -> None:
    pack = get_pack("fsm1")
    with Session(engine) as session:
        run = results.get_run(session, 2)
        grants = load_grants(session, delivery=run.delivery_id, programme="fsm1")
    plan = whole(prepare_run(engine, pack, grants, run.as_of, delivery=run.delivery_id))
    made = list(evaluate_run(plan, workers=workers))
    rows = sum(len(r.rows) for r in made)

    def seal() -> None:
        sealing = Seal()
        for result in made:
            sealing.add(result)

    def floor() -> None:
        digest = hashlib.sha256()
        for result in made:
            digest.update("\n".join(LINE % (*r[:8], "") for r in result.rows).encode())

    cost, bare = best_of(seal), best_of(floor)
    print(
        f"seal: {cost:.3f} s for {rows:,} decision rows ({cost / rows * 1e6:.2f} µs a row) = "
        f"{100 * cost / run_seconds:.1f} % of the nightly run ({run_seconds:.2f} s); "
        f"ratio seal / floor (the rows' text hashed, no evidence, no sort): {cost / bare:.2f}"
    )


def diff_cost(engine: Engine) -> None:
    def compute() -> None:
        with Session(engine) as session:
            session.execute(delete(RunDiff))
            session.commit()
            diffs.compare(session, results.get_run(session, 1), results.get_run(session, 2))

    def floor() -> None:
        sql = str(
            select(StoredDecision.citizen_id, StoredDecision.municipality, StoredDecision.decision)
            .where(StoredDecision.run_id == 1)
            .compile(engine, compile_kwargs={"literal_binds": True})
        )
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            for run in (1, 2):
                cursor.execute(sql.replace("run_id = 1", f"run_id = {run}"))
                cursor.fetchall()
        finally:
            connection.close()

    cost, bare = best_of(compute), best_of(floor)
    with Session(engine) as session:
        found = diffs.compare(session, results.get_run(session, 1), results.get_run(session, 2))
    print(
        f"diff of runs 1 and 2 from nothing: {cost:.3f} s ({found.total:,} citizens' changes, "
        f"{len(found.summary['municipalities'])} municipalities changed); floor (both runs' rows, bare driver): "
        f"{bare:.3f} s; ratio {cost / bare:.2f}"
    )


def routes(engine: Engine, folder: Path) -> None:
    users = folder / "users.toml"
    add_user(users, "bench", "auditor", PASSWORD)
    with Session(engine) as session:
        found = diffs.compare(session, results.get_run(session, 1), results.get_run(session, 2))
        place = max(found.summary["municipalities"], key=lambda m: m["citizens"])["code"]
    last = max(1, -(-found.total // 200))
    paths = [
        "/diff?first=1&second=2",
        "/diff?first=1&second=2&page=2",
        f"/diff?first=1&second=2&page={last}",
        f"/diff?first=1&second=2&municipality={place}",
        "/api/diff?first=1&second=2",
        "/api/diff?first=1&second=2&page=2&per_page=100",
        f"/api/diff?first=1&second=2&municipality={place}&per_page=1000",
    ]
    with TestClient(create_app(engine, load_users(users))) as client:
        client.auth = ("bench", PASSWORD)

        def get(path: str) -> Callable[[], None]:
            def call() -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code, response.text[:200])

            return call

        for path in paths:
            print(f"  {best_of(get(path)):.3f} s  GET {path}")

        def first_call() -> None:
            with Session(engine) as session:
                session.execute(delete(RunDiff))
                session.commit()
            started = time.perf_counter()
            get("/api/diff?first=1&second=2")()
            times.append(time.perf_counter() - started)

        times: list[float] = []
        for _ in range(3):
            first_call()
        print(
            f"  {min(times):.3f} s  GET /api/diff?first=1&second=2, the first call of a pair: computes and "
            f"stores the diff (every try: {', '.join(f'{t:.3f}' for t in times)} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=100_000)
    parser.add_argument("--municipalities", type=int, default=98)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        engine = make_engine(os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'benchmark.sqlite'}")
        upgrade(engine)
        print(f"building two nights of {args.citizens:,} citizens ({load()})")
        run_seconds = build(engine, folder, args.citizens, args.municipalities, args.workers)
        print(f"measuring ({load()})")
        seal_cost(engine, run_seconds, args.workers)
        diff_cost(engine)
        print("diff routes, server side (in-process, best of three):")
        routes(engine, folder)
        print(f"done ({load()})")
        engine.dispose()


if __name__ == "__main__":
    main()
