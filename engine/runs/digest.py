"""A finished run's seal: a SHA-256 digest over what it stored, chained to the finished run before it.

The digest covers the run's canonical content: the run itself (id, programme, as-of date, scope, rule
pack hash, delivery, counts), the checksum of every delivery it read, each municipality's status and
parameter values, every decision row with the evidence it rests on, and the previous finished run's
digest. Changing, adding or deleting a stored row or run therefore shows: the run's digest no longer
matches its content, or the next run's `previous_digest` no longer matches it.

Canonical means: decision rows as text lines (`LINE`: each text field by `repr`, so no separator can be
forged), sorted, evidence named by the SHA-256 of its stored text; statuses and parameters as JSON
with sorted keys. So the digest depends on what was stored, never on how: not on row ids, evidence
numbers, or the order in which the rows were made or stored.

The nightly run seals as it stores (`Seal`: the rows pass by once, ~1 µs each), streaming the
lines into the hash while they arrive in citizen order, as the run's chunks do; if they arrive
otherwise, the digest is made from the database instead, which gives the same digest. An
incremental run's carried decisions are copied by the database and never pass by: their lines are
made from the earlier run's rows, as the copy moves them, by a thread of the run's own while it
evaluates and copies (`Seal.carrying`). An audit recomputes the digest from the database alone
(`stored_digest`); tests/test_carry.py checks the two agree.
"""

import hashlib
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, Select, Text, cast, select, update
from sqlalchemy.orm import Session

from engine.runs.batch import Carried, CitizensDone, EvidenceValues, MunicipalityDone, Row
from models.database import in_memory
from models.db import Delivery
from models.runs import Evidence, Run, RunMunicipality, StoredDecision

VERSION = 1
"""Of the canonical form; a digest is recomputed with the form it was made with, forever."""
LINE = "%r\x1f%r\x1f%r\x1f%s\x1f%d\x1f%r\x1f%r\x1f%r\x1f%s"
"""citizen, municipality, decision, day, outcome, value, group, trace, evidence (its SHA-256)."""
EVIDENCE = "%s\x1f%s"
"""An evidence row's verdicts and facts, as stored (JSON text: both are made by the same encoder)."""
HEADER = (
    "id",
    "programme",
    "as_of",
    "municipality",
    "pack_hash",
    "delivery_id",
    "citizens",
    "members",
    "decisions",
)
"""The columns of `runs` the digest covers (besides the previous run's digest)."""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _evidence_sha(verdicts: str, facts: str | None) -> str:
    return hashlib.sha256((EVIDENCE % (verdicts, facts)).encode()).hexdigest()


class Seal:
    """A run's digest, made from its results as they are stored (`add` each, then `close`)."""

    def __init__(self) -> None:
        self._rows = hashlib.sha256()
        self._last = ""
        self._in_order = True
        self._rates: list[str] = []
        self._municipalities: dict[str, Any] = {}
        self._carried: Future[list[str]] | None = None
        self._evaluated: list[str] = []
        """A carrying run's own citizens' lines, kept to be sorted among the carried ones."""

    def _lines(self, rows: Sequence[Row], evidence: Sequence[EvidenceValues]) -> list[str]:
        # each result's own evidence (distinct within it): none is kept across results, since on
        # national data nearly every evidence is met once and keeping them grew with the population
        shas = [_evidence_sha(*values) for values in evidence]
        return [LINE % (r[1], r[0], r[2], r[3], r[4], r[5], r[6], r[7], shas[r[8]]) for r in rows]

    def carrying(self, engine: Engine, carried: Carried, as_of: date, evaluated: Collection[str]) -> None:
        """The run carries decisions over from `carried` (all but the `evaluated` citizens'): their
        lines are made at once, in a thread reading the earlier run with a connection of its own
        (in a database in memory, which only the run's connection sees, made from the database)."""
        if in_memory(engine):
            self._in_order = False
            return
        threads = ThreadPoolExecutor(1, thread_name_prefix="seal")
        self._carried = threads.submit(_carried_lines, engine, carried, as_of, frozenset(evaluated))
        threads.shutdown(wait=False)

    def add(self, result: CitizensDone | MunicipalityDone) -> None:
        lines = self._lines(result.rows, result.evidence)
        if isinstance(result, MunicipalityDone):
            self._rates.extend(lines)
            self._municipalities[result.status.municipality] = _municipality_document(
                result.status.model_dump(mode="json"), result.membership_params, result.rate_params
            )
            return
        if self._carried is not None:
            self._evaluated.extend(lines)
            return
        lines.sort()
        if lines and self._in_order:
            self._in_order = lines[0] >= self._last
            self._last = lines[-1]
            self._rows.update(("\n".join(lines) + "\n").encode())

    def close(self, session: Session, run_id: int) -> str:
        """Digest the run (its `runs` row as it now stands, counts included) and store the digest
        and the previous finished run's with it."""
        previous = previous_digest(session, run_id)
        connection = session.connection()
        if self._carried is not None:
            rows = _rows_digest([*self._carried.result(), *self._evaluated, *self._rates])
            digest = _digest(connection, run_id, self._municipalities, rows, previous)
        elif self._in_order:
            self._rows.update("".join(line + "\n" for line in sorted(self._rates)).encode())
            digest = _digest(connection, run_id, self._municipalities, self._rows.hexdigest(), previous)
        else:
            digest = _from_database(session, run_id, previous)
        session.execute(update(Run).where(Run.id == run_id).values(digest=digest, previous_digest=previous))
        return digest


def _carried_lines(engine: Engine, carried: Carried, as_of: date, evaluated: frozenset[str]) -> list[str]:
    """The lines of the decisions an incremental run copies from `carried` (engine/runs/carry.py,
    `copy_carried`): every citizen's row but the `evaluated` citizens', made on `as_of` where it
    was made on the earlier run's as-of date, its evidence with the `day` fact moved alike."""
    before, after = carried.as_of.isoformat(), as_of.isoformat()
    moved = (f'"day":"{before}"', f'"day":"{after}"')
    with engine.connect() as connection:
        evidence = {i: (verdicts, facts) for i, verdicts, facts in _evidence_rows(connection, carried.run_id)}
        shas: dict[int, str] = {}
        lines = []
        found = _decision_rows(connection, carried.run_id, StoredDecision.citizen_id.is_not(None))
        for c, m, decision, day, o, v, g, t, i in found:
            if c in evaluated:
                continue
            sha = shas.get(i)
            if sha is None:
                verdicts, facts = evidence[i]
                sha = shas[i] = _evidence_sha(verdicts, facts if facts is None else facts.replace(*moved))
            lines.append(LINE % (c, m, decision, after if str(day) == before else day, o, v, g, t, sha))
    return lines


def _municipality_document(status: Any, membership: Any, rates: Any) -> str:
    return _canonical({"status": status, "membership_parameters": membership, "rate_parameters": rates})


def previous_digest(session: Session, run_id: int) -> str | None:
    """The digest of the latest finished run before `run_id` (the link the run is chained by)."""
    return session.scalar(
        select(Run.digest).where(Run.id < run_id, Run.status == "finished").order_by(Run.id.desc()).limit(1)
    )


def _digest(
    connection: Connection, run_id: int, municipalities: Mapping[str, str], rows: str, previous: str | None
) -> str:
    run = connection.execute(select(*(getattr(Run, c) for c in HEADER)).where(Run.id == run_id)).one()
    inputs = connection.execute(
        select(Delivery.id, Delivery.checksum)
        .where(Delivery.id <= (run.delivery_id if run.delivery_id is not None else 0))
        .order_by(Delivery.id)
    ).all()
    document = {
        "version": VERSION,
        "run": {name: str(value) if value is not None else None for name, value in run._mapping.items()},
        "previous": previous,
        "inputs": [[i, checksum] for i, checksum in inputs],
        "municipalities": [municipalities[code] for code in sorted(municipalities)],
        "decisions": rows,
    }
    return hashlib.sha256(_canonical(document).encode()).hexdigest()


_LINE_COLUMNS = (
    StoredDecision.citizen_id,
    StoredDecision.municipality,
    StoredDecision.decision,
    StoredDecision.day,
    StoredDecision.outcome,
    StoredDecision.value,
    StoredDecision.group,
    cast(StoredDecision.trace, Text),
)
"""A decision row's columns as `LINE` shows them (then its evidence)."""


def _rows_digest(lines: list[str]) -> str:
    lines.sort()
    return hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()


def _evidence_rows(connection: Connection, run_id: int) -> Iterator[tuple[int, str, str | None]]:
    """A run's evidence: id, verdicts and facts as stored (JSON text)."""
    e = Evidence
    return _driver_rows(
        connection, select(e.id, cast(e.verdicts, Text), cast(e.facts, Text)).where(e.run_id == run_id)
    )


def _decision_rows(connection: Connection, run_id: int, *where: Any) -> Iterator[tuple[Any, ...]]:
    """A run's decision rows (those `where` says) as `LINE` shows them, then their evidence id."""
    d = StoredDecision
    return _driver_rows(connection, select(*_LINE_COLUMNS, d.evidence_id).where(d.run_id == run_id, *where))


def _stored_rows(connection: Connection, run_id: int) -> str:
    """The digest of the run's decision rows, as the database holds them."""
    evidence = {
        i: _evidence_sha(verdicts, facts) for i, verdicts, facts in _evidence_rows(connection, run_id)
    }
    # the day as text (SQLite's driver gives its ISO text, PostgreSQL's a date: `%s` shows both alike)
    return _rows_digest(
        [LINE % (*row[:-1], evidence.get(row[-1])) for row in _decision_rows(connection, run_id)]
    )


def _driver_rows(connection: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of `query` (its parameters literal: ids) as the bare driver gives them, in the
    connection's transaction: plain tuples, not SQLAlchemy's rows, for every row of a run."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(query.compile(connection, compile_kwargs={"literal_binds": True})))
        while rows := cursor.fetchmany(10_000):
            yield from rows
    finally:
        cursor.close()


def _from_database(session: Session, run_id: int, previous: str | None) -> str:
    municipalities = {
        m.municipality: _municipality_document(m.status, m.membership_parameters, m.rate_parameters)
        for m in session.scalars(select(RunMunicipality).where(RunMunicipality.run_id == run_id))
    }
    connection = session.connection()
    return _digest(connection, run_id, municipalities, _stored_rows(connection, run_id), previous)


def stored_digest(session: Session, run_id: int) -> str:
    """The digest of the run as the database now holds it (with the previous digest it stores):
    equal to its stored `digest` unless something it covers was changed."""
    return _from_database(
        session, run_id, session.scalar(select(Run.previous_digest).where(Run.id == run_id))
    )
