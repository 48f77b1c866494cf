"""Evaluating every municipality with a grant over the data as known after one delivery, in parallel.

Two steps, so that a national population spreads over the machine's cores and never has to be held
in memory at once:

1. **Citizens** (map): the citizens are cut into chunks of consecutive ids; a worker process reads a
   chunk's timelines from the database itself and decides on each citizen in each municipality
   with a grant they ever lived in (`Programme.evaluate_citizen`). It sends back the decisions as
   table rows, ready to store, and each citizen's contribution to the municipality's totals.
2. **Municipalities** (reduce): each municipality's contributions, in citizen order, become its
   status and rate decisions (`Programme.conclude`).

A run that carries over citizens from an earlier run (engine/runs/carry.py) reads and evaluates
only the others; their contributions are merged with the carried ones before each municipality is
concluded. Workers are forked (engine/workers.py) and inherit what the parent knew before.

Results come back in a fixed order (chunks by citizen id; municipalities largest first, ties by
code), so the same inputs are stored the same way every time. With one worker, all of it runs in
the calling process, chunk after chunk.
"""

import errno
import heapq
import os
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

from pydantic_core import to_json, to_jsonable_python
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.timelines import Citizens, known_ranges, load_timelines
from engine.rules.decide import Evaluation
from engine.rules.pack import Pack
from engine.rules.programmes import Municipality, Programme, programme_of
from engine.workers import pool
from models.database import in_memory
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
    parameter values it used, and what each citizen contributed (`models.runs.RunContributions`)."""

    status: MunicipalityStatus
    rows: list[Row]
    evidence: list[EvidenceValues]
    membership_params: dict[str, Any]
    rate_params: dict[str, Any]
    contributions: str


Entry = tuple[str, int, int, Any]
"""A citizen's contribution to a municipality as a run keeps it: the citizen, the first and last
as-of dates (ordinals) on which it holds (`CitizenOutcome.stable`), the contribution."""


@dataclass(frozen=True)
class Carried:
    """What a run takes over from an earlier run instead of evaluating (engine/runs/carry.py)."""

    run_id: int
    as_of: date
    citizens: int
    """How many citizens' decisions are carried over."""
    entries: Mapping[str, list[Entry]]
    """Each municipality's carried contributions, in citizen order."""
    order: Mapping[str, int]
    """Every citizen's place in citizen order (as the database orders them)."""
    evidence_from: int
    """The first evidence id free for new evidence (the carried evidence keeps its ids)."""


@dataclass(frozen=True)
class _Chunk:
    rows: list[Row]
    evidence: list[EvidenceValues]
    contributions: dict[str, bytes]
    """Each municipality's entries, pickled: the parent only parks them (`_Parked`) for the worker
    that concludes the municipality, so they are unpickled once, not twice (half a national run's
    traffic between processes)."""
    counts: dict[str, int]
    """How many entries each municipality got."""
    citizens: int


@dataclass(frozen=True)
class Work:
    """What every worker needs: set by the parent before it forks, never changed after."""

    engine: Engine
    programme: Programme
    places: Mapping[str, Municipality]
    delivery: int | None
    municipality: str | None
    carried: Carried | None = None


_WORK: list[Work] = []


@collector_paused()
def _evaluate_chunk(citizens: Citizens) -> _Chunk:
    work = _WORK[0]
    with Session(work.engine) as session:
        timelines = list(
            load_timelines(session, delivery=work.delivery, municipality=work.municipality, citizens=citizens)
        )
    rows = Rows()
    entries: dict[str, list[Entry]] = defaultdict(list)
    for timeline in timelines:
        for code in sorted({r.municipality for r in timeline.residence}):
            place = work.places.get(code)
            if place is not None:
                outcome = work.programme.evaluate_citizen(place, timeline)
                for evaluation in outcome.evaluations:
                    rows.add_evaluation(evaluation)
                first, last = outcome.stable
                entries[code].append(
                    (timeline.citizen_id, first.toordinal(), last.toordinal(), outcome.contribution)
                )
    pickled = {code: pickle.dumps(found, pickle.HIGHEST_PROTOCOL) for code, found in entries.items()}
    return _Chunk(
        rows.rows,
        rows.evidence,
        pickled,
        {code: len(found) for code, found in entries.items()},
        len(timelines),
    )


class _Parked:
    """The citizens' contributions, parked on disk until their municipalities are concluded: every
    chunk adds to each of its municipalities, so holding them in the parent until the last chunk
    grew its memory with the population. Made before the workers are forked, which read it."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="fsm-run-")  # noqa: SIM115 - closed by `close`
        self._size = 0

    def add(self, data: bytes) -> tuple[int, int]:
        """Park `data`; returns where it is (offset, size), to be `read` back."""
        offset = self._size
        try:
            written = os.pwrite(self._file.fileno(), data, offset)
        except OSError as error:  # named by its folder: the file has no name
            raise OSError(error.errno, error.strerror, tempfile.gettempdir()) from None
        if written != len(data):  # a short write: no room for the rest
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), tempfile.gettempdir())
        self._size += len(data)
        return offset, len(data)

    def read(self, where: tuple[int, int]) -> bytes:
        offset, size = where
        return os.pread(self._file.fileno(), size, offset)

    def close(self) -> None:
        self._file.close()


_PARKED: list[_Parked] = []
"""The run's parked contributions, known to the workers forked after it was made."""


@collector_paused()
def _conclude(task: tuple[str, list[tuple[int, int]]]) -> MunicipalityDone:
    """A municipality concluded from its evaluated citizens' entries (parked, by chunk) and the
    carried ones, merged in citizen order."""
    code, parked = task
    work = _WORK[0]
    place = work.places[code]
    read = _PARKED[0].read
    entries: Iterable[Entry] = [entry for where in parked for entry in pickle.loads(read(where))]
    if work.carried is not None:
        order = work.carried.order
        entries = list(heapq.merge(work.carried.entries.get(code, ()), entries, key=lambda e: order[e[0]]))
    concluded = work.programme.conclude(place, [entry[3] for entry in entries])
    rows = Rows()
    for decision, result in zip(concluded.rates, concluded.status.rates, strict=True):
        rows.add_rate(decision, result)
    return MunicipalityDone(
        concluded.status,
        rows.rows,
        rows.evidence,
        to_jsonable_python(dict(place.membership_params)),
        to_jsonable_python(dict(place.rate_params)),
        _json(entries),
    )


@dataclass(frozen=True)
class Plan:
    """A run's work: the municipalities to evaluate and the chunks of citizens to read."""

    work: Work
    chunks: Sequence[Citizens]
    citizens: int
    """How many citizens the run is about (evaluated or carried over)."""

    @property
    def carried(self) -> Carried | None:
        return self.work.carried


def prepare_run(
    engine: Engine,
    pack: Pack,
    grants: Sequence[Grant],
    as_of: date,
    *,
    delivery: int | None,
    grant_years: Sequence[GrantYear] = (),
    municipality: str | None = None,
) -> Work:
    """Every municipality with a grant (or only `municipality`) prepared for evaluation over the
    data as known after `delivery`; which citizens to read is planned next (`whole`, or carry.py)."""
    programme = programme_of(pack)
    years: dict[str, list[GrantYear]] = defaultdict(list)
    for year in grant_years:
        years[year.municipality].append(year)
    places = {
        g.municipality: programme.prepare(pack, g, as_of, grant_years=years[g.municipality])
        for g in grants
        if municipality is None or g.municipality == municipality
    }
    return Work(engine, programme, places, delivery, municipality)


def whole(work: Work) -> Plan:
    """Every citizen of the work's municipalities (or the citizens who ever lived in its only one)."""
    with Session(work.engine) as session:
        ranges, citizens = known_ranges(
            session, CHUNK, delivery=work.delivery, municipality=work.municipality
        )
    return Plan(work, ranges, citizens)


def carrying(work: Work, carried: Carried, evaluated: Sequence[str], citizens: int) -> Plan:
    """The plan of `citizens`, the `carried` taken over, and only the `evaluated` (in citizen order) read."""
    pieces = [tuple(evaluated[i : i + CHUNK]) for i in range(0, len(evaluated), CHUNK)]
    return Plan(replace(work, carried=carried), pieces, citizens)


def evaluate_run(
    plan: Plan, *, workers: int = 1, concluding: Callable[[], None] | None = None
) -> Iterator[CitizensDone | MunicipalityDone]:
    """Every chunk of citizens, then every municipality, as they are done (see the module docstring).
    `concluding()` is called once every municipality has been handed to the workers: the caller
    may do its own work (copying the carried decisions) while they conclude."""
    _WORK[:], _PARKED[:] = [plan.work], [_Parked()]
    carried = plan.carried.entries if plan.carried else {}
    contributions: dict[str, list[tuple[int, int]]] = defaultdict(list)
    counts = {code: len(carried.get(code, ())) for code in plan.work.places}
    try:
        with pool(_workers(plan, workers), _fresh_connections) as processes:
            for chunk in processes.imap(_evaluate_chunk, plan.chunks):
                for code, found in chunk.contributions.items():
                    contributions[code].append(_PARKED[0].add(found))
                    counts[code] += chunk.counts[code]
                yield CitizensDone(chunk.rows, chunk.evidence, chunk.citizens)
            order = sorted(plan.work.places, key=lambda code: (-counts[code], code))
            concluded = processes.imap(_conclude, [(code, contributions.pop(code, [])) for code in order])
            if concluding:
                concluding()
            yield from concluded
    finally:
        _PARKED[0].close()
        _WORK.clear()
        _PARKED.clear()


def _workers(plan: Plan, asked: int) -> int:
    """Worker processes for the plan: none (the calling process) when one is enough, or when the
    database is an SQLite database in memory, which no other process can open."""
    return 1 if in_memory(plan.work.engine) or len(plan.chunks) + len(plan.work.places) < 2 else asked


def _fresh_connections() -> None:
    """In a new worker: database connections of its own (never the parent's, inherited by fork)."""
    _WORK[0].engine.dispose(close=False)
