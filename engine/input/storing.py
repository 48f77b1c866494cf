"""Storing a delivery read by engine/input/delivery.py: in the caller's transaction, one import at
a time, history kept (models/db.py), and only what it changes.

The import lock comes first — an advisory lock on PostgreSQL, the write lock on SQLite (an
immediate transaction) — so that two imports of the same delivery at once store it once: the
second finds it "already imported". The listed citizens' digests go to a temporary table and are
compared with their current versions in one query: unchanged citizens get no new version. A
delivery equal to an older one than the latest is refused unless it is re-sent on purpose (it
would change back what later deliveries corrected); so is one without a kind's file when the
citizens it lists had rows of that kind, unless that is allowed. Rows are written as the database
takes them fastest: SQLite by the driver's executemany of plain tuples, PostgreSQL by COPY.
"""

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from engine.input.delivery import KIND_BITS, TIMELINE_FILES, DeliveryError, Scanned
from engine.input.spool import Batch, Spool
from engine.input.timelines import KINDS, load_grant_years, load_grants
from models.db import CitizenVersion, Delivery, DeliveryFile, GrantRow, GrantYearRow

IMPORT_LOCK = 0x46534D02  # PostgreSQL advisory lock ("FSM" 2, per schema): one import at a time
FILE_OF = {spec.field: spec.name for spec in TIMELINE_FILES}

LISTED = Table(
    "listed_citizens",
    MetaData(),
    Column("citizen_id", String(64), primary_key=True),
    Column("digest", String(32)),
    Column("kinds", Integer),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
"""The citizens a delivery lists, with the digest and the kinds (KIND_BITS) of their content."""


@dataclass(frozen=True)
class Stored:
    delivery_id: int
    new: bool
    """False when an equal delivery had been imported before: nothing was written."""
    changed: int = 0
    """Listed citizens who got a new version (new citizens included)."""
    unchanged: int = 0
    losses: dict[str, int] = field(default_factory=dict)
    """Per kind, how many listed citizens lose all their rows of it."""
    summary: dict[str, Any] | None = None
    """An earlier delivery's summary, as its import printed it."""


class FirstLoad:
    """A first delivery into a database that holds no citizen yet: every citizen it lists is new,
    so every row it accepts is stored, and its timeline files are stored as the workers that read
    them finish (engine/input/delivery.py `apart`), while the others still read. Made under the
    import lock (`start`), with the delivery's id reserved."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.delivery_id: int | None = None
        """Reserved when the rows are stored as they are read."""

    def start(self) -> Callable[[str, Iterable[tuple[str, Batch]]], None] | None:
        """Take the import lock; when the database holds no citizen version yet, reserve the
        delivery's id and return what stores a timeline file's batches (None: the rows wait)."""
        connection = self.session.connection()
        _lock(connection)
        if self.session.scalar(select(CitizenVersion.citizen_id).limit(1)) is not None:
            return None
        self.delivery_id = _next_delivery_id(connection)
        return self._store

    def _store(self, kind: str, batches: Iterable[tuple[str, Batch]]) -> None:
        assert self.delivery_id is not None
        for _, batch in batches:
            _timeline_rows(self.session.connection(), kind, self.delivery_id, batch)


def _next_delivery_id(connection: Connection) -> int:
    """The id the next delivery gets (under the import lock)."""
    if connection.dialect.name == "postgresql":
        return connection.scalar(text("select nextval(pg_get_serial_sequence('deliveries', 'id'))"))
    return (connection.scalar(select(func.max(Delivery.id))) or 0) + 1


def store_delivery(
    session: Session,
    found: Scanned,
    rows: Spool,
    *,
    allow_missing: Iterable[str] = (),
    resend: bool = False,
    first: FirstLoad | None = None,
) -> Stored:
    """Write a delivery in the caller's transaction; raises DeliveryError (nothing written) when it
    is refused. With `first` started and its rows stored, the delivery gets its reserved id and
    the timeline rows are not stored again."""
    connection = session.connection()
    _lock(connection)
    earlier = session.execute(
        select(Delivery.id, Delivery.summary)
        .where(Delivery.checksum == found.checksum)
        .order_by(Delivery.id.desc())
    ).first()
    latest = session.scalar(select(func.max(Delivery.id)))
    _list(connection, found)
    unchanged = _mark_unchanged(connection, found)
    changed = len(found.citizens) - unchanged
    refused = []
    if earlier is not None:
        undone = changed + _grants_changed(session, found)
        if earlier.id == latest or not undone:
            _unlist(connection)
            return Stored(earlier.id, False, summary=earlier.summary)
        if not resend:
            refused.append(_would_undo(earlier.id, latest, changed, undone - changed))
    losses = _losses(connection)
    refused += [
        f"{FILE_OF[kind]} is missing, yet {count} of the citizens it lists had {kind} rows: they would lose "
        f"them all (give --allow-missing {kind} if that is meant)"
        for kind, count in losses.items()
        if count and kind in found.absent and kind not in set(allow_missing)
    ]
    if refused:
        raise DeliveryError(refused)
    reserved = first.delivery_id if first else None
    n = _delivery(session, found, reserved)
    session.execute(
        update(CitizenVersion)
        .where(
            CitizenVersion.superseded_by.is_(None),
            CitizenVersion.citizen_id == LISTED.c.citizen_id,
            or_(CitizenVersion.digest.is_(None), CitizenVersion.digest != LISTED.c.digest),
        )
        .values(superseded_by=n),
        execution_options={"synchronize_session": False},
    )
    versions = (
        (c, listed.born, listed.died, listed.digest) for c, listed in found.citizens.items() if listed.changed
    )
    _bulk(connection, "citizen_versions", ("citizen_id", "birth_date", "death_date", "digest"), n, versions)
    everyone = unchanged == 0
    citizens = found.citizens
    for kind, batch in () if reserved is not None else rows.batches():  # stored as read: FirstLoad
        kept = batch if everyone else [row for row in batch if citizens[row[0]].changed]
        _timeline_rows(connection, kind, n, kept)
    grants = [{"delivery_id": n, **g.model_dump()} for g in found.grants]
    grant_years = [{"delivery_id": n, **g.model_dump()} for g in found.grant_years]
    for table, values in ((GrantRow, grants), (GrantYearRow, grant_years)):
        if values:
            session.execute(table.__table__.insert(), values)
    _unlist(connection)
    return Stored(n, True, changed, unchanged, {k: v for k, v in losses.items() if v})


def record_summary(session: Session, delivery_id: int, summary: dict[str, Any]) -> None:
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(summary=summary))


def _lock(connection: Connection) -> None:
    """The import lock, for the rest of the transaction (taken once: `FirstLoad.start` may have)."""
    if connection.info.get(IMPORT_LOCK) is connection.get_transaction():
        return
    connection.info[IMPORT_LOCK] = connection.get_transaction()
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("select pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": IMPORT_LOCK}
        )
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _list(connection: Connection, found: Scanned) -> None:
    _unlist(connection)
    LISTED.create(connection)
    listed = ((c, listed.digest, listed.kinds) for c, listed in found.citizens.items())
    _bulk(connection, LISTED.name, ("citizen_id", "digest", "kinds"), None, listed)


def _unlist(connection: Connection) -> None:
    """SQLite keeps a temporary table for the connection's life (PostgreSQL drops it at commit)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"drop table if exists temp.{LISTED.name}")


CURRENT = and_(CitizenVersion.citizen_id == LISTED.c.citizen_id, CitizenVersion.superseded_by.is_(None))


def _mark_unchanged(connection: Connection, found: Scanned) -> int:
    """Mark the listed citizens whose current version has the same digest, and take them off the
    list (nothing of theirs is stored, nor can they lose rows: the queries after this one look at
    the changed citizens alone, a night's 1 % rather than everyone); their number."""
    same = and_(CURRENT, CitizenVersion.digest == LISTED.c.digest)
    count = 0
    for citizen_id in connection.execute(select(LISTED.c.citizen_id).join(CitizenVersion, same)).scalars():
        found.citizens[citizen_id].changed = False
        count += 1
    if count:
        connection.execute(delete(LISTED).where(exists().where(same)))
    return count


def _losses(connection: Connection) -> dict[str, int]:
    """Per kind, the listed citizens whose current version has rows of it and whose new content has none."""
    changed = or_(CitizenVersion.digest.is_(None), CitizenVersion.digest != LISTED.c.digest)
    losses = {}
    for kind, bit in KIND_BITS.items():
        table = KINDS[kind].table
        # the listed citizen's id, not the version's (the same): so the planner looks for rows
        # only once a version is matched to a listed citizen, not for every current version
        had = exists().where(
            table.delivery_id == CitizenVersion.delivery_id, table.citizen_id == LISTED.c.citizen_id
        )
        query = (
            select(func.count())
            .select_from(LISTED)
            .join(CitizenVersion, and_(CURRENT, changed))
            .where(LISTED.c.kinds.op("&")(bit) == 0, had)
        )
        losses[kind] = connection.scalar(query) or 0
    return losses


def _grants_changed(session: Session, found: Scanned) -> int:
    """How many of the delivery's grant and grant-year rows differ from what is known now."""
    grants = {(g.municipality, g.programme): g for g in load_grants(session)}
    years = {(y.municipality, y.programme, y.year): y for y in load_grant_years(session)}
    return sum(grants.get((g.municipality, g.programme)) != g for g in found.grants) + sum(
        years.get((y.municipality, y.programme, y.year)) != y for y in found.grant_years
    )


def _would_undo(earlier: int, latest: int, citizens: int, grants: int) -> str:
    after = f"delivery {latest}" if latest == earlier + 1 else f"deliveries {earlier + 1}–{latest}"
    what = f"{citizens} citizens' rows" + (f" and {grants} grant rows" if grants else "")
    if not citizens:
        what = f"{grants} grant rows"
    return (
        f"this delivery equals delivery {earlier}, and {after} came after it: importing it again would "
        f"change back {what} to what delivery {earlier} said (give --resend if that is meant)"
    )


def _delivery(session: Session, found: Scanned, reserved: int | None = None) -> int:
    delivery = Delivery(
        id=reserved,
        imported_at=datetime.now(UTC),
        source=str(found.source),
        checksum=found.checksum,
        citizens=len(found.citizens),
    )
    session.add(delivery)
    session.flush()
    session.add_all(
        DeliveryFile(delivery_id=delivery.id, **{k: v for k, v in asdict(f).items() if k != "notes"})
        for f in found.files
    )
    session.flush()
    return delivery.id


def _timeline_rows(
    connection: Connection, kind: str, delivery_id: int, rows: Iterable[tuple[Any, ...]]
) -> None:
    _bulk(
        connection,
        KINDS[kind].table.__tablename__,
        ("citizen_id", *KINDS[kind].column_names()),
        delivery_id,
        rows,
    )


def _bulk(
    connection: Connection,
    table: str,
    columns: tuple[str, ...],
    delivery_id: int | None,
    rows: Iterable[tuple[Any, ...]],
) -> None:
    """Insert plain tuples of `columns` (the delivery id first when given) by the driver itself:
    executemany on SQLite, COPY on PostgreSQL."""
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in (("delivery_id",) if delivery_id is not None else ()) + columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"copy {quote(table)} ({names}) from stdin") as copy:
            write = copy.write_row
            if delivery_id is None:
                for row in rows:
                    write(row)
            else:
                for row in rows:
                    write((delivery_id, *row))
        return
    marks = ", ".join("?" * len(columns))
    first = f"{delivery_id}, " if delivery_id is not None else ""
    cursor = driver.cursor()
    try:
        cursor.executemany(f"insert into {quote(table)} ({names}) values ({first}{marks})", rows)
    finally:
        cursor.close()
