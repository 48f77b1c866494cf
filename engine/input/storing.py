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

The storing begins once citizens.csv is read (`Intake.listed`, which scan calls): the lock is
taken then. When none of the citizens the delivery lists is known yet — a first delivery, a new
municipality — every accepted row will be stored whatever the rest of the delivery says, so its
rows are stored while the rest is still being read, by a thread of its own (`Stream`: the driver
works with Python's lock released, so reading and storing share the two cores); the digests,
which need every row, are written at the end. Otherwise the rows wait in the spool until the
delivery is read and it is known which citizens changed.
"""

import queue
import threading
from collections.abc import Iterable
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


class Stream:
    """Timeline rows stored as they are read, by a thread of its own, into delivery `delivery_id`.
    A few batches wait at most (flat memory); a failure is raised by `close`."""

    def __init__(self, connection: Connection, delivery_id: int) -> None:
        self.connection, self.delivery_id = connection, delivery_id
        self.waiting: queue.Queue[tuple[str, Batch] | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._store, name="fsm-import-rows", daemon=True)
        self.thread.start()

    def add(self, label: str, batch: Batch) -> None:
        if batch:
            self.waiting.put((label, batch))

    def _store(self) -> None:
        while (item := self.waiting.get()) is not None:
            if self.failure is None:  # after a failure, only drain what the reading still adds
                try:
                    kind, batch = item
                    spec = KINDS[kind]
                    columns = ("citizen_id", *spec.column_names())
                    _bulk(self.connection, spec.table.__tablename__, columns, self.delivery_id, batch)
                except BaseException as error:  # noqa: BLE001 - raised again by close()
                    self.failure = error

    def close(self) -> None:
        """Wait for every row to be stored; raise what storing them raised."""
        if self.thread.is_alive():
            self.waiting.put(None)
            self.thread.join()
        if self.failure is not None:
            raise self.failure


class Intake:
    """A delivery's storing, begun when scan has read its citizens (`listed`), in the session's
    transaction; `store` finishes it. `close` (always) ends the thread of a stream."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.locked = False
        self.stream: Stream | None = None

    def listed(self, found: Scanned) -> Stream | None:
        """Lock, and when none of the citizens is known yet, begin the delivery and stream its rows."""
        connection = self.session.connection()
        _lock(connection)
        self.locked = True
        if not found.citizens or _any_known(connection, found):
            return None
        delivery_id = _delivery(self.session, found)
        _versions(connection, found, delivery_id, digests=False)
        self.stream = Stream(connection, delivery_id)
        return self.stream

    def store(
        self, found: Scanned, rows: Spool, *, allow_missing: Iterable[str] = (), resend: bool = False
    ) -> Stored:
        """Write the delivery (the rest of it, when streamed); raises DeliveryError (nothing
        written, once the transaction is rolled back) when it is refused."""
        if self.stream is None:
            return store_delivery(
                self.session, found, rows, allow_missing=allow_missing, resend=resend, locked=self.locked
            )
        self.close()
        connection, n = self.session.connection(), self.stream.delivery_id
        self.session.execute(update(Delivery).where(Delivery.id == n).values(checksum=found.checksum))
        _files_of(self.session, found, n)
        _list(connection, found)
        digest = select(LISTED.c.digest).where(LISTED.c.citizen_id == CitizenVersion.citizen_id)
        self.session.execute(
            update(CitizenVersion)
            .where(CitizenVersion.delivery_id == n)
            .values(digest=digest.scalar_subquery()),
            execution_options={"synchronize_session": False},
        )
        _grants(self.session, found, n)
        _unlist(connection)
        return Stored(n, True, len(found.citizens), 0, {})

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


def _any_known(connection: Connection, found: Scanned) -> bool:
    """Whether any of the listed citizens has a version stored (as their ids are, in batches)."""
    ids = list(found.citizens)
    for start in range(0, len(ids), 10_000):
        known = select(CitizenVersion.citizen_id).where(
            CitizenVersion.citizen_id.in_(ids[start : start + 10_000])
        )
        if connection.execute(known.limit(1)).first() is not None:
            return True
    return False


def store_delivery(
    session: Session,
    found: Scanned,
    rows: Spool,
    *,
    allow_missing: Iterable[str] = (),
    resend: bool = False,
    locked: bool = False,
) -> Stored:
    """Write a delivery in the caller's transaction (`locked`: an Intake has taken the lock);
    raises DeliveryError (nothing written) when it is refused."""
    connection = session.connection()
    if not locked:
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
    n = _delivery(session, found)
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
    _versions(connection, found, n, digests=True)
    everyone = unchanged == 0
    citizens = found.citizens
    for kind, batch in rows.batches():
        kept = batch if everyone else [row for row in batch if citizens[row[0]].changed]
        _bulk(
            connection, KINDS[kind].table.__tablename__, ("citizen_id", *KINDS[kind].column_names()), n, kept
        )
    _grants(session, found, n)
    _unlist(connection)
    return Stored(n, True, changed, unchanged, {k: v for k, v in losses.items() if v})


def _versions(connection: Connection, found: Scanned, n: int, *, digests: bool) -> None:
    """A new version of each changed citizen (its digest later, when not yet known)."""
    versions = (
        (c, listed.born, listed.died, listed.digest if digests else None)
        for c, listed in found.citizens.items()
        if listed.changed
    )
    _bulk(connection, "citizen_versions", ("citizen_id", "birth_date", "death_date", "digest"), n, versions)


def _grants(session: Session, found: Scanned, n: int) -> None:
    grants = [{"delivery_id": n, **g.model_dump()} for g in found.grants]
    grant_years = [{"delivery_id": n, **g.model_dump()} for g in found.grant_years]
    for table, values in ((GrantRow, grants), (GrantYearRow, grant_years)):
        if values:
            session.execute(table.__table__.insert(), values)


def record_summary(session: Session, delivery_id: int, summary: dict[str, Any]) -> None:
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(summary=summary))


def _lock(connection: Connection) -> None:
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
    """Mark the listed citizens whose current version has the same digest; their number."""
    same = connection.execute(
        select(LISTED.c.citizen_id).join(
            CitizenVersion, and_(CURRENT, CitizenVersion.digest == LISTED.c.digest)
        )
    ).scalars()
    count = 0
    for citizen_id in same:
        found.citizens[citizen_id].changed = False
        count += 1
    return count


def _losses(connection: Connection) -> dict[str, int]:
    """Per kind, the listed citizens whose current version has rows of it and whose new content has none."""
    changed = or_(CitizenVersion.digest.is_(None), CitizenVersion.digest != LISTED.c.digest)
    losses = {}
    for kind, bit in KIND_BITS.items():
        table = KINDS[kind].table
        had = exists().where(
            table.delivery_id == CitizenVersion.delivery_id, table.citizen_id == CitizenVersion.citizen_id
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


def _delivery(session: Session, found: Scanned) -> int:
    delivery = Delivery(
        imported_at=datetime.now(UTC),
        source=str(found.source),
        checksum=found.checksum,
        citizens=len(found.citizens),
    )
    session.add(delivery)
    session.flush()
    _files_of(session, found, delivery.id)
    return delivery.id


def _files_of(session: Session, found: Scanned, n: int) -> None:
    """The files read so far (all of them, once the delivery is read)."""
    known = {
        name for (name,) in session.execute(select(DeliveryFile.name).where(DeliveryFile.delivery_id == n))
    }
    session.add_all(
        DeliveryFile(delivery_id=n, **{k: v for k, v in asdict(f).items() if k != "notes"})
        for f in found.files
        if f.name not in known
    )
    session.flush()


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
