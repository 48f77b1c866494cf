"""Proving a run replays: evaluate it again from what it read and compare with what it stored.

The replay rebuilds the rule pack from the files the run stored under its content hash, reads the
timelines, grants and grant years as they were known after the run's last delivery, evaluates the
run's municipalities as of its date with the nightly run's own pipeline (engine/runs/batch.py, in this
process), and compares every decision row, every municipality status and the parameters with the
stored ones.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from threading import Lock
from typing import Any

from pydantic_core import from_json, to_json
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.input.timelines import load_grant_years, load_grants
from engine.rules.pack import Pack, PackError
from engine.runs import results
from engine.runs.batch import DECISION_COLUMNS, CitizensDone, MunicipalityDone, evaluate_run, plan_run
from models.runs import Run, RunMunicipality, StoredDecision

_REPLAYING = Lock()
"""One replay at a time per process: the nightly run's pipeline and durable-rules host are process-wide."""
COMPARED = ("outcome", "value", "group", "verdicts", "facts", "trace")
"""The fields of a decision row that must be identical (a row is known by municipality, decision,
citizen and day: a citizen may have one decision on several days)."""
ENCODED = ("verdicts", "facts", "trace")
Key = tuple[str, str, str | None, str]


class NotVerifiable(ValueError):
    """The run cannot be replayed (it has not finished)."""


@dataclass(frozen=True)
class Difference:
    """One thing the replay gives otherwise than the run stored."""

    municipality: str
    subject: str | None
    """The citizen (in full: callers mask it), or None for the municipality itself."""
    what: str
    """A decision id and field (`fsm1.status value`), or `status`, `parameters`, `rule pack`."""
    stored: Any
    replayed: Any


@dataclass(frozen=True)
class Verification:
    run_id: int
    decisions: int
    """Decision rows compared."""
    differences: int
    first: list[Difference]
    """The first differences (in municipality, decision and citizen order), at most the limit asked for."""

    @property
    def identical(self) -> bool:
        return self.differences == 0


def _plain(value: Any) -> Any:
    """A value as the database's JSON columns give it back (dates and decimals as strings)."""
    return from_json(to_json(value))


def _replay(engine: Engine, session: Session, run: Run, pack: Pack) -> list[CitizensDone | MunicipalityDone]:
    """The run's municipalities evaluated again, as known after its delivery (none before the first)."""
    if run.delivery_id is None:
        return []
    grants = load_grants(session, delivery=run.delivery_id, programme=run.programme)
    years = load_grant_years(session, delivery=run.delivery_id, programme=run.programme)
    plan = plan_run(
        engine,
        pack,
        grants,
        run.as_of,
        delivery=run.delivery_id,
        grant_years=years,
        municipality=run.municipality,
    )
    with _REPLAYING:
        return list(evaluate_run(plan, workers=1))


def _replayed_rows(replayed: list[CitizensDone | MunicipalityDone]) -> dict[Key, dict[str, Any]]:
    """Every row the replay made, keyed like the stored ones, with its evidence, JSON decoded."""
    made = {}
    for result in replayed:
        for row in result.rows:
            values = dict(zip(DECISION_COLUMNS, row, strict=True))
            verdicts, facts = result.evidence[values.pop("evidence_id")]
            values.update(verdicts=verdicts, facts=facts)
            for name in ENCODED:
                values[name] = None if values[name] is None else from_json(values[name])
            key = (values["municipality"], values["decision"], values["citizen_id"], values["day"])
            made[key] = values
    return made


def _row_differences(
    stored: dict[Key, dict[str, Any]], replayed: dict[Key, dict[str, Any]]
) -> Iterator[Difference]:
    for key in sorted(stored.keys() | replayed.keys(), key=lambda k: (k[0], k[1], k[2] or "", k[3])):
        municipality, decision, subject, _ = key
        old, new = stored.get(key), replayed.get(key)
        if old is None or new is None:
            yield Difference(
                municipality, subject, decision, "stored" if old else "absent", "made" if new else "absent"
            )
            continue
        for name in COMPARED:
            for what, before, after in _changed(name, _plain(old[name]), _plain(new[name])):
                yield Difference(municipality, subject, f"{decision} {what}", before, after)


def _changed(name: str, stored: Any, replayed: Any) -> Iterator[tuple[str, Any, Any]]:
    """What differs in one field: per key when both are objects (facts, verdicts), else the whole value."""
    if isinstance(stored, dict) and isinstance(replayed, dict):
        for key in sorted(stored.keys() | replayed.keys()):
            if stored.get(key) != replayed.get(key):
                yield f"{name}.{key}", stored.get(key), replayed.get(key)
    elif stored != replayed:
        yield name, stored, replayed


def _municipality_differences(
    stored: RunMunicipality | None, replayed: MunicipalityDone
) -> Iterator[Difference]:
    code = replayed.status.municipality
    if stored is None:
        yield Difference(code, None, "status", "absent", "made")
        return
    pairs = (
        ("status", stored.status, replayed.status.model_dump(mode="json")),
        ("membership parameters", stored.membership_parameters, replayed.membership_params),
        ("rate parameters", stored.rate_parameters, replayed.rate_params),
    )
    for name, old, new in pairs:
        for what, before, after in _changed(name, _plain(old), _plain(new)):
            yield Difference(code, None, what, before, after)


def verify(engine: Engine, run_id: int, *, limit: int = 10) -> Verification:
    """Replay the run and compare; raises results.NotFound or NotVerifiable for a run that cannot be replayed."""
    with Session(engine) as session:
        run = results.get_run(session, run_id)
        if run.status != "finished":
            raise NotVerifiable(f"run {run.id} is {run.status}: only a finished run can be replayed")
        try:
            pack = results.stored_pack(session, run.pack_hash)
        except PackError as error:
            raise NotVerifiable(f"run {run.id}: its stored rule pack cannot be read: {error}") from None
        replayed = _replay(engine, session, run, pack)
        rows = session.scalars(select(StoredDecision).where(StoredDecision.run_id == run.id))
        stored = {
            (r.municipality, r.decision, r.citizen_id, r.day.isoformat()): {
                n: getattr(r, n) for n in COMPARED
            }
            for r in rows
        }
        municipalities = {
            m.municipality: m
            for m in session.scalars(select(RunMunicipality).where(RunMunicipality.run_id == run.id))
        }
    made = _replayed_rows(replayed)
    differences: list[Difference] = []
    if pack.content_hash != run.pack_hash:
        differences.append(Difference("", None, "rule pack", run.pack_hash, pack.content_hash))
    for result in replayed:
        if isinstance(result, CitizensDone):
            continue
        stored_status = municipalities.pop(result.status.municipality, None)
        differences.extend(_municipality_differences(stored_status, result))
    differences.extend(
        Difference(code, None, "status", "stored", "absent") for code in sorted(municipalities)
    )
    differences.extend(_row_differences(stored, made))
    return Verification(run.id, len(stored), len(differences), differences[:limit])
