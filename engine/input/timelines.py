"""Reading back what was known after delivery N: citizens' timelines and grants, in bulk, for the
nightly run."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache, lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Select,
    Subquery,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from models.codes import Activity, GrantProgramme, MatchCategory, Programme, Support, VisitationGroup
from models.db import (
    ActivityRow,
    CitizenVersion,
    Delivery,
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
    Record,
    Residence,
    SupportPeriod,
    Visitation,
    trusted,
    trusted_columns,
)

SHALLOW = 1.5
"""Read whole tables (and drop the rows of other versions before typing them) while the versions
known after N are at most this many times the ones read; with a deeper history, or for a
municipality of a database that holds many others, join on the versions to read.
Measured on the national shape, 5,000 citizens, CPU-s: one version each, whole tables 0.18, join
0.25; two versions each (a full snapshot delivered twice), whole tables 0.28, join 0.25."""


def latest_delivery(session: Session) -> int | None:
    """The id of the last delivery imported; None before the first."""
    return session.scalar(select(func.max(Delivery.id)))


def known_after(delivery: int | None) -> ColumnElement[bool]:
    """The citizen versions that were current after `delivery` (None: the latest knowledge)."""
    if delivery is None:
        return CitizenVersion.superseded_by.is_(None)
    return and_(
        CitizenVersion.delivery_id <= delivery,
        or_(CitizenVersion.superseded_by.is_(None), CitizenVersion.superseded_by > delivery),
    )


@dataclass(frozen=True)
class _Kind:
    """How one timeline table's rows become domain records again (validated on import: no re-validation)."""

    table: type
    model: type[Record]
    fields: tuple[str, str, str]
    """The record's fields; the table's mapped attributes have the same names."""
    types: tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]
    """Each field's value from the value the database driver gives (a code, a date)."""

    def columns(self) -> tuple[Any, ...]:
        return tuple(getattr(self.table, name) for name in self.fields)

    def column_names(self) -> tuple[str, ...]:
        return tuple(column.expression.key for column in self.columns())

    def builder(self) -> Callable[[Any, Any, Any], Record]:
        """Records from the driver's values; equal values give the same (frozen) record, made once
        per process while it is among the RECORDS_KEPT last of its kind (values repeat across
        citizens), so each distinct value is typed once, not once per row."""
        return _builder(self)


RECORDS_KEPT = 4_096
"""Records kept per kind by value: most values repeat (the same residence, support or match
periods), so the records and the spans they compute are shared across citizens and chunks."""


@cache
def _builder(kind: _Kind) -> Callable[[Any, Any, Any], Record]:
    make, (first, second, third), (type_a, type_b, type_c) = trusted(kind.model), kind.fields, kind.types

    @lru_cache(maxsize=RECORDS_KEPT)
    def build(a: Any, b: Any, c: Any) -> Record:
        return make({first: type_a(a), second: type_b(b), third: type_c(c)})

    return build


def _code(codes: type[Enum]) -> Callable[[Any], Any]:
    return codes._value2member_map_.__getitem__


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=1 << 16)
def _day(value: date | str | None) -> date | None:
    """A date as the driver gives it: a date (PostgreSQL), ISO text (SQLite) or None. Kept by value
    (a run reads two million dates, of a few thousand distinct days)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _period(table: type, model: type[Record], code: str, codes: type[Enum] | None) -> _Kind:
    return _Kind(table, model, (code, "start", "end"), (_code(codes) if codes else _same, _day, _day))


KINDS = {
    "residence": _period(ResidenceRow, Residence, "municipality", None),
    "support": _period(SupportRow, SupportPeriod, "support", Support),
    "match": _period(MatchRow, MatchPeriod, "category", MatchCategory),
    "programmes": _period(ProgrammeRow, ProgrammePeriod, "programme", Programme),
    "visitations": _Kind(
        VisitationRow,
        Visitation,
        ("programme", "day", "group"),
        (_code(GrantProgramme), _day, _code(VisitationGroup)),
    ),
    "activities": _period(ActivityRow, ActivityPeriod, "activity", Activity),
    "exemptions": _period(ExemptionRow, Exemption, "marking", None),
}


class CitizenRange(NamedTuple):
    """Citizen ids from `first` (included) up to `after` (excluded; None: to the last)."""

    first: str
    after: str | None


Citizens = CitizenRange | tuple[str, ...]
"""Which citizens to read: a range of ids, or the ids themselves (in citizen order)."""


def _known(delivery: int | None, municipality: str | None) -> Select[tuple[str]]:
    """The ids of the citizens known after `delivery` (who ever lived in `municipality`), in order."""
    selected = _lived_in(delivery, municipality, None)
    return select(selected.c.citizen_id).order_by(selected.c.citizen_id)


def known_citizens(
    session: Session, *, delivery: int | None = None, municipality: str | None = None
) -> list[str]:
    """The ids of the citizens known after `delivery` (who ever lived in `municipality`), in order."""
    with collector_paused():
        return [
            citizen_id for (citizen_id,) in _fetched(session.connection(), _known(delivery, municipality))
        ]


def known_ranges(
    session: Session, size: int, *, delivery: int | None = None, municipality: str | None = None
) -> tuple[list[CitizenRange], int]:
    """The citizens `known_citizens` gives, as consecutive ranges of `size` (the last one open-ended),
    and how many they are: the ids pass by in batches and only every `size`th is kept, so that a
    national population's ids are never held as Python objects at once."""
    starts: list[str] = []
    count = 0
    result = session.connection().execute(_known(delivery, municipality))
    try:
        while batch := result.cursor.fetchmany(10_000):  # the driver's plain tuples, as `_fetched`
            starts.extend(citizen_id for (citizen_id,) in batch[-count % size :: size])
            count += len(batch)
    finally:
        result.close()
    ends = [*starts[1:], None] if starts else []
    return [CitizenRange(first, after) for first, after in zip(starts, ends, strict=True)], count


def load_timelines(
    session: Session,
    *,
    delivery: int | None = None,
    municipality: str | None = None,
    citizens: Citizens | None = None,
) -> Iterator[CitizenTimeline]:
    """Every citizen's timeline as known after `delivery` (default: the latest), in citizen order;
    with `municipality`, only citizens who ever lived there (by what was known then); with
    `citizens`, only those (a range of ids, or the ids).

    One query per table, no per-citizen query. While the versions to read are most of those known
    (history is shallow — typically one snapshot per citizen — and the municipality, if given, is
    most of the database) whole tables are read and the rows of other versions dropped before they
    are typed, which is much faster than a join; otherwise each table is joined on the versions to
    read (for a municipality, found from its residence rows, by index).
    """
    with collector_paused():
        timelines = _timelines(session, delivery, municipality, citizens)
    yield from timelines


def _lived_in(delivery: int | None, municipality: str | None, citizens: Citizens | None) -> Subquery:
    """The citizen versions (delivery_id, citizen_id) known after `delivery`, of the `citizens`; with
    `municipality`, those with a residence there (driven by the residence table's municipality index)."""
    query = select(CitizenVersion.delivery_id, CitizenVersion.citizen_id).where(
        known_after(delivery), *_in_range(CitizenVersion.citizen_id, citizens)
    )
    if municipality is not None:
        there = (
            select(ResidenceRow.delivery_id, ResidenceRow.citizen_id)
            .where(ResidenceRow.municipality == municipality)
            .distinct()
            .subquery()
        )
        query = query.join(
            there,
            and_(
                CitizenVersion.delivery_id == there.c.delivery_id,
                CitizenVersion.citizen_id == there.c.citizen_id,
            ),
        )
    return query.subquery()


def _in_range(column: Any, citizens: Citizens | None) -> list[ColumnElement[bool]]:
    if citizens is None:
        return []
    if not isinstance(citizens, CitizenRange):
        return [column.in_(citizens)]
    first, after = citizens
    return [column >= first] if after is None else [column >= first, column < after]


def _timelines(
    session: Session, delivery: int | None, municipality: str | None, citizens: Citizens | None
) -> list[CitizenTimeline]:
    connection = session.connection()
    selected = _lived_in(delivery, municipality, citizens)
    people = _fetched(
        connection,
        select(
            CitizenVersion.citizen_id,
            CitizenVersion.delivery_id,
            CitizenVersion.birth_date,
            CitizenVersion.death_date,
        )
        .join(
            selected,
            and_(
                CitizenVersion.delivery_id == selected.c.delivery_id,
                CitizenVersion.citizen_id == selected.c.citizen_id,
            ),
        )
        .order_by(CitizenVersion.citizen_id),
    )
    versions = _versions(session, delivery, citizens)
    join = versions > SHALLOW * len(people)
    read: dict[str, tuple[int, dict[str, Any]]] = {
        citizen_id: (
            version,
            {"citizen_id": citizen_id, "birth_date": _day(born), "death_date": _day(died), **EMPTY},
        )
        for citizen_id, version, born, died in people
    }
    current = None  # every row read is of a version read
    if not join and versions > len(people):
        current = {citizen_id: version for citizen_id, (version, _) in read.items()}
    for field, kind in KINDS.items():
        for (citizen_id, version), records in _groups(
            connection, kind, selected if join else None, delivery, citizens, current
        ):
            known = read.get(citizen_id)
            if known is None or known[0] != version:  # never lose rows silently
                raise RuntimeError(f"{field} rows of a citizen version not read: {citizen_id}, {version}")
            known[1][field] = records
    timeline = trusted(CitizenTimeline)
    return [timeline(values) for _, values in read.values()]


EMPTY = dict.fromkeys(KINDS, ())
"""A timeline's tables before any row is read: none."""


def _versions(session: Session, delivery: int | None, citizens: Citizens | None) -> int:
    """How many versions of the citizens were known after `delivery` (current and superseded)."""
    query = (
        select(func.count())
        .select_from(CitizenVersion)
        .where(*_in_range(CitizenVersion.citizen_id, citizens))
    )
    if delivery is not None:
        query = query.where(CitizenVersion.delivery_id <= delivery)
    return session.scalar(query) or 0


def _groups(
    connection: Connection,
    kind: _Kind,
    selected: Subquery | None,
    delivery: int | None,
    citizens: Citizens | None,
    current: Mapping[str, int] | None,
) -> list[tuple[tuple[str, int], tuple[Record, ...]]]:
    """A timeline table's records as ((citizen, version), records) in citizen order, the records of
    a version in the order they were delivered. `selected`: only these citizen versions (a join);
    None: every version up to `delivery`, of which only the `current` one of each citizen is kept
    (None: each citizen has one)."""
    table = kind.table
    query = select(table.citizen_id, table.delivery_id, *kind.columns()).order_by(
        table.citizen_id, table.delivery_id, table.id
    )
    if selected is not None:
        query = query.join(
            selected,
            and_(selected.c.delivery_id == table.delivery_id, selected.c.citizen_id == table.citizen_id),
        )
    else:
        query = query.where(*_in_range(table.citizen_id, citizens))
        if delivery is not None:
            query = query.where(table.delivery_id <= delivery)
    rows = _fetched(connection, query)
    if current is not None:
        rows = [row for row in rows if current.get(row[0]) == row[1]]
    if not rows:
        return []
    # column by column, so that the work per row (a million of them) is done by builtins
    citizen_ids, versions, *values = zip(*rows, strict=True)
    typed = [_typed(convert, column) for convert, column in zip(kind.types, values, strict=True)]
    records = trusted_columns(kind.model, kind.fields, typed)
    keys = zip(citizen_ids, versions, strict=True)
    return [
        (key, tuple(map(_RECORD, group))) for key, group in groupby(zip(keys, records, strict=True), key=_KEY)
    ]


def _typed(convert: Callable[[Any], Any], column: Sequence[Any]) -> Sequence[Any]:
    """A column's values typed: each distinct value once (days and codes repeat across rows)."""
    if convert is _same:
        return column
    typed = {value: convert(value) for value in set(column)}
    return list(map(typed.__getitem__, column))


_KEY, _RECORD = itemgetter(0), itemgetter(1)


def _fetched(connection: Connection, query: Executable) -> Sequence[Any]:
    """Every row of `query` as the database driver gives it: plain tuples of untyped values (an
    SQLite date is ISO text). A run reads half a million rows, and SQLAlchemy's typed rows cost
    more than the database's own reading of them; the records type what they need (`_Kind.types`)."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


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
