"""Benchmark of the project leaders' workbench (not a test: it prints figures): how long a scenario,
a forecast and the distance to each rate take to answer, as `POST /api/simulations` answers them —
in a process that has imported the product, with nothing of the data in memory yet ("cold", the
first request after a start) and with the base data and evaluations kept from an earlier request
("kept", a project leader trying one scenario after another).

Three municipalities, imported and run (as of 2018-03-02) into fresh SQLite databases:
  * the demo: Aalborg as `fsm demo` builds it, 1,220 members (target: ≤ 2 s);
  * 10,000 members of the same shape (12,500 citizens; target: ≤ 5 s);
  * 10,000 members of the national benchmark shape (../shared/BENCHMARK_DATA.md: ~19 % of the
    citizens are members, so ~52,000 citizens who ever lived there; target: ≤ 5 s).
The scenario is the README's (visitate the rest by May, internships from March), its count scaled to
the municipality. Measured in the same run, in fresh processes of their own: the floor (reading the
municipality's base data from the database, what any answer must do once) and the reference (one
evaluation of every citizen by the rules, what the nightly run does for the municipality). Every
figure is the best of `--repeats` fresh processes; ratios are to the floor and to the reference. The
end-to-end `fsm simulate` (process start included) is printed once per municipality.

    .venv/bin/python scripts/benchmark_simulate.py [--repeats 3] [--skip-national]
"""

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATUS_DAY = date(2018, 3, 2)
SCENARIO = (ROOT / "examples" / "scenarios" / "visitate-and-internships.yaml").read_text(encoding="utf-8")
DEMO_MEMBERS = 1220


def scenario_for(code: str, members: int) -> str:
    """The README's scenario for municipality `code`, its 25 internships scaled to the members."""
    scaled = max(1, round(25 * members / DEMO_MEMBERS))
    return SCENARIO.replace('municipality: "851"', f'municipality: "{code}"').replace(
        "count: 25", f"count: {scaled}"
    )


REFORM = {
    "municipality": None,
    "base": "latest",
    "as_of": "2019-07-31",
    "changes": [
        {"op": "set_parameter", "name": "rate3_share", "value": "0.35"},
        {"op": "visitate", "count": "50%", "date": "2018-04-30", "group": "1", "only_active": True},
    ],
}


def prepare(url: str, folder: str, shape: str) -> None:
    """Generate a shape's delivery and import and run it (in a process of its own)."""
    from engine.input.importing import import_folder
    from engine.runs.run import nightly_run
    from engine.synthetic import aalborg, write_delivery
    from engine.synthetic.national import write_national
    from models.database import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    delivery = Path(folder) / "delivery"
    started = time.perf_counter()
    if shape == "national":
        write_national(delivery, 52_000, municipalities=1)
    else:
        taken: set[str] = set()
        write_delivery(
            delivery,
            [
                aalborg.municipality("851", taken=taken),
                aalborg.municipality("751", 10_000, seed=2019, taken=taken),
            ],
        )
    import_folder(engine, delivery, report_dir=Path(folder) / "report")
    nightly_run(engine, as_of=STATUS_DAY)
    print(f"  prepared the {shape} shape in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def floor_and_reference(url: str, code: str, results: Any) -> None:
    """A fresh process: the base data read (the floor), then every citizen evaluated once (the reference)."""
    from engine.faces.simulate.base import from_database
    from engine.faces.simulate.scenario import BaseRef
    from engine.rules.pack import get_pack
    from engine.rules.programmes import evaluate_municipality
    from models.database import make_engine

    engine = make_engine(url)
    started = time.perf_counter()
    base = from_database(engine, BaseRef(), code, "fsm1")
    read = time.perf_counter()
    result = evaluate_municipality(get_pack("fsm1"), base.grant, base.timelines, date(2019, 7, 31))
    evaluated = time.perf_counter()
    results.put(
        {
            "floor": read - started,
            "reference": evaluated - read,
            "citizens": len(base.timelines),
            "members": result.status.members,
        }
    )


def answers(url: str, code: str, members: int, forecast: bool, results: Any) -> None:
    """A fresh process that has imported the product: the scenario answered cold, then with the data
    kept — the same scenario, another (a reform), the distance and (if asked) the forecast."""
    from engine.faces.simulate.api import EVERY, distance_document, forecast_document, simulate_document
    from engine.faces.simulate.kept import Kept
    from models.database import make_engine

    engine = make_engine(url)
    scenario = scenario_for(code, members)
    kept = Kept()

    def timed(answer: Callable[[], Any]) -> float:
        started = time.perf_counter()
        answer()
        return time.perf_counter() - started

    found = {
        "cold": timed(lambda: simulate_document(scenario, database=engine, municipalities=EVERY)),
        "first, keeping": timed(
            lambda: simulate_document(scenario, database=engine, municipalities=EVERY, kept=kept)
        ),
        "again, kept": timed(
            lambda: simulate_document(scenario, database=engine, municipalities=EVERY, kept=kept)
        ),
        "a reform, kept": timed(
            lambda: simulate_document(
                {**REFORM, "municipality": code}, database=engine, municipalities=EVERY, kept=kept
            )
        ),
        "distance, kept": timed(
            lambda: distance_document(code, database=engine, municipalities=EVERY, kept=kept)
        ),
    }
    if forecast:
        found["forecast, kept"] = timed(
            lambda: forecast_document(code, database=engine, municipalities=EVERY, kept=kept)
        )
    found["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put(found)


def fresh(target: Callable[..., None], *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    found = results.get()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed")
    return found


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: min(run[key] for run in runs) for key in runs[0]}


def end_to_end(url: str, code: str, members: int, folder: Path) -> float:
    path = folder / f"scenario-{code}.yaml"
    path.write_text(scenario_for(code, members), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "fsm"), "simulate", str(path), "--json"],
        check=True,
        capture_output=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    return time.perf_counter() - started


def report(
    name: str, target: float, url: str, code: str, repeats: int, folder: Path, forecast: bool = True
) -> None:
    reference = best([fresh(floor_and_reference, url, code) for _ in range(repeats)])
    members = reference["members"]
    found = best([fresh(answers, url, code, members, forecast) for _ in range(repeats)])
    floor, evaluation = reference["floor"], reference["reference"]
    print(
        f"\n{name}: municipality {code}, {members:,} members of {reference['citizens']:,} citizens "
        f"(best of {repeats} fresh processes)"
    )
    print(
        f"  floor (read the base data): {floor:.2f} s; reference (evaluate every citizen once): {evaluation:.2f} s"
    )
    for key, seconds in found.items():
        if key == "peak MB":
            continue
        verdict = ""
        if key == "cold":
            verdict = f"  [target ≤ {target:.0f} s: {'met' if seconds <= target else 'NOT met'}]"
        print(
            f"  {key:>16}: {seconds:6.2f} s  (× floor {seconds / floor:5.2f}, "
            f"× (floor + reference) {seconds / (floor + evaluation):5.2f}){verdict}"
        )
    if not forecast:
        print(
            "  forecast: not measured (one evaluation per generated change: ~2,000 here; see docs/testing.md)"
        )
    print(f"  peak memory of the answering process: {found['peak MB']:,.0f} MB", flush=True)
    print(
        f"  fsm simulate --json end to end (process start included): {end_to_end(url, code, members, folder):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-national", action="store_true", help="Leave out the national shape")
    args = parser.parse_args()
    print(
        f"load average at the start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)"
    )
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        shapes = ["aalborg"] if args.skip_national else ["aalborg", "national"]
        urls = {}
        for shape in shapes:
            (work / shape).mkdir()
            urls[shape] = f"sqlite:///{work / shape / 'fsm.sqlite'}"
            process = multiprocessing.get_context("spawn").Process(
                target=prepare, args=(urls[shape], str(work / shape), shape)
            )
            process.start()
            process.join()
        report("the demo", 2, urls["aalborg"], "851", args.repeats, work)
        report("10,000 members, the demo's shape", 5, urls["aalborg"], "751", args.repeats, work)
        if not args.skip_national:
            report(
                "10,000 members, the national shape", 5, urls["national"], "101", args.repeats, work, False
            )
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
