"""Incremental nights: a run that carries unchanged citizens over from the night before stores
exactly what a full run of the same night stores — on random deliveries (citizens changed or not,
listed again or not) and random steps of the as-of date, night after night — and `fsm explain`,
`fsm audit verify`, the export and the web show the same for both."""

import csv
import json
import random
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic_core import from_json
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.input.importing import import_folder
from engine.runs import audit, results
from engine.runs.digest import stored_digest
from engine.runs.export import jsonl
from engine.runs.run import nightly_run
from engine.synthetic import herning, write_delivery
from engine.synthetic.national import write_national
from models.database import make_engine, upgrade
from models.runs import Run, RunContributions, RunMunicipality, StoredDecision
from tests.conftest import add_web_users, fresh_database
from tests.web import logged_in

GROUPS = {"fsm1": ("1", "2", "3", "udskudt"), "fsm2": ("indsats", "rehab")}


def stored(engine: Engine, run_id: int) -> dict[str, Any]:
    """Everything a run stored that a reader can see, without the ids that number rows."""
    with Session(engine) as session:
        run = session.get_one(Run, run_id)
        rows = [
            (
                r.municipality,
                r.citizen_id or "",
                r.decision,
                r.day,
                r.outcome,
                r.value or "",
                r.group or "",
                json.dumps(r.trace),
                json.dumps(r.verdicts),
                json.dumps(r.facts),
            )
            for r in session.scalars(select(StoredDecision).where(StoredDecision.run_id == run_id))
        ]
        places = [
            (m.municipality, m.status, m.membership_parameters, m.rate_parameters)
            for m in session.scalars(
                select(RunMunicipality)
                .where(RunMunicipality.run_id == run_id)
                .order_by(RunMunicipality.municipality)
            )
        ]
        contributions = {
            c.municipality: from_json(c.citizens)
            for c in session.scalars(select(RunContributions).where(RunContributions.run_id == run_id))
        }
        record = (run.status, run.as_of, run.pack_hash, run.citizens, run.members, run.decisions)
    return {"run": record, "rows": sorted(rows), "places": places, "contributions": contributions}


def parameters(engine: Engine, run_id: int) -> list[tuple[Any, ...]]:
    """The parameter values of each municipality of a run."""
    return [(code, membership, rates) for code, _, membership, rates in stored(engine, run_id)["places"]]


# --- deliveries --------------------------------------------------------------------------------------


def read(folder: Path, name: str) -> list[list[str]]:
    path = folder / name
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write(folder: Path, name: str, rows: list[list[str]]) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def changed(previous: Path, folder: Path, rng: random.Random, share: float, programme: str) -> set[str]:
    """A copy of the delivery in `previous` in which `share` of the citizens changed (a support
    period less, an activity or a visitation more, a death); returns who changed."""
    shutil.copytree(previous, folder)
    ids = [row[0] for row in read(folder, "citizens.csv")[1:]]
    chosen = set(rng.sample(ids, max(1, round(len(ids) * share))))
    citizens = read(folder, "citizens.csv")
    support = read(folder, "support.csv")
    activities, visitations = read(folder, "activities.csv"), read(folder, "visitations.csv")
    visited = {(row[0], row[2]) for row in visitations[1:]}
    for citizen in sorted(chosen):
        kind = rng.randrange(4)
        day = date(2017, 8, 1) + timedelta(days=rng.randrange(1500))
        if kind == 0:
            theirs = [i for i, row in enumerate(support) if row[0] == citizen]
            if theirs:
                del support[theirs[-1]]
        elif kind == 1:
            activities.append(
                [citizen, "ordinaere_timer", day.isoformat(), (day + timedelta(days=20)).isoformat()]
            )
        elif kind == 2 and (citizen, day.isoformat()) not in visited:
            visitations.append([citizen, programme, day.isoformat(), rng.choice(GROUPS[programme])])
        else:
            for row in citizens:
                if row[0] == citizen and not row[2]:
                    row[2] = day.isoformat()
    for name, rows in (
        ("citizens.csv", citizens),
        ("support.csv", support),
        ("activities.csv", activities),
        ("visitations.csv", visitations),
    ):
        write(folder, name, rows)
    return chosen


def only(folder: Path, into: Path, citizens: set[str]) -> Path:
    """The delivery in `folder` restricted to `citizens` (grants stay whole)."""
    into.mkdir()
    for path in folder.glob("*.csv"):
        rows = read(folder, path.name)
        grants = path.name.startswith("grant")
        write(into, path.name, [rows[0], *(row for row in rows[1:] if grants or row[0] in citizens)])
    return into


def first_delivery(programme: str, work: Path, seed: int) -> Path:
    """A small delivery: national-shaped FSM1 citizens in 3 municipalities, or the first 120 of the
    Herning-shaped FSM2 municipality (its generator's own seed: it makes that shape)."""
    folder = work / "d0"
    if programme == "fsm1":
        write_national(folder, 90, municipalities=3, seed=seed)
        return folder
    write_delivery(work / "herning", [herning.municipality()])
    ids = {row[0] for row in read(work / "herning", "citizens.csv")[1:121]}
    return only(work / "herning", folder, ids)


EARLIEST = {"fsm1": date(2017, 1, 1), "fsm2": date(2019, 1, 1)}
"""The first as-of dates on which every parameter of the rates is in force."""
FIRST_DAY = {"fsm1": date(2017, 1, 2), "fsm2": date(2019, 6, 1)}


Step = tuple[int, float, bool]
"""A night: days the as-of date moves, the share of citizens changed, and whether the delivery
lists every citizen again (a full snapshot) or only the changed ones."""


def nights(
    programme: str, work: Path, incremental: Engine, full: Engine, seed: int, day: date, steps: list[Step]
) -> list[tuple[Any, Any]]:
    """The same deliveries imported into both databases; each night run incrementally in one and
    fully in the other. The outcomes of both, night by night."""
    rng = random.Random(seed)
    current = first_delivery(programme, work, seed)
    delivered = current
    outcomes = []
    for night, (days, share, snapshot) in enumerate([(0, 0.0, True), *steps]):
        if night:
            following = work / f"d{night}"
            who = changed(current, following, rng, share, programme)
            delivered = following if snapshot else only(following, work / f"d{night}-changed", who)
            current = following
        for engine in (incremental, full):
            import_folder(engine, delivered, report_dir=work / "reports")
        day = max(day + timedelta(days=days), EARLIEST[programme])
        outcomes.append(
            (
                nightly_run(incremental, programme=programme, as_of=day),
                nightly_run(full, programme=programme, as_of=day, full=True),
            )
        )
    return outcomes


@settings(
    max_examples=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking whole nights takes many minutes
)
@given(
    programme=st.sampled_from(["fsm1", "fsm2"]),
    seed=st.integers(1, 10_000),
    first=st.integers(0, 1000),
    steps=st.lists(
        st.tuples(st.integers(-40, 75), st.sampled_from([0.02, 0.1, 0.4]), st.booleans()),
        min_size=1,
        max_size=3,
    ),
)
def test_an_incremental_night_stores_exactly_what_a_full_run_of_that_night_stores(
    programme, seed, first, steps
):
    with TemporaryDirectory() as directory:
        work = Path(directory)
        incremental, full = (
            make_engine(f"sqlite:///{work / name}.sqlite") for name in ("incremental", "full")
        )
        for engine in (incremental, full):
            upgrade(engine)
        outcomes = nights(
            programme, work, incremental, full, seed, FIRST_DAY[programme] + timedelta(days=first), steps
        )
        for carried, evaluated in outcomes:
            assert stored(incremental, carried.run_id) == stored(full, evaluated.run_id)
            assert evaluated.carried_from is None
            with Session(incremental) as session:  # sealed from the earlier run's rows, as copied
                assert stored_digest(session, carried.run_id) == session.get_one(Run, carried.run_id).digest
        for (before, _), (after, _) in zip(outcomes, outcomes[1:], strict=False):
            if parameters(incremental, before.run_id) != parameters(incremental, after.run_id):
                assert after.carried_from is None  # never from a run of other parameter values
            assert after.carried_from in (None, before.run_id)
        incremental.dispose()
        full.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two empty databases of one kind, at the latest schema."""
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    with (
        fresh_database(request, request.param, tmp_path / "one") as one,
        fresh_database(request, request.param, tmp_path / "two") as two,
    ):
        for engine in (one, two):
            upgrade(engine)
        yield one, two


def test_explain_audit_export_and_the_web_show_the_same_for_an_incremental_and_a_full_run(
    both: tuple[Engine, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    incremental, full = both
    steps = [(31, 0.05, True), (1, 0.05, False)]
    outcomes = nights("fsm1", tmp_path, incremental, full, 7, date(2018, 2, 27), steps)
    carried, evaluated = outcomes[-1]
    assert carried.carried_from == outcomes[-2][0].run_id and 0 < carried.carried < carried.citizens
    snapshot = outcomes[-2][0]  # a full snapshot lists everyone again; the unchanged keep their version
    assert snapshot.carried_from is not None and 0 < snapshot.carried < snapshot.citizens
    assert stored(incremental, carried.run_id) == stored(full, evaluated.run_id)
    verified = audit.verify(incremental, carried.run_id)
    assert verified.identical and verified.decisions == audit.verify(full, evaluated.run_id).decisions
    with Session(incremental) as one, Session(full) as two:
        mine, theirs = results.get_run(one, carried.run_id), results.get_run(two, evaluated.run_id)
        exported = [
            [line.replace(f'"run": {run.id},', '"run": 0,') for line in jsonl(session, run)]
            for session, run in ((one, mine), (two, theirs))
        ]
        assert exported[0] == exported[1] and len(exported[0]) == carried.decisions
        members = one.scalars(
            select(StoredDecision.citizen_id).where(
                StoredDecision.run_id == mine.id, StoredDecision.decision == "fsm1.status"
            )
        ).all()
        for citizen in members[:20]:
            explained = [
                [d.model_dump() for d in results.citizen_decisions(session, run, citizen)]
                for session, run in ((one, mine), (two, theirs))
            ]
            assert explained[0] == explained[1] != []
    pages = []
    for engine, run_id in ((incremental, carried.run_id), (full, evaluated.run_id)):
        add_web_users(engine)
        with logged_in(engine, "carol") as client:
            detail = client.get(f"/api/runs/{run_id}").json()
            code = detail["municipalities"][0]["municipality"]
            listed = client.get(f"/api/runs/{run_id}/municipalities/{code}/members").json()
            citizen = client.get(f"/api/runs/{run_id}/citizens/{listed['members'][0]['ref']}").json()
            pages.append((detail["municipalities"], _without_refs(listed), _without_refs(citizen)))
    assert pages[0] == pages[1]


def _without_refs(document: Any) -> Any:
    """A web document without what numbers rows and runs (references, run ids)."""
    if isinstance(document, dict):
        return {k: _without_refs(v) for k, v in document.items() if k not in ("ref", "run", "run_id", "url")}
    if isinstance(document, list):
        return [_without_refs(v) for v in document]
    return document


def test_a_database_in_memory_carries_and_seals_an_incremental_night_as_a_file_does(tmp_path: Path):
    """Only the run's own connection sees a database in memory: its seal is made from it."""
    incremental, full = make_engine("sqlite://"), make_engine(f"sqlite:///{tmp_path / 'full.sqlite'}")
    for engine in (incremental, full):
        upgrade(engine)
    outcomes = nights("fsm1", tmp_path, incremental, full, 3, date(2018, 2, 27), [(1, 0.05, False)])
    carried, evaluated = outcomes[-1]
    assert carried.carried_from == outcomes[0][0].run_id and carried.carried > 0
    assert stored(incremental, carried.run_id) == stored(full, evaluated.run_id)
    with Session(incremental) as session:
        assert stored_digest(session, carried.run_id) == session.get_one(Run, carried.run_id).digest
