"""Storing deliveries (one transaction each, history kept) and reading back what was known after
delivery N: citizens' timelines and grants, in bulk, for the nightly run."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, select
from sqlalchemy.orm import Session

from engine.delivery import Content
from models.codes import Activity, GrantProgramme, MatchCategory, Programme, Support, VisitationGroup
from models.db import (
    ActivityRow,
    CitizenVersion,
    Delivery,
    DeliveryFile,
    ExemptionRow,
    GrantRow,
    GrantYearRow,
    MatchRow,
    ProgrammeRow,
    ResidenceRow,
    SupportRow,
    VisitationRow,
)
from models.domain import (
    ActivityPeriod,
    CitizenTimeline,
    Exemption,
    Grant,
    GrantYear,
    MatchPeriod,
    ProgrammePeriod,
    Residence,
    SupportPeriod,
    Visitation,
    trusted,
)

BATCH = 5000


@dataclass(frozen=True)
class Stored:
    delivery_id: int
    new: bool
    """False when the same delivery (same checksum) had been imported before: nothing was written."""


def store_delivery(session: Session, content: Content) -> Stored:
    """Write a delivery in the caller's transaction; a delivery imported before changes nothing."""
    earlier = session.scalar(select(Delivery.id).where(Delivery.checksum == content.checksum))
    if earlier is not None:
        return Stored(earlier, False)
    delivery = Delivery(
        imported_at=datetime.now(UTC),
        source=str(content.source),
        checksum=content.checksum,
        citizens=len(content.citizens),
    )
    session.add(delivery)
    session.flush()
    n = delivery.id
    session.add_all(DeliveryFile(delivery_id=n, **f.__dict__) for f in content.files)
    _insert(
        session,
        CitizenVersion,
        [
            {
                "delivery_id": n,
                "citizen_id": cid,
                "birth_date": c["birth_date"],
                "death_date": c["death_date"],
            }
            for cid, c in content.citizens.items()
        ],
    )
    for field, kind in KINDS.items():
        rows = [
            {"delivery_id": n, "citizen_id": cid, **record.model_dump(exclude_none=False)}
            for cid, c in content.citizens.items()
            for record in c.get(field, ())
        ]
        _insert(session, kind.table, rows)
    _insert(session, GrantRow, [{"delivery_id": n, **g.model_dump()} for g in content.grants])
    _insert(session, GrantYearRow, [{"delivery_id": n, **g.model_dump()} for g in content.grant_years])
    return Stored(n, True)


def _insert(session: Session, table: type, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])


def latest_delivery(session: Session) -> int | None:
    return session.scalar(select(func.max(Delivery.id)))


def _current_versions(delivery: int | None) -> Select[Any]:
    """Per citizen, the latest delivery ≤ N that listed them: what was known after delivery N."""
    query = select(CitizenVersion.citizen_id, func.max(CitizenVersion.delivery_id).label("delivery_id"))
    if delivery is not None:
        query = query.where(CitizenVersion.delivery_id <= delivery)
    return query.group_by(CitizenVersion.citizen_id)


def _rows_of(session: Session, table: type, columns: tuple[Any, ...], current: Any) -> Iterator[Any]:
    """A timeline table's rows of the current citizen versions, in citizen order."""
    query = (
        select(table.citizen_id, *columns)
        .join(
            current,
            and_(table.citizen_id == current.c.citizen_id, table.delivery_id == current.c.delivery_id),
        )
        .order_by(table.citizen_id, table.id)
    )
    return iter(session.execute(query))


@dataclass(frozen=True)
class _Kind:
    """How one timeline table's rows become domain records again (validated on import: no re-validation)."""

    table: type
    model: type
    code: str
    """The record's code field, also the table's column attribute."""
    codes: type | None
    """The code's enum (None: free text, e.g. a municipality or an exemption marking)."""

    def columns(self) -> tuple[Any, ...]:
        second, third = ("day", "group") if self.model is Visitation else ("start", "end")
        return tuple(getattr(self.table, name) for name in (self.code, second, third))

    def build(self, code: str, second: Any, third: Any) -> Any:
        value = code if self.codes is None else self.codes._value2member_map_[code]
        if self.model is Visitation:
            return trusted(Visitation, {"programme": value, "day": second, "group": GROUPS[third]})
        return trusted(self.model, {self.code: value, "start": second, "end": third})


GROUPS = VisitationGroup._value2member_map_


KINDS = {
    "residence": _Kind(ResidenceRow, Residence, "municipality", None),
    "support": _Kind(SupportRow, SupportPeriod, "support", Support),
    "match": _Kind(MatchRow, MatchPeriod, "category", MatchCategory),
    "programmes": _Kind(ProgrammeRow, ProgrammePeriod, "programme", Programme),
    "visitations": _Kind(VisitationRow, Visitation, "programme", GrantProgramme),
    "activities": _Kind(ActivityRow, ActivityPeriod, "activity", Activity),
    "exemptions": _Kind(ExemptionRow, Exemption, "marking", None),
}


def load_timelines(
    session: Session, *, delivery: int | None = None, municipality: str | None = None
) -> Iterator[CitizenTimeline]:
    """Every citizen's timeline as known after `delivery` (default: the latest), in citizen order;
    with `municipality`, only citizens who ever lived there. One query per table, no per-citizen query."""
    current = _current_versions(delivery).subquery()
    if municipality is not None:
        lived_there = (
            select(current.c.citizen_id, current.c.delivery_id)
            .join(
                ResidenceRow,
                and_(
                    ResidenceRow.citizen_id == current.c.citizen_id,
                    ResidenceRow.delivery_id == current.c.delivery_id,
                ),
            )
            .where(ResidenceRow.municipality == municipality)
            .distinct()
        )
        current = lived_there.subquery()
    records: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for field, kind in KINDS.items():
        for row in _rows_of(session, kind.table, kind.columns(), current):
            records[row[0]][field].append(kind.build(*row[1:]))
    people = (
        select(CitizenVersion.citizen_id, CitizenVersion.birth_date, CitizenVersion.death_date)
        .join(
            current,
            and_(
                CitizenVersion.citizen_id == current.c.citizen_id,
                CitizenVersion.delivery_id == current.c.delivery_id,
            ),
        )
        .order_by(CitizenVersion.citizen_id)
    )
    for citizen_id, born, died in session.execute(people):
        fields = records.pop(citizen_id, {})
        yield trusted(
            CitizenTimeline,
            {
                "citizen_id": citizen_id,
                "birth_date": born,
                "death_date": died,
                **{field: tuple(fields.get(field, ())) for field in KINDS},
            },
        )


def _latest_per_key(
    session: Session, table: type, delivery: int | None, programme: str | None, *key: Any
) -> list[Any]:
    newest = select(*key, func.max(table.delivery_id).label("delivery_id")).group_by(*key)
    if delivery is not None:
        newest = newest.where(table.delivery_id <= delivery)
    newest_q = newest.subquery()
    query = select(table).join(
        newest_q, and_(table.delivery_id == newest_q.c.delivery_id, *(k == newest_q.c[k.key] for k in key))
    )
    if programme is not None:
        query = query.where(table.programme == programme)
    return list(session.scalars(query.order_by(*key)))


def load_grants(
    session: Session, *, delivery: int | None = None, programme: str | None = None
) -> list[Grant]:
    """Each municipality's grant per programme as known after `delivery` (a later row replaces an earlier)."""
    rows = _latest_per_key(session, GrantRow, delivery, programme, GrantRow.municipality, GrantRow.programme)
    return [
        Grant(
            municipality=r.municipality,
            programme=r.programme,
            amount=r.amount,
            approved_on=r.approved_on,
            project_start=r.project_start,
            project_end=r.project_end,
        )
        for r in rows
    ]


def load_grant_years(
    session: Session, *, delivery: int | None = None, programme: str | None = None
) -> list[GrantYear]:
    """The grant budget by year, per municipality and programme, as known after `delivery`."""
    newest = _latest_per_key(
        session, GrantYearRow, delivery, programme, GrantYearRow.municipality, GrantYearRow.programme
    )
    return [
        GrantYear(municipality=r.municipality, programme=r.programme, year=r.year, amount=r.amount)
        for r in newest
    ]
