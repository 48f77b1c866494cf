"""Reading stored runs: a municipality's status, a citizen's decisions with their traces, its
members page by page. Traces are rebuilt from the pack the run stored under its content hash.
What changed between two runs is engine/runs/diff.py."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.input.timelines import KINDS, known_after
from engine.rules.decide import Evaluation, to_decision, trace
from engine.rules.pack import Pack, pack_from_files
from engine.rules.programmes import programme_of
from models.db import CitizenVersion
from models.domain import CitizenTimeline
from models.runs import RulePack, Run, RunMunicipality, StoredDecision
from models.status import MunicipalityStatus
from models.trace import Decision, RuleOutcome


class NotFound(LookupError):
    pass


def get_run(session: Session, run_id: int | None = None) -> Run:
    """The run with this id, or the latest finished run."""
    if run_id is not None:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound(f"there is no run {run_id}")
        return run
    run = session.scalars(
        select(Run).where(Run.status == "finished").order_by(Run.id.desc()).limit(1)
    ).first()
    if run is None:
        raise NotFound("no run has finished yet: start one with `fsm run`")
    return run


def runs(session: Session) -> list[Run]:
    return list(session.scalars(select(Run).order_by(Run.id.desc())))


def statuses(session: Session, run: Run, municipality: str | None = None) -> list[MunicipalityStatus]:
    query = (
        select(RunMunicipality).where(RunMunicipality.run_id == run.id).order_by(RunMunicipality.municipality)
    )
    if municipality is not None:
        query = query.where(RunMunicipality.municipality == municipality)
    return [MunicipalityStatus.model_validate(row.status) for row in session.scalars(query)]


def stored_pack(session: Session, content_hash: str) -> Pack:
    """The pack a run stored under its content hash (read once per session: every trace of a run needs it)."""
    key = ("stored pack", content_hash)
    if key not in session.info:
        row = session.get(RulePack, content_hash)
        if row is None:
            raise NotFound(f"rule pack {content_hash[:12]} is not stored")
        session.info[key] = _pack(content_hash, tuple(sorted(row.files.items())))
    return session.info[key]


@cache
def _pack(content_hash: str, files: tuple[tuple[str, str], ...]) -> Pack:
    return pack_from_files(dict(files), f"stored pack {content_hash[:12]}")


def _stored_parameters(session: Session, run: Run, municipality: str) -> dict[str, dict[str, Any]]:
    """A municipality's parameter sets in a run, by name (read once per session)."""
    key = ("stored parameters", run.id, municipality)
    if key not in session.info:
        place = session.get(RunMunicipality, (run.id, municipality))
        if place is None:
            raise NotFound(f"run {run.id} has no municipality {municipality}")
        session.info[key] = {"membership": place.membership_parameters, "rates": place.rate_parameters}
    return session.info[key]


def _parameters(session: Session, run: Run, pack: Pack, row: StoredDecision) -> Mapping[str, Any]:
    """The parameter values the decision was made under (the programme knows which)."""
    stored = _stored_parameters(session, run, row.municipality)
    return programme_of(pack).trace_parameters(pack, row.decision, row.day, row.municipality, stored)


def stored_decision(session: Session, run: Run, row: StoredDecision) -> Decision:
    """A stored decision with its trace, as the run made it."""
    pack = stored_pack(session, run.pack_hash)
    if row.trace is not None:
        return to_decision(
            pack,
            row.decision,
            subject=row.citizen_id or row.municipality,
            municipality=row.municipality,
            passed=row.outcome,
            day=row.day,
            trace=[RuleOutcome.model_validate(e) for e in row.trace],
            detail=row.facts or {},
        )
    evaluation = Evaluation(
        row.decision,
        row.citizen_id or "",
        row.municipality,
        row.day,
        row.facts or {},
        row.verdicts,
        citizen_detail(row),
    )
    return trace(pack, evaluation, _parameters(session, run, pack, row))


def citizen_detail(row: StoredDecision) -> dict[str, Any]:
    """A citizen's decision's detail: its exit status and visitation group, those it has."""
    return {k: v for k, v in (("exit_status", row.value), ("group", row.group)) if v is not None}


def citizen_decisions(session: Session, run: Run, citizen_id: str) -> list[Decision]:
    rows = session.scalars(
        select(StoredDecision)
        .where(StoredDecision.run_id == run.id, StoredDecision.citizen_id == citizen_id)
        .order_by(StoredDecision.municipality, StoredDecision.id)
    )
    return [stored_decision(session, run, row) for row in rows]


def rate_decisions(session: Session, run: Run, municipality: str) -> list[Decision]:
    rows = session.scalars(
        select(StoredDecision)
        .where(
            StoredDecision.run_id == run.id,
            StoredDecision.municipality == municipality,
            StoredDecision.citizen_id.is_(None),
        )
        .order_by(StoredDecision.id)
    )
    return [stored_decision(session, run, row) for row in rows]


def rate2_blockers(status: MunicipalityStatus) -> set[str]:
    """The citizens holding rate 2 back (its `blocked_by.citizens`; none when it is triggered)."""
    return {
        citizen
        for rate in status.rates
        if rate.rate == 2 and rate.blocked_by
        for citizen in rate.blocked_by.get("citizens", [])
    }


@dataclass(frozen=True)
class MembersPage:
    """One page of a municipality's members (their status decisions), and how many match in all."""

    total: int
    rows: list[StoredDecision]


def members(
    session: Session,
    run: Run,
    status: MunicipalityStatus,
    *,
    state: str | None = None,
    group: str | None = None,
    blocks_rate2: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> MembersPage:
    """The members of a municipality in a run, in citizen order: `state` is `active` or an exit status,
    `group` the visitation group on the as-of date, `blocks_rate2` whether rate 2 waits for them."""
    conditions = [
        StoredDecision.run_id == run.id,
        StoredDecision.municipality == status.municipality,
        StoredDecision.decision == f"{run.programme}.status",
    ]
    if state == "active":
        conditions.append(StoredDecision.outcome.is_(True))
    elif state is not None:
        conditions.append(StoredDecision.value == state)
    if group is not None:
        conditions.append(StoredDecision.group == group)
    if blocks_rate2 is not None:
        waiting = StoredDecision.citizen_id.in_(sorted(rate2_blockers(status)))
        conditions.append(waiting if blocks_rate2 else ~waiting)
    total = session.scalar(select(func.count()).select_from(StoredDecision).where(*conditions)) or 0
    rows = session.scalars(
        select(StoredDecision)
        .where(*conditions)
        .order_by(StoredDecision.citizen_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return MembersPage(total, list(rows))


def citizen_refs(session: Session, run: Run, citizen_ids: Iterable[str]) -> dict[str, int]:
    """Per citizen, the id of their first decision row in the run: the opaque reference that names
    the citizen in URLs instead of the CPR number."""
    wanted = sorted(set(citizen_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        found.update(
            session.execute(
                select(StoredDecision.citizen_id, func.min(StoredDecision.id))
                .where(
                    StoredDecision.run_id == run.id,
                    StoredDecision.citizen_id.in_(wanted[start : start + 500]),
                )
                .group_by(StoredDecision.citizen_id)
            ).all()
        )
    return found


def citizen_of(session: Session, run: Run, ref: int) -> str:
    """The citizen a reference (a decision row of the run about a citizen) names."""
    row = session.get(StoredDecision, ref)
    if row is None or row.run_id != run.id or row.citizen_id is None:
        raise NotFound(f"run {run.id} has no citizen with reference {ref}")
    return row.citizen_id


def citizen_timeline(session: Session, citizen_id: str, delivery: int | None) -> CitizenTimeline | None:
    """One citizen's timeline as known after `delivery` (what a run of that delivery read)."""
    if delivery is None:
        return None
    version = session.execute(
        select(CitizenVersion.delivery_id, CitizenVersion.birth_date, CitizenVersion.death_date).where(
            CitizenVersion.citizen_id == citizen_id, known_after(delivery)
        )
    ).first()
    if version is None:
        return None
    values: dict[str, Any] = {"citizen_id": citizen_id, "birth_date": version[1], "death_date": version[2]}
    for name, kind in KINDS.items():
        table, build = kind.table, kind.builder()
        rows = session.execute(
            select(*kind.columns())
            .where(table.citizen_id == citizen_id, table.delivery_id == version[0])
            .order_by(table.id)
        )
        values[name] = tuple(build(*row) for row in rows)
    return CitizenTimeline.model_validate(values)
