"""The nightly eligibility run: read the data as of the last delivery → facts → rules → stored results.

A run is all-or-nothing. It first records itself as `running` (committed), then writes every result
and its `finished` status in one transaction. Killed half-way, it leaves only the `running` row,
which the next run marks `failed` before it starts. Only one run writes at a time: the run lock is
a PostgreSQL session advisory lock, or an OS file lock beside an SQLite database; both vanish with
the process, so a killed run never leaves a stale lock behind.
"""

import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.timelines import latest_delivery, load_grant_years, load_grants
from engine.rules.pack import Pack, get_pack
from engine.rules.programmes import check_decidable
from engine.runs.batch import (
    DECISION_COLUMNS,
    CitizensDone,
    EvidenceValues,
    MunicipalityDone,
    Row,
    evaluate_run,
    plan_run,
)
from engine.runs.digest import Seal
from models.runs import Evidence, RulePack, Run, RunMunicipality, StoredDecision
from models.status import MunicipalityStatus

log = logging.getLogger(__name__)
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


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    statuses: list[MunicipalityStatus]
    """In municipality order."""
    citizens: int
    decisions: int
    interrupted: list[int]


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
    check_decidable(pack, as_of)
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
            plan = plan_run(
                engine,
                pack,
                grants,
                as_of,
                delivery=delivery,
                grant_years=grant_years,
                municipality=municipality,
            )
            if on_start:
                on_start(run_id, plan.citizens)
            outcome = _store(engine, run_id, evaluate_run(plan, workers=workers), advance)
        except BaseException as error:
            with Session(engine) as session, session.begin():
                session.execute(
                    update(Run)
                    .where(Run.id == run_id)
                    .values(status="failed", error=repr(error), finished_at=_now())
                )
            raise
    return RunOutcome(run_id, *outcome, interrupted)


def _store(
    engine: Engine,
    run_id: int,
    results: Iterable[CitizensDone | MunicipalityDone],
    advance: Callable[[int], None] | None,
) -> tuple[list[MunicipalityStatus], int, int]:
    """Every result, as it arrives, then the `finished` status and the run's seal (its digest), in
    one transaction. Returns the statuses (in municipality order), and how many citizens and
    decisions were stored."""
    statuses: list[MunicipalityStatus] = []
    citizens = decisions = 0
    seal = Seal()
    with collector_paused(), Session(engine) as session, session.begin():
        connection = session.connection()
        insert_decisions = _bulk_insert(
            connection, StoredDecision.__tablename__, ("run_id", *DECISION_COLUMNS)
        )
        evidence = _EvidenceIds(
            _bulk_insert(connection, Evidence.__tablename__, ("run_id", "id", "verdicts", "facts")), run_id
        )
        for result in results:
            seal.add(result)
            ids = evidence.store(result.evidence)
            insert_decisions([(run_id, *row[:-1], ids[row[-1]]) for row in result.rows])
            decisions += len(result.rows)
            if isinstance(result, CitizensDone):
                citizens += result.citizens
                if advance:
                    advance(result.citizens)
                continue
            session.add(
                RunMunicipality(
                    run_id=run_id,
                    municipality=result.status.municipality,
                    status=result.status.model_dump(mode="json"),
                    membership_parameters=result.membership_params,
                    rate_parameters=result.rate_params,
                )
            )
            statuses.append(result.status)
        session.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(
                status="finished",
                finished_at=_now(),
                citizens=citizens,
                members=sum(s.members for s in statuses),
                decisions=decisions,
            )
        )
        seal.close(session, run_id)
    log.info("run %s finished: %d decisions stored (pid %d)", run_id, decisions, os.getpid())
    return sorted(statuses, key=lambda s: s.municipality), citizens, decisions


class _EvidenceIds:
    """The run's evidence ids: each distinct evidence is stored once, numbered in the order met."""

    def __init__(self, insert: Callable[[list[Row]], None], run_id: int) -> None:
        self._insert, self._run_id = insert, run_id
        self._ids: dict[EvidenceValues, int] = {}

    def store(self, evidence: list[EvidenceValues]) -> list[int]:
        """The ids of a result's evidence (in its order), storing the evidence not met before."""
        known = len(self._ids)
        ids = [self._ids.setdefault(values, len(self._ids)) for values in evidence]
        new = [(self._run_id, i, *values) for i, values in zip(ids, evidence, strict=True) if i >= known]
        self._insert(new)
        return ids


def _bulk_insert(connection: Connection, table: str, columns: Sequence[str]) -> Callable[[list[Row]], None]:
    """An insert of many plain rows straight through the database driver: the run writes a row per
    citizen decision, and SQLAlchemy's per-value processing would cost more than the database.
    PostgreSQL gets them by COPY, an order of magnitude cheaper than as many inserts."""
    names = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    if connection.dialect.name == "postgresql":
        return partial(_copy, connection, f"copy {table} ({names}) from stdin")
    marks = ", ".join(["?" if connection.dialect.paramstyle == "qmark" else "%s"] * len(columns))
    return partial(_insert, connection, f"insert into {table} ({names}) values ({marks})")


def _insert(connection: Connection, statement: str, rows: list[Row]) -> None:
    if rows:
        connection.exec_driver_sql(statement, rows)


def _copy(connection: Connection, statement: str, rows: list[Row]) -> None:
    if rows:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
