"""Storing a delivery: one transaction, history kept (models/db.py), the versions it supersedes stamped."""

from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, aliased

from engine.input.delivery import Content
from engine.input.timelines import KINDS
from models.db import CitizenVersion, Delivery, DeliveryFile, GrantRow, GrantYearRow

BATCH = 5000
IMPORT_LOCK = 0x46534D02  # PostgreSQL advisory lock ("FSM" 2, per schema): one import at a time


@dataclass(frozen=True)
class Stored:
    delivery_id: int
    new: bool
    """False when the same delivery (same checksum) had been imported before: nothing was written."""


LATER = aliased(CitizenVersion)


def store_delivery(session: Session, content: Content) -> Stored:
    """Write a delivery in the caller's transaction, and stamp the citizen versions it supersedes
    (models/db.py); a delivery imported before (same checksum) changes nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("select pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": IMPORT_LOCK}
        )
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
    listed_again = select(LATER.citizen_id).where(LATER.delivery_id == n)
    session.execute(
        update(CitizenVersion)
        .where(
            CitizenVersion.superseded_by.is_(None),
            CitizenVersion.delivery_id < n,
            CitizenVersion.citizen_id.in_(listed_again),
        )
        .values(superseded_by=n),
        execution_options={"synchronize_session": False},
    )
    for field, kind in KINDS.items():
        columns, values = kind.column_names(), attrgetter(*kind.fields)
        rows = [
            {"delivery_id": n, "citizen_id": cid, **dict(zip(columns, values(record), strict=True))}
            for cid, c in content.citizens.items()
            for record in c.get(field, ())
        ]
        _insert(session, kind.table, rows)
    _insert(session, GrantRow, [{"delivery_id": n, **g.model_dump()} for g in content.grants])
    _insert(session, GrantYearRow, [{"delivery_id": n, **g.model_dump()} for g in content.grant_years])
    return Stored(n, True)


def _insert(session: Session, table: type, rows: list[dict[str, Any]]) -> None:
    """Bulk insert of rows keyed by column name (SQL Core: the ORM's per-row work is not needed)."""
    statement = insert(table.__table__)  # type: ignore[attr-defined]
    for start in range(0, len(rows), BATCH):
        session.execute(statement, rows[start : start + BATCH])
