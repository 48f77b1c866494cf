"""Evaluating every municipality with a grant over the data as known after one delivery, in parallel.

Two steps, so that a national population spreads over the machine's cores and never has to be held
in memory at once:

1. **Citizens** (map): the citizens are cut into chunks of consecutive ids; a worker process reads a
   chunk's timelines from the database itself and decides on each citizen in each municipality
   with a grant they ever lived in (`Programme.evaluate_citizen`). It sends back the decisions as
   table rows, ready to store, and each citizen's contribution to the municipality's totals.
2. **Municipalities** (reduce): each municipality's contributions, in citizen order, become its
   status and rate decisions (`Programme.conclude`).

Results come back in a fixed order (chunks by citizen id; municipalities largest first, ties by
code), so the same inputs are stored the same way every time. With one worker, all of it runs in
the calling process, chunk after chunk.
"""

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import stat
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from pydantic_core import to_json, to_jsonable_python
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.timelines import CitizenRange, known_citizens, load_timelines
from engine.rules.decide import Evaluation
from engine.rules.pack import Pack
from engine.rules.programmes import Municipality, Programme, programme_of
from models.domain import Grant, GrantYear
from models.status import MunicipalityStatus, RateResult
from models.trace import Decision

CHUNK = 5000
"""Citizens per chunk: small enough to keep every worker busy to the end and the memory flat."""

DECISION_COLUMNS = (
    "municipality",
    "citizen_id",
    "decision",
    "day",
    "outcome",
    "value",
    "group",
    "trace",
    "evidence_id",
)
"""The columns of a `decisions` row as a run writes it (besides its run id): dates as ISO text and
JSON already encoded, so that storing is a bulk insert of plain values. `evidence_id` is, until the
row is stored, the index of its evidence in the result's own `evidence` list."""
Row = tuple[Any, ...]
EvidenceValues = tuple[str, str]
"""An `evidence` row's verdicts and facts, JSON encoded."""


def _json(value: Any) -> str:
    return to_json(value).decode()


_iso = cache(date.isoformat)
"""A day as ISO text; a run's citizen decisions fall on a handful of days."""


class Rows:
    """Decisions as `decisions` rows, and the distinct evidence they rest on, each listed once.

    A citizen's row keeps no trace: it is rebuilt from the evidence and the run's pack when it is
    read. Equal fact vectors share one verdicts mapping (the runner's memo), so evidence is known
    by the mapping's id (which names the decision too) and the facts' values (plain values,
    hashable), and encoded once; the mapping is kept here, so its id stays its own."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self._evidence: dict[EvidenceValues, int] = {}
        self._known: dict[tuple[Any, ...], tuple[int, bool, Mapping[str, bool]]] = {}

    @property
    def evidence(self) -> list[EvidenceValues]:
        """In the order of their indexes (a dict keeps the order its keys were added in)."""
        return list(self._evidence)

    def _evidence_id(self, verdicts: str, facts: str) -> int:
        return self._evidence.setdefault((verdicts, facts), len(self._evidence))

    def add_evaluation(self, evaluation: Evaluation) -> None:
        detail, verdicts, facts = evaluation.detail, evaluation.verdicts, evaluation.facts
        key = (id(verdicts), *facts.values())
        known = self._known.get(key)
        if known is None:
            evidence = self._evidence_id(_json(dict(verdicts)), _json(facts))
            known = self._known[key] = (evidence, evaluation.passed, verdicts)
        self.rows.append(
            (
                evaluation.municipality,
                evaluation.subject,
                evaluation.decision,
                _iso(evaluation.day),
                known[1],
                detail.get("exit_status"),
                detail.get("group"),
                None,
                known[0],
            )
        )

    def add_rate(self, decision: Decision, result: RateResult) -> None:
        """A rate decision, with its whole trace; its value is the rate's trigger date (rate 1 is
        decided on the as-of date, but triggered on the day the grant was approved)."""
        self.rows.append(
            (
                decision.municipality,
                None,
                decision.decision,
                decision.decided_on.isoformat(),
                decision.outcome,
                result.date.isoformat() if result.date else None,
                None,
                _json([entry.model_dump() for entry in decision.trace]),
                self._evidence_id("{}", _json(decision.detail)),
            )
        )


@dataclass(frozen=True)
class CitizensDone:
    """A chunk of citizens done: their decisions as rows, the evidence they rest on, and how many
    citizens it held."""

    rows: list[Row]
    evidence: list[EvidenceValues]
    citizens: int


@dataclass(frozen=True)
class MunicipalityDone:
    """A municipality done: its status, its rate decisions as rows (and their evidence), the
    parameter values it used."""

    status: MunicipalityStatus
    rows: list[Row]
    evidence: list[EvidenceValues]
    membership_params: dict[str, Any]
    rate_params: dict[str, Any]


@dataclass(frozen=True)
class _Chunk:
    rows: list[Row]
    evidence: list[EvidenceValues]
    contributions: dict[str, bytes]
    """Each municipality's contributions, pickled: the parent only passes them on to the worker
    that concludes the municipality, so they are unpickled once, not twice (half a national
    run's traffic between processes)."""
    citizens: int


@dataclass(frozen=True)
class _Work:
    """What every worker needs: set by the parent before it forks, never changed after."""

    engine: Engine
    programme: Programme
    places: Mapping[str, Municipality]
    delivery: int | None
    municipality: str | None


_WORK: list[_Work] = []


@collector_paused()
def _evaluate_chunk(citizens: CitizenRange) -> _Chunk:
    work = _WORK[0]
    with Session(work.engine) as session:
        timelines = list(
            load_timelines(session, delivery=work.delivery, municipality=work.municipality, citizens=citizens)
        )
    rows = Rows()
    contributions: dict[str, list[Any]] = defaultdict(list)
    for timeline in timelines:
        for code in sorted({r.municipality for r in timeline.residence}):
            place = work.places.get(code)
            if place is not None:
                outcome = work.programme.evaluate_citizen(place, timeline)
                for evaluation in outcome.evaluations:
                    rows.add_evaluation(evaluation)
                contributions[code].append(outcome.contribution)
    pickled = {code: pickle.dumps(found, pickle.HIGHEST_PROTOCOL) for code, found in contributions.items()}
    return _Chunk(rows.rows, rows.evidence, pickled, len(timelines))


@collector_paused()
def _conclude(task: tuple[str, list[bytes]]) -> MunicipalityDone:
    code, pickled = task
    work = _WORK[0]
    place = work.places[code]
    contributions = [contribution for found in pickled for contribution in pickle.loads(found)]
    concluded = work.programme.conclude(place, contributions)
    rows = Rows()
    for decision, result in zip(concluded.rates, concluded.status.rates, strict=True):
        rows.add_rate(decision, result)
    return MunicipalityDone(
        concluded.status,
        rows.rows,
        rows.evidence,
        to_jsonable_python(dict(place.membership_params)),
        to_jsonable_python(dict(place.rate_params)),
    )


PR_SET_PDEATHSIG = 1
"""prctl(2): the signal a process gets when its parent dies (Linux)."""


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies, however it dies (kill -9 included)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None and prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _close_inherited_sockets() -> None:
    """Close this process's copies of the sockets it inherited: the parent's database connections,
    which a worker never uses, and which must not keep the parent's server session — and with it
    the run lock and the run's open transaction — alive once the parent is gone. (Only the copies:
    the parent's connections stay open. The pool's own channels are pipes, not sockets.)"""
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            pass  # the descriptor of the listing itself, closed by now


def _start_worker(parent: int) -> None:
    """A new worker: it ends with its parent; SIGTERM ends it at once (the parent's handler, which
    marks the run failed, is the parent's alone) and Ctrl-C is for the parent to handle; it has
    database connections of its own; and its garbage collector runs (it was forked while the
    parent had it paused), never looking at the objects it inherited (frozen: their pages stay
    shared with the parent)."""
    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _close_inherited_sockets()
    _WORK[0].engine.dispose(close=False)
    gc.freeze()
    gc.enable()


def chunks(ids: Sequence[str], size: int) -> list[CitizenRange]:
    """Consecutive ranges of `size` citizens (the last one open-ended) covering every id."""
    starts = ids[::size]
    return [(first, starts[i + 1] if i + 1 < len(starts) else None) for i, first in enumerate(starts)]


@dataclass(frozen=True)
class Plan:
    """A run's work: the municipalities to evaluate and the chunks of citizens to read."""

    work: _Work
    chunks: list[CitizenRange]
    citizens: int


def plan_run(
    engine: Engine,
    pack: Pack,
    grants: Sequence[Grant],
    as_of: date,
    *,
    delivery: int | None,
    grant_years: Sequence[GrantYear] = (),
    municipality: str | None = None,
) -> Plan:
    """Every municipality with a grant (or only `municipality`, and the citizens who ever lived
    there), over the data as known after `delivery`."""
    programme = programme_of(pack)
    years: dict[str, list[GrantYear]] = defaultdict(list)
    for year in grant_years:
        years[year.municipality].append(year)
    places = {
        g.municipality: programme.prepare(pack, g, as_of, grant_years=years[g.municipality])
        for g in grants
        if municipality is None or g.municipality == municipality
    }
    with Session(engine) as session:
        ids = known_citizens(session, delivery=delivery, municipality=municipality)
    return Plan(_Work(engine, programme, places, delivery, municipality), chunks(ids, CHUNK), len(ids))


def evaluate_run(plan: Plan, *, workers: int = 1) -> Iterator[CitizensDone | MunicipalityDone]:
    """Every chunk of citizens, then every municipality, as they are done (see the module docstring)."""
    _WORK[:] = [plan.work]
    contributions: dict[str, list[bytes]] = defaultdict(list)
    try:
        with _pool(plan.work.engine, workers, len(plan.chunks)) as pool:
            for chunk in pool.imap(_evaluate_chunk, plan.chunks):
                for code, found in chunk.contributions.items():
                    contributions[code].append(found)
                yield CitizensDone(chunk.rows, chunk.evidence, chunk.citizens)
            order = sorted(plan.work.places, key=lambda code: (-_size(contributions[code]), code))
            yield from pool.imap(_conclude, [(code, contributions.pop(code, [])) for code in order])
    finally:
        _WORK.clear()


def _size(pickled: list[bytes]) -> int:
    """A municipality's work to conclude, roughly: the size of its pickled contributions."""
    return sum(map(len, pickled))


class _InProcess:
    """The calling process itself, used like a pool of one worker."""

    imap = staticmethod(map)

    def __enter__(self) -> "_InProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _pool(engine: Engine, workers: int, tasks: int) -> Any:
    """Forked worker processes, or the calling process when one is enough (or the database is an
    SQLite database in memory, which no other process can open)."""
    in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
    if workers < 2 or tasks < 2 or in_memory:
        return _InProcess()
    return multiprocessing.get_context("fork").Pool(
        workers, initializer=_start_worker, initargs=(os.getpid(),)
    )
