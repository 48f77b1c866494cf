"""The nightly eligibility run: read the data as of the last delivery → facts → rules → stored results.

A run is all-or-nothing. It first records itself as `running` (committed), then writes every result
and its `finished` status in one transaction. Killed half-way, it leaves only the `running` row,
which the next run marks `failed` before it starts. Only one run writes at a time: the run lock is
a PostgreSQL session advisory lock, or an OS file lock beside an SQLite database; both vanish with
the process, so a killed run never leaves a stale lock behind.
"""

import fcntl
import logging
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from engine.decide import Evaluation
from engine.pack import Pack, get_pack
from engine.programmes import MunicipalityResult, programme_of
from engine.runner import Runner, runner
from engine.store import latest_delivery, load_grant_years, load_grants, load_timelines
from models.domain import CitizenTimeline, Grant, GrantYear
from models.runs import RulePack, Run, RunMunicipality, StoredDecision
from models.status import MunicipalityStatus
from models.trace import Decision

log = logging.getLogger(__name__)
DECISIONS = StoredDecision.__table__
ADVISORY_LOCK_KEY = 0x46534D01  # "FSM" 1; the second key is the schema, so each schema has its own lock


class RunRefused(RuntimeError):
    """Another run holds the run lock."""


@contextmanager
def run_lock(engine: Engine) -> Iterator[None]:
    """Hold the one run lock of this database for the duration of the block, or raise RunRefused."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            if not connection.execute(
                text("select pg_try_advisory_lock(:k, hashtext(current_schema()))"), {"k": ADVISORY_LOCK_KEY}
            ).scalar():
                raise RunRefused("another run is writing to this database; try again when it has finished")
            try:
                yield
            finally:
                connection.execute(
                    text("select pg_advisory_unlock(:k, hashtext(current_schema()))"),
                    {"k": ADVISORY_LOCK_KEY},
                )
                connection.commit()
        return
    database = engine.url.database
    path = Path(f"{database}.run-lock") if database and database != ":memory:" else None
    if path is None:
        yield
        return
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunRefused(
                f"another run is writing to {database}; try again when it has finished"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def store_pack(session: Session, pack: Pack) -> None:
    """Keep the pack's files by content hash (once), so its traces can be rebuilt and its runs replayed."""
    if session.get(RulePack, pack.content_hash) is None:
        session.add(
            RulePack(
                content_hash=pack.content_hash,
                programme=pack.programme,
                version=pack.version,
                files=pack.files,
            )
        )


def fail_interrupted(session: Session) -> list[int]:
    """Mark runs left `running` (their process is gone: we hold the run lock) as failed."""
    stale = list(session.scalars(select(Run.id).where(Run.status == "running")))
    if stale:
        session.execute(
            update(Run)
            .where(Run.id.in_(stale))
            .values(
                status="failed",
                error="interrupted: found still running when a later run started",
                finished_at=_now(),
            )
        )
        log.warning("marked interrupted runs as failed: %s", stale)
    return stale


def _now() -> datetime:
    return datetime.now(UTC)


def residents(timelines: list[CitizenTimeline]) -> dict[str, list[CitizenTimeline]]:
    """Citizens by every municipality they ever lived in (each is evaluated in each)."""
    by_municipality: dict[str, list[CitizenTimeline]] = defaultdict(list)
    for timeline in timelines:
        for code in {r.municipality for r in timeline.residence}:
            by_municipality[code].append(timeline)
    return by_municipality


def json_ready(value: Any) -> Any:
    return to_jsonable_python(value)


def evaluation_row(evaluation: Evaluation) -> dict[str, Any]:
    """A citizen's decision as a `decisions` row (without its run id)."""
    return {
        "municipality": evaluation.municipality,
        "citizen_id": evaluation.subject,
        "decision": evaluation.decision,
        "day": evaluation.day,
        "outcome": evaluation.passed,
        "value": evaluation.detail.get("exit_status"),
        "group": evaluation.detail.get("group"),
        "verdicts": dict(evaluation.verdicts),
        "facts": evaluation.facts,
        "trace": None,
    }


def rate_row(decision: Decision) -> dict[str, Any]:
    """A rate decision as a `decisions` row, with its whole trace (without its run id)."""
    return {
        "municipality": decision.municipality,
        "citizen_id": None,
        "decision": decision.decision,
        "day": decision.decided_on,
        "outcome": decision.outcome,
        "value": decision.decided_on.isoformat() if decision.outcome else None,
        "group": None,
        "verdicts": {},
        "facts": json_ready(decision.detail),
        "trace": json_ready([entry.model_dump() for entry in decision.trace]),
    }


@dataclass(frozen=True)
class Evaluated:
    """One municipality's results, ready to store (what a worker process sends back)."""

    status: MunicipalityStatus
    rows: list[dict[str, Any]]
    membership_params: dict[str, Any]
    rate_params: dict[str, Any]


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    results: list[Evaluated]
    interrupted: list[int]


def evaluated(result: MunicipalityResult) -> Evaluated:
    """Decisions as table rows: citizens' facts and verdicts; rates with their whole trace."""
    rows = [evaluation_row(e) for e in result.evaluations]
    rows.extend(rate_row(decision) for decision in result.rates)
    return Evaluated(
        result.status, rows, json_ready(dict(result.membership_params)), json_ready(dict(result.rate_params))
    )


# What forked workers read: set by the parent just before it forks, never changed after.
_WORK: dict[str, Any] = {}


def _evaluate_one(grant: Grant) -> Evaluated:
    work = _WORK
    citizens = work["by_municipality"].get(grant.municipality, [])
    pack = work["pack"]
    return evaluated(
        programme_of(pack).evaluate_municipality(
            pack,
            grant,
            citizens,
            work["as_of"],
            grant_years=work["grant_years"].get(grant.municipality, ()),
            engine=work["runner"](),
        )
    )


def evaluate_grants(
    pack: Pack,
    grants: list[Grant],
    by_municipality: dict[str, list[CitizenTimeline]],
    as_of: date,
    *,
    grant_years: Sequence[GrantYear] = (),
    workers: int,
    advance: Callable[[int], None] | None = None,
) -> list[Evaluated]:
    """Evaluate each municipality, in `workers` forked processes when more than one; results in
    municipality order whatever order they finish in, so a run gives the same results every time."""
    ordered = sorted(grants, key=lambda g: g.municipality)
    years: dict[str, list[GrantYear]] = defaultdict(list)
    for year in grant_years:
        years[year.municipality].append(year)
    _WORK.update(pack=pack, by_municipality=by_municipality, grant_years=years, as_of=as_of, runner=runner)
    results: dict[str, Evaluated] = {}
    try:
        if workers > 1 and len(ordered) > 1:
            _WORK["runner"] = Runner  # a fresh durable host in each worker
            largest_first = sorted(ordered, key=lambda g: -len(by_municipality.get(g.municipality, [])))
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for result in pool.imap_unordered(_evaluate_one, largest_first, chunksize=1):
                    results[result.status.municipality] = result
                    if advance:
                        advance(len(by_municipality.get(result.status.municipality, [])))
        else:
            for grant in ordered:
                results[grant.municipality] = _evaluate_one(grant)
                if advance:
                    advance(len(by_municipality.get(grant.municipality, [])))
    finally:
        _WORK.clear()
    return [results[g.municipality] for g in ordered]


def nightly_run(
    engine: Engine,
    *,
    programme: str = "fsm1",
    as_of: date,
    municipality: str | None = None,
    advance: Callable[[int], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> RunOutcome:
    """Evaluate every municipality with a grant (or the one given) as of `as_of`, and store the run.

    `on_start(run_id, citizens)` is told how much work there is; `advance(n)` as it is done.
    """
    pack = get_pack(programme)
    with run_lock(engine):
        with Session(engine) as session, session.begin():
            interrupted = fail_interrupted(session)
            store_pack(session, pack)
            delivery = latest_delivery(session)
            grants = [
                g
                for g in load_grants(session, delivery=delivery, programme=programme)
                if municipality is None or g.municipality == municipality
            ]
            grant_years = load_grant_years(session, delivery=delivery, programme=programme)
            run = Run(
                programme=programme,
                as_of=as_of,
                municipality=municipality,
                pack_hash=pack.content_hash,
                delivery_id=delivery,
                started_at=_now(),
                status="running",
            )
            session.add(run)
            session.flush()
            run_id = run.id
        log.info(
            "run %s: %s as of %s, delivery %s, %d municipalities",
            run_id,
            programme,
            as_of,
            delivery,
            len(grants),
        )
        try:
            with Session(engine) as session:
                timelines = list(load_timelines(session, delivery=delivery))
            by_municipality = residents(timelines)
            if on_start:
                on_start(run_id, sum(len(by_municipality.get(g.municipality, [])) for g in grants))
            results = evaluate_grants(
                pack,
                grants,
                by_municipality,
                as_of,
                grant_years=grant_years,
                workers=workers,
                advance=advance,
            )
            _store(engine, run_id, results)
        except BaseException as error:
            with Session(engine) as session, session.begin():
                session.execute(
                    update(Run)
                    .where(Run.id == run_id)
                    .values(status="failed", error=repr(error), finished_at=_now())
                )
            raise
    return RunOutcome(run_id, results, interrupted)


def _store(engine: Engine, run_id: int, results: list[Evaluated]) -> None:
    """Every result and the `finished` status, in one transaction."""
    with Session(engine) as session, session.begin():
        decisions = 0
        citizens: set[str] = set()
        for result in results:
            session.add(
                RunMunicipality(
                    run_id=run_id,
                    municipality=result.status.municipality,
                    status=result.status.model_dump(mode="json"),
                    membership_parameters=result.membership_params,
                    rate_parameters=result.rate_params,
                )
            )
            connection = session.connection()
            for start in range(0, len(result.rows), 5000):
                batch = result.rows[start : start + 5000]
                connection.execute(DECISIONS.insert(), [{**row, "run_id": run_id} for row in batch])
            decisions += len(result.rows)
            citizens.update(row["citizen_id"] for row in result.rows if row["citizen_id"] is not None)
        session.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(
                status="finished",
                finished_at=_now(),
                citizens=len(citizens),
                members=sum(r.status.members for r in results),
                decisions=decisions,
            )
        )
    log.info("run %s finished: %d decisions stored (pid %d)", run_id, decisions, os.getpid())
