"""Incremental nights: what a run takes over from the night before instead of evaluating it again.

A run carries over the decisions and contributions of a citizen from the *base* — the last finished
run of the same programme, rule pack and municipality (or all), whose grants and parameter values
are the same — when
  * the citizen's timeline is unchanged since the base: their version current after this run's
    delivery is one the base could read (its delivery id is at most the base's); and
  * this run's as-of date is one of the days on which the base's evaluation of them holds
    (`CitizenOutcome.stable`, stored with their contribution): none of their facts can change
    between the two as-of dates (no period starts or ends, no birthday, death, visitation, month's
    end or parameter change falls between them).
Everyone else is evaluated, and every municipality is concluded again from the carried
contributions and the new ones. So the night's cost follows the change: the carried decisions
and their evidence are copied by the database itself (INSERT … SELECT, never through Python), and
the contributions are read back from one row per municipality. A decision the base made on its
as-of date is made on this run's instead: its day moves, and so does the `day` fact of its
evidence — nothing else can differ, which `tests/test_carry.py` checks against full runs.

`fsm run --full` evaluates every citizen.
"""

import logging
from collections.abc import Sequence
from datetime import date

from pydantic_core import from_json, to_jsonable_python
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.input.timelines import known_after, known_citizens, load_grant_years, load_grants
from engine.runs.batch import DECISION_COLUMNS, Carried, Entry, Plan, Work, carrying
from models.db import CitizenVersion
from models.runs import Evidence, Run, RunContributions, RunMunicipality, StoredDecision

log = logging.getLogger(__name__)
MOSTLY = 0.5
"""When more than this share of the citizens must be evaluated, all are: reading them by id and
copying the few others costs more than reading every chunk whole."""


def base_run(session: Session, run: Run, work: Work) -> Run | None:
    """The run to carry citizens over from: the last finished run of the same programme, pack and
    municipality, if its grants and parameters are this run's and it kept its contributions."""
    base = session.scalars(
        select(Run)
        .where(
            Run.status == "finished",
            Run.programme == run.programme,
            Run.pack_hash == run.pack_hash,
            Run.municipality.is_(None) if run.municipality is None else Run.municipality == run.municipality,
            Run.delivery_id.is_not(None),
            Run.id < run.id,
        )
        .order_by(Run.id.desc())
        .limit(1)
    ).first()
    if base is None:
        return None
    if reason := _differs(session, base, run, work):
        log.info("run %s evaluates every citizen: run %s %s", run.id, base.id, reason)
        return None
    return base


def _differs(session: Session, base: Run, run: Run, work: Work) -> str | None:
    """Why `base` cannot be carried from (None: it can)."""
    places = work.places
    stored = {
        code: (membership, rates)
        for code, membership, rates in session.execute(
            select(
                RunMunicipality.municipality,
                RunMunicipality.membership_parameters,
                RunMunicipality.rate_parameters,
            ).where(RunMunicipality.run_id == base.id)
        )
    }
    made = {
        code: (to_jsonable_python(dict(p.membership_params)), to_jsonable_python(dict(p.rate_params)))
        for code, p in places.items()
    }
    if stored != made:
        return "has other municipalities or parameter values"
    delivered = []
    for delivery in (base.delivery_id, run.delivery_id):
        grants = load_grants(session, delivery=delivery, programme=run.programme)
        years = load_grant_years(session, delivery=delivery, programme=run.programme)
        delivered.append(
            ([g for g in grants if g.municipality in places], [y for y in years if y.municipality in places])
        )
    if delivered[0] != delivered[1]:
        return "was made under other grants"
    kept = session.scalar(
        select(func.count()).select_from(RunContributions).where(RunContributions.run_id == base.id)
    )
    if kept != len(places):
        return "kept no contributions (it was stored before incremental runs)"
    return None


@collector_paused()
def carry_over(session: Session, base: Run, work: Work, as_of: date) -> Plan | None:
    """The plan of evaluating only the citizens that must be; the others are carried from `base`
    (None when most must be evaluated: see MOSTLY)."""
    assert base.delivery_id is not None
    changed = set(
        session.scalars(
            select(CitizenVersion.citizen_id).where(
                known_after(work.delivery), CitizenVersion.delivery_id > base.delivery_id
            )
        )
    )
    day = as_of.toordinal()
    stored: dict[str, list[Entry]] = {
        code: from_json(citizens)
        for code, citizens in session.execute(
            select(RunContributions.municipality, RunContributions.citizens).where(
                RunContributions.run_id == base.id
            )
        )
    }
    evaluate = changed | {
        citizen
        for entries in stored.values()
        for citizen, first, last, _ in entries
        if not first <= day <= last
    }
    entries = {code: [e for e in found if e[0] not in evaluate] for code, found in stored.items()}
    carried = {e[0] for found in entries.values() for e in found}
    ids = known_citizens(session, delivery=work.delivery, municipality=work.municipality)
    order = {citizen: i for i, citizen in enumerate(ids)}
    evaluated = [citizen for citizen in ids if citizen in evaluate]
    if len(evaluated) > MOSTLY * len(ids):
        log.info("%d of %d citizens to evaluate: every citizen is", len(evaluated), len(ids))
        return None
    greatest = session.scalar(select(func.max(Evidence.id)).where(Evidence.run_id == base.id))
    kept = Carried(base.id, base.as_of, len(carried), entries, order, 0 if greatest is None else greatest + 1)
    return carrying(work, kept, evaluated, len(ids))


def evaluated_citizens(plan: Plan) -> list[str]:
    """The citizens a carrying plan evaluates (its chunks are their ids)."""
    return [citizen for chunk in plan.chunks for citizen in chunk]


def copy_carried(connection: Connection, run_id: int, as_of: date, plan: Plan) -> int:
    """Copy the carried citizens' decision rows, and the evidence they rest on, from the base into
    run `run_id`, as made on `as_of`; returns how many decisions were copied."""
    carried = plan.carried
    assert carried is not None
    evaluated = Table(
        "carry_evaluated",
        MetaData(),
        Column("citizen_id", String(64), primary_key=True),
        prefixes=["TEMPORARY"],
    )
    evaluated.create(connection)
    try:
        citizens = evaluated_citizens(plan)
        if citizens:
            connection.execute(insert(evaluated), [{"citizen_id": c} for c in citizens])
        base = StoredDecision.run_id == carried.run_id
        evaluated_rows = evaluated.c.citizen_id == StoredDecision.citizen_id
        rows = and_(base, StoredDecision.citizen_id.is_not(None), ~exists().where(evaluated_rows))
        connection.execute(
            insert(Evidence).from_select(
                ["run_id", "id", "verdicts", "facts"],
                select(
                    literal(run_id), Evidence.id, Evidence.verdicts, _moved(connection, carried.as_of, as_of)
                ).where(
                    Evidence.run_id == carried.run_id,
                    Evidence.id.in_(select(StoredDecision.evidence_id).where(rows)),
                ),
            )
        )
        made_on = case((StoredDecision.day == carried.as_of, literal(as_of)), else_=StoredDecision.day)
        # in the order of the citizen index (or of the rows): each citizen's rows keep their order
        connection.execute(
            insert(StoredDecision).from_select(
                ["run_id", *DECISION_COLUMNS],
                select(
                    literal(run_id),
                    *(
                        made_on if name == "day" else getattr(StoredDecision, name)
                        for name in DECISION_COLUMNS
                    ),
                ).where(rows),
            )
        )
        count = select(func.count()).select_from(StoredDecision)
        copied = (
            connection.scalar(select(Run.decisions).where(Run.id == carried.run_id))
            - connection.scalar(count.where(base, StoredDecision.citizen_id.is_(None)))
            - connection.scalar(count.where(base, exists().where(evaluated_rows)))
        )
    finally:
        evaluated.drop(connection)
    return copied


def _moved(connection: Connection, before: date, after: date) -> Sequence[object]:
    """An evidence's facts with its `day` fact moved from the base's as-of date to this run's (the
    facts are the JSON the run wrote: `"day":"YYYY-MM-DD"`, nothing else is that)."""
    moved = func.replace(cast(Evidence.facts, Text), f'"day":"{before}"', f'"day":"{after}"')
    return cast(moved, JSON) if connection.dialect.name == "postgresql" else moved  # type: ignore[return-value]
