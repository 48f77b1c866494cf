"""The nightly eligibility run: read the data as of the last delivery → facts → rules → stored results.

A run is all-or-nothing. It first records itself as `running` (committed), then writes every result
and its `finished` status in one transaction. Stopped with SIGTERM, it marks itself `failed` and
frees the lock at once; killed half-way (SIGKILL), it leaves only the `running` row, which the next
run marks `failed` before it starts. Only one run writes at a time: the run lock is a PostgreSQL
session advisory lock, or an OS file lock beside an SQLite database; both vanish with the process
(its workers never hold them: engine/workers.py), so a killed run leaves no stale lock behind.

Unless asked for a full run, a run carries over the unchanged citizens of the night before
(engine/runs/carry.py): it evaluates only the others, and concludes every municipality again.
"""

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from hashlib import blake2b
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.timelines import latest_delivery, load_grant_years, load_grants
from engine.rules.pack import Pack, get_pack
from engine.rules.programmes import check_decidable
from engine.runs import carry
from engine.runs.batch import (
    DECISION_COLUMNS,
    CitizensDone,
    EvidenceValues,
    Plan,
    Row,
    evaluate_run,
    prepare_run,
    whole,
)
from engine.runs.digest import Seal
from models.runs import Evidence, RulePack, Run, RunContributions, RunMunicipality, StoredDecision
from models.status import MunicipalityStatus

log = logging.getLogger(__name__)
ADVISORY_LOCK_KEY = 0x46534D01  # "FSM" 1; the second key is the schema, so each schema has its own lock


LOCK_WAIT = 1.0
"""Seconds a run waits for the lock before it is refused: the lock of a run killed a moment ago
goes with its process, but a database server may take some milliseconds to see that it went."""


class RunRefused(RuntimeError):
    """Another run holds the run lock."""


class Terminated(BaseException):
    """The run's process was asked to stop (SIGTERM); the run is marked failed and the lock freed."""


def _waiting(attempt: Callable[[], bool]) -> bool:
    """Whether `attempt` succeeds within LOCK_WAIT seconds."""
    deadline = time.monotonic() + LOCK_WAIT
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


_LOCK_FILES: list[int] = []
"""The descriptors of the lock files this process holds: a forked child closes its copies, so a
lock is never kept by a child (an OS file lock is shared by every copy of its descriptor)."""


def _close_lock_files() -> None:
    for fd in _LOCK_FILES:
        os.close(fd)
    _LOCK_FILES.clear()


os.register_at_fork(after_in_child=_close_lock_files)


@contextmanager
def run_lock(engine: Engine) -> Iterator[None]:
    """Hold the one run lock of this database for the duration of the block, or raise RunRefused."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            if not _waiting(
                lambda: connection.execute(
                    text("select pg_try_advisory_lock(:k, hashtext(current_schema()))"),
                    {"k": ADVISORY_LOCK_KEY},
                ).scalar()
            ):
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
        if not _waiting(lambda: _flocked(handle.fileno())):
            raise RunRefused(f"another run is writing to {database}; try again when it has finished")
        _LOCK_FILES.append(handle.fileno())
        try:
            yield
        finally:
            _LOCK_FILES.remove(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)


def _flocked(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated (once; a second SIGTERM while the run is being
    marked failed is ignored). Only the main thread can handle signals: elsewhere, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    owner = os.getpid()

    def stop(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a worker forked a moment ago, before it could set its own handler
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated("stopped by SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    carried_from: int | None = None
    """The run whose decisions about unchanged citizens were carried over (None: a full run)."""
    carried: int = 0
    """How many citizens were carried over rather than evaluated."""


def nightly_run(
    engine: Engine,
    *,
    programme: str = "fsm1",
    as_of: date,
    municipality: str | None = None,
    advance: Callable[[int], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    workers: int = 1,
    full: bool = False,
) -> RunOutcome:
    """Evaluate every municipality with a grant (or the one given) as of `as_of`, and store the run;
    unless `full`, the citizens that can be carried over from the night before are (carry.py).

    `on_start(run_id, citizens)` is told how many citizens there are to evaluate; `advance(n)` as
    they are done.
    """
    pack = get_pack(programme)
    check_decidable(pack, as_of)
    with _stopped_by_sigterm(), run_lock(engine):
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
            work = prepare_run(
                engine,
                pack,
                grants,
                as_of,
                delivery=delivery,
                grant_years=grant_years,
                municipality=municipality,
            )
            plan = None
            if not full:
                with Session(engine) as session:
                    base = carry.base_run(session, session.get_one(Run, run_id), work)
                    if base is not None:
                        plan = carry.carry_over(session, base, work, as_of)
            if plan is None:
                plan = whole(work)
            if on_start:
                on_start(run_id, plan.citizens - (plan.carried.citizens if plan.carried else 0))
            outcome = _store(engine, run_id, as_of, plan, workers, advance)
        except BaseException as error:
            with Session(engine) as session, session.begin():
                session.execute(
                    update(Run)
                    .where(Run.id == run_id)
                    .values(status="failed", error=repr(error), finished_at=_now())
                )
            raise
    carried = plan.carried
    return RunOutcome(
        run_id, *outcome, interrupted, carried and carried.run_id, carried.citizens if carried else 0
    )


def _store(
    engine: Engine,
    run_id: int,
    as_of: date,
    plan: Plan,
    workers: int,
    advance: Callable[[int], None] | None,
) -> tuple[list[MunicipalityStatus], int, int]:
    """Every result as it arrives, the carried decisions (copied by the database while the workers
    conclude the municipalities), and then the `finished` status and the run's seal (its digest),
    in one transaction. Returns the
    statuses (in municipality order), and how many citizens and decisions were stored."""
    statuses: list[MunicipalityStatus] = []
    carried = plan.carried
    decisions = 0
    seal = Seal()
    if carried is not None:
        seal.carrying(engine, carried, as_of, carry.evaluated_citizens(plan))
    with collector_paused(), Session(engine) as session, session.begin():
        connection = session.connection()

        def copy_carried() -> None:
            nonlocal decisions
            if carried is not None:
                decisions += carry.copy_carried(connection, run_id, as_of, plan)

        insert_decisions = _bulk_insert(
            connection, StoredDecision.__tablename__, ("run_id", *DECISION_COLUMNS)
        )
        insert_contributions = _bulk_insert(
            connection, RunContributions.__tablename__, ("run_id", "municipality", "citizens")
        )
        evidence = _EvidenceIds(
            _bulk_insert(connection, Evidence.__tablename__, ("run_id", "id", "verdicts", "facts")),
            run_id,
            first=carried.evidence_from if carried else 0,
        )
        with closing(evaluate_run(plan, workers=workers, concluding=copy_carried)) as results:
            for result in results:
                seal.add(result)
                ids = evidence.store(result.evidence)
                insert_decisions([(run_id, *row[:-1], ids[row[-1]]) for row in result.rows])
                decisions += len(result.rows)
                if isinstance(result, CitizensDone):
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
                insert_contributions([(run_id, result.status.municipality, result.contributions)])
                statuses.append(result.status)
        session.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(
                status="finished",
                finished_at=_now(),
                citizens=plan.citizens,
                members=sum(s.members for s in statuses),
                decisions=decisions,
                carried_from=carried and carried.run_id,
                carried=carried.citizens if carried else 0,
            )
        )
        seal.close(session, run_id)
    log.info("run %s finished: %d decisions stored (pid %d)", run_id, decisions, os.getpid())
    return sorted(statuses, key=lambda s: s.municipality), plan.citizens, decisions


class _EvidenceIds:
    """The run's evidence ids: each distinct evidence is stored once, numbered in the order met
    (from `first`: the ids below are carried evidence). Evidence met is known by a 128-bit digest of
    its JSON, not by the JSON itself: on national data nearly every decision rests on evidence of its
    own, and keeping all of it (~600 bytes each) made the parent's memory grow with the population."""

    def __init__(self, insert: Callable[[list[Row]], None], run_id: int, first: int = 0) -> None:
        self._insert, self._run_id, self._first = insert, run_id, first
        self._ids: dict[bytes, int] = {}

    def store(self, evidence: list[EvidenceValues]) -> list[int]:
        """The ids of a result's evidence (in its order), storing the evidence not met before."""
        known, first = len(self._ids), self._first
        ids = [self._ids.setdefault(_digest(values), first + len(self._ids)) for values in evidence]
        new = [
            (self._run_id, i, *values) for i, values in zip(ids, evidence, strict=True) if i >= first + known
        ]
        self._insert(new)
        return ids


def _digest(values: EvidenceValues) -> bytes:
    verdicts, facts = values
    return blake2b(f"{verdicts}\0{facts}".encode(), digest_size=16).digest()


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
