"""SQLAlchemy tables of the data deliveries (SPEC section 3), with history.

Every import is a `deliveries` row with an increasing id. A citizen listed in delivery N whose
content (their citizens.csv row and every row about them) differs from their current version gets
a `citizen_versions` row (N, citizen_id) with the digest of that content, and that delivery's
timeline rows hang off it; nothing is overwritten. A citizen listed with the content they already
have gets no new version (the import counts them as unchanged), so a full snapshot repeating
unchanged citizens adds nothing that later reads must skip. "What did we know after delivery N?"
is, per citizen, the version with the greatest delivery id ≤ N — exactly what delivery N and the
ones before it said, since a version left out was equal to the one before it. To read that
without a per-citizen maximum, the import of delivery M stamps `superseded_by = M` on the
versions it replaces (the one write to an earlier row; it adds a fact, changes none, and can be
recomputed from the ids): the versions known after N are exactly those with `delivery_id ≤ N` and
`superseded_by` empty or > N. Grants and grant years: the latest delivery ≤ N that has a row for
the municipality and programme wins.

The contract an incremental run relies on: a citizen's timeline is unchanged since a run that read
delivery R iff their version current after the latest delivery has `delivery_id ≤ R`. ("Changed"
means that a delivery after R listed them with content other than their version then current; a
citizen changed and later changed back is changed, and evaluating them again is only redundant.)
Versions stored before migration 0008 have no digest: the next delivery listing them stores a new
version once.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(Text)
    """The folder it was read from."""
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    """SHA-256 over the parsed content (engine/input/delivery.py), whatever the bytes: a delivery equal
    to the latest one is not imported again; one equal to an older one only when it is re-sent on
    purpose (`fsm import --resend`)."""
    citizens: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """What its import printed (files, rows read, accepted, rejected, changed): printed again when
    the same delivery is imported again."""


class DeliveryFile(Base):
    __tablename__ = "delivery_files"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)


class CitizenVersion(Base):
    """What one delivery said about one citizen (citizens.csv)."""

    __tablename__ = "citizen_versions"
    __table_args__ = (
        Index("ix_citizen_versions_citizen_delivery", "citizen_id", "delivery_id"),
        Index("ix_citizen_versions_current", "superseded_by", "citizen_id"),
    )

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), primary_key=True)
    citizen_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    death_date: Mapped[date | None] = mapped_column(Date)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    """The next delivery that listed the citizen with other content (its rows replace these); None: still current."""
    digest: Mapped[str | None] = mapped_column(String(32))
    """The content's digest (engine/input/delivery.py `Listed.digest`); None for versions stored before 0008."""


class _OfCitizenVersion:
    """Columns shared by every timeline table: the citizen version the row belongs to."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(Integer)
    citizen_id: Mapped[str] = mapped_column(String(64))


def _citizen_index(table: str, *values: str) -> tuple[Index]:
    """The index the nightly run reads a range of citizens by: in the order it reads them, and
    covering the row's `values`, so the read never visits the table. (`delivery_id, citizen_id` name
    the row's citizen version, without a foreign key: migration 0018 says why.)"""
    return (Index(f"ix_{table}_citizen_covering", "citizen_id", "delivery_id", "id", *values),)


PERIOD = ("from_date", "to_date")


class _Period:
    start: Mapped[date] = mapped_column("from_date", Date)
    end: Mapped[date | None] = mapped_column("to_date", Date)


class ResidenceRow(_OfCitizenVersion, _Period, Base):
    __tablename__ = "residence"
    __table_args__ = (
        *_citizen_index("residence", "municipality", *PERIOD),
        Index("ix_residence_municipality", "municipality"),
    )
    municipality: Mapped[str] = mapped_column(String(3))


class SupportRow(_OfCitizenVersion, _Period, Base):
    __tablename__ = "support"
    __table_args__ = _citizen_index("support", "support", *PERIOD)
    support: Mapped[str] = mapped_column(String(32))


class MatchRow(_OfCitizenVersion, _Period, Base):
    __tablename__ = "match"
    __table_args__ = _citizen_index("match", "category", *PERIOD)
    category: Mapped[str] = mapped_column(String(32))


class ProgrammeRow(_OfCitizenVersion, _Period, Base):
    __tablename__ = "programmes"
    __table_args__ = _citizen_index("programmes", "programme", *PERIOD)
    programme: Mapped[str] = mapped_column(String(32))


class ActivityRow(_OfCitizenVersion, _Period, Base):
    __tablename__ = "activities"
    __table_args__ = _citizen_index("activities", "activity", *PERIOD)
    activity: Mapped[str] = mapped_column(String(32))


class ExemptionRow(_OfCitizenVersion, _Period, Base):
    __tablename__ = "exemptions"
    __table_args__ = _citizen_index("exemptions", "marking", *PERIOD)
    marking: Mapped[str] = mapped_column(String(40))


class VisitationRow(_OfCitizenVersion, Base):
    __tablename__ = "visitations"
    __table_args__ = _citizen_index("visitations", "programme", "date", "group")
    programme: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column("date", Date)
    group: Mapped[str] = mapped_column(String(16))


class GrantRow(Base):
    __tablename__ = "grants"
    __table_args__ = (Index("ix_grants_municipality_programme", "municipality", "programme", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"))
    municipality: Mapped[str] = mapped_column(String(3))
    programme: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    approved_on: Mapped[date] = mapped_column(Date)
    project_start: Mapped[date] = mapped_column(Date)
    project_end: Mapped[date] = mapped_column(Date)


class GrantYearRow(Base):
    __tablename__ = "grant_years"
    __table_args__ = (
        Index("ix_grant_years_municipality_programme", "municipality", "programme", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"))
    municipality: Mapped[str] = mapped_column(String(3))
    programme: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
