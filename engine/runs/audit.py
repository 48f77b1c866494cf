"""Proving a run replays, and that nothing it stored was changed since: two checks.

The replay rebuilds the rule pack from the files the run stored under its content hash, reads the
timelines, grants and grant years as they were known after the run's last delivery, evaluates the
run's municipalities as of its date with the nightly run's own pipeline (engine/runs/batch.py, in this
process), and compares with what is stored: the decision rows as a multiset (a row stored twice is
named), each decision's evidence, evidence no decision rests on, every municipality's status and
parameters, the run's counts and its pack.

The seal: the run's digest is computed again over what it stores now (engine/runs/digest.py) and
compared with the digest stored when it finished; and the chain of finished runs is followed, each
run's `previous_digest` against the digest of the finished run before it, so that a run deleted,
added or changed (and sealed again) shows. `chain` recomputes the digest of every sealed run.
"""

from collections import defaultdict
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
from engine.runs.batch import (
    DECISION_COLUMNS,
    CitizensDone,
    MunicipalityDone,
    evaluate_run,
    prepare_run,
    whole,
)
from engine.runs.digest import stored_digest
from models.runs import Evidence, Run, RunMunicipality, StoredDecision

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
    """Both checks of a run, as plain values (JSON-able: `dataclasses.asdict`)."""

    run_id: int
    identical: bool
    """The replay gives exactly what the run stores."""
    decisions: int
    """Decision rows compared."""
    differences: int
    first: list[Difference]
    """The first differences (in municipality, decision and citizen order), at most the limit asked for."""
    digest: str | None
    """The digest stored when the run finished (None: it finished before runs were sealed)."""
    recomputed: str
    """The digest of what the run stores now."""
    sealed: bool | None
    """The two digests agree (None: the run was never sealed)."""
    chain: list[str]
    """What breaks the chain of finished runs, in words (empty: every link holds)."""

    @property
    def trusted(self) -> bool:
        """Replays identically, its seal holds (or it predates seals) and so does the chain."""
        return self.identical and self.sealed is not False and not self.chain


def _plain(value: Any) -> Any:
    """A value as the database's JSON columns give it back (dates and decimals as strings)."""
    return from_json(to_json(value))


def _replay(engine: Engine, session: Session, run: Run, pack: Pack) -> list[CitizensDone | MunicipalityDone]:
    """The run's municipalities evaluated again, as known after its delivery (none before the first)."""
    if run.delivery_id is None:
        return []
    grants = load_grants(session, delivery=run.delivery_id, programme=run.programme)
    years = load_grant_years(session, delivery=run.delivery_id, programme=run.programme)
    plan = whole(
        prepare_run(
            engine,
            pack,
            grants,
            run.as_of,
            delivery=run.delivery_id,
            grant_years=years,
            municipality=run.municipality,
        )
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
    stored: dict[Key, list[dict[str, Any]]], replayed: dict[Key, dict[str, Any]]
) -> Iterator[Difference]:
    for key in sorted(stored.keys() | replayed.keys(), key=lambda k: (k[0], k[1], k[2] or "", k[3])):
        municipality, decision, subject, day = key
        copies, new = stored.get(key, []), replayed.get(key)
        if len(copies) > 1:
            yield Difference(
                municipality,
                subject,
                f"{decision} on {day}",
                f"stored {len(copies)} times",
                "made once" if new else "absent",
            )
        if not copies or new is None:
            yield Difference(
                municipality, subject, decision, "stored" if copies else "absent", "made" if new else "absent"
            )
            continue
        for copy in copies:
            for name in COMPARED:
                for what, before, after in _changed(name, _plain(copy[name]), _plain(new[name])):
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


def _count_differences(run: Run, replayed: list[CitizensDone | MunicipalityDone]) -> Iterator[Difference]:
    """The run's own counts against the replay's."""
    made = {
        "citizens": sum(r.citizens for r in replayed if isinstance(r, CitizensDone)),
        "members": sum(r.status.members for r in replayed if isinstance(r, MunicipalityDone)),
        "decisions": sum(len(r.rows) for r in replayed),
    }
    for name, count in made.items():
        if getattr(run, name) != count:
            yield Difference("", None, f"runs.{name}", getattr(run, name), count)


def _unused_evidence(session: Session, run: Run) -> Iterator[Difference]:
    """Evidence rows of the run that no decision rests on (a run stores only evidence it uses)."""
    used = select(StoredDecision.evidence_id).where(StoredDecision.run_id == run.id)
    unused = session.scalars(
        select(Evidence.id).where(Evidence.run_id == run.id, Evidence.id.not_in(used)).order_by(Evidence.id)
    ).all()
    if unused:
        shown = ", ".join(map(str, unused[:10])) + (" …" if len(unused) > 10 else "")
        yield Difference("", None, "evidence", f"{len(unused)} rows no decision rests on: {shown}", "none")


def chain_breaks(session: Session) -> list[str]:
    """Every broken link of the chain of finished runs: a run whose `previous_digest` is not the
    digest of the finished run before it, a finished run without a digest after runs began to be
    sealed, a run not finished that carries one."""
    breaks: list[str] = []
    before: tuple[int, str | None] | None = None
    rows = session.execute(select(Run.id, Run.status, Run.digest, Run.previous_digest).order_by(Run.id))
    for run_id, status, digest, previous in rows:
        if status != "finished":
            if digest is not None:
                breaks.append(f"run {run_id} is {status} but carries a digest: it had finished")
            continue
        expected = before[1] if before else None
        if digest is None:
            if expected is not None:
                breaks.append(f"run {run_id} has finished but carries no digest")
        elif previous != expected:
            after = f"run {before[0]}'s digest {_short(expected)}" if before else "no earlier run"
            breaks.append(f"run {run_id} was chained to {_short(previous)}, but before it comes {after}")
        before = (run_id, digest)
    return breaks


def _short(digest: str | None) -> str:
    return digest[:12] if digest else "nothing"


def verify(engine: Engine, run_id: int, *, limit: int = 10) -> Verification:
    """Replay the run and compare; recompute its seal and follow the chain. Raises results.NotFound
    or NotVerifiable for a run that cannot be replayed."""
    with Session(engine) as session:
        run = results.get_run(session, run_id)
        if run.status != "finished":
            raise NotVerifiable(f"run {run.id} is {run.status}: only a finished run can be replayed")
        try:
            pack = results.stored_pack(session, run.pack_hash)
        except PackError as error:
            raise NotVerifiable(f"run {run.id}: its stored rule pack cannot be read: {error}") from None
        replayed = _replay(engine, session, run, pack)
        stored: dict[Key, list[dict[str, Any]]] = defaultdict(list)
        for r in session.scalars(select(StoredDecision).where(StoredDecision.run_id == run.id)):
            key = (r.municipality, r.decision, r.citizen_id, r.day.isoformat())
            stored[key].append({n: getattr(r, n) for n in COMPARED})
        municipalities = {
            m.municipality: m
            for m in session.scalars(select(RunMunicipality).where(RunMunicipality.run_id == run.id))
        }
        differences: list[Difference] = []
        if pack.content_hash != run.pack_hash:
            differences.append(Difference("", None, "rule pack", run.pack_hash, pack.content_hash))
        if pack.programme != run.programme:
            differences.append(Difference("", None, "programme", run.programme, pack.programme))
        differences.extend(_count_differences(run, replayed))
        differences.extend(_unused_evidence(session, run))
        recomputed = stored_digest(session, run.id)
        breaks = chain_breaks(session)
    made = _replayed_rows(replayed)
    for result in replayed:
        if isinstance(result, CitizensDone):
            continue
        stored_status = municipalities.pop(result.status.municipality, None)
        differences.extend(_municipality_differences(stored_status, result))
    differences.extend(
        Difference(code, None, "status", "stored", "absent") for code in sorted(municipalities)
    )
    differences.extend(_row_differences(stored, made))
    return Verification(
        run_id=run.id,
        identical=not differences,
        decisions=sum(map(len, stored.values())),
        differences=len(differences),
        first=differences[:limit],
        digest=run.digest,
        recomputed=recomputed,
        sealed=None if run.digest is None else run.digest == recomputed,
        chain=breaks,
    )


@dataclass(frozen=True)
class ChainCheck:
    """Every sealed run's digest recomputed, and the links between them (plain JSON-able values)."""

    runs: int
    """Sealed runs recomputed."""
    broken: list[str]
    """Runs whose content no longer gives their digest, and broken links, in words (empty: intact)."""
    head: str | None
    """The latest finished run's digest: note it elsewhere (a log, a report) to anchor the chain."""


def chain(engine: Engine) -> ChainCheck:
    """Recompute the digest of every sealed run and follow the links (`fsm audit chain`)."""
    with Session(engine) as session:
        sealed = session.execute(
            select(Run.id, Run.digest)
            .where(Run.status == "finished", Run.digest.is_not(None))
            .order_by(Run.id)
        ).all()
        broken = [
            f"run {run_id}: what it stores no longer gives its digest {_short(digest)}"
            for run_id, digest in sealed
            if stored_digest(session, run_id) != digest
        ]
        broken.extend(chain_breaks(session))
        head = session.scalar(
            select(Run.digest).where(Run.status == "finished").order_by(Run.id.desc()).limit(1)
        )
    return ChainCheck(len(sealed), broken, head)
