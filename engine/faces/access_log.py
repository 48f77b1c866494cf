"""The access log: writing a row per citizen shown, reading what was shown of one citizen (the answer
to a request for insight, GDPR art. 15), and deleting rows older than the retention period."""

from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from engine.faces.downloads import Column, Table
from engine.faces.i18n import ENGLISH, Texts
from engine.faces.users import now, utc
from models import cpr
from models.access import AccessLog
from models.runs import StoredDecision

EXPORT = "export"
"""Actions of exports start so: an export row names no citizen but holds every citizen of its run."""


def record(
    session: Session,
    who: str,
    action: str,
    run_id: int | None,
    citizens: Iterable[str | None],
    *,
    full_cpr: bool | None,
    client: str | None,
    detail: str | None = None,
) -> None:
    """One row per citizen (None: a row naming no citizen), committed at once."""
    moment = now()
    rows = [
        {
            "at": moment,
            "user": who,
            "action": action,
            "run_id": run_id,
            "citizen_id": citizen,
            "full_cpr": full_cpr if citizen is not None or action.startswith(EXPORT) else None,
            "client": client,
            "detail": detail and detail[:255],
        }
        for citizen in dict.fromkeys(citizens)
    ]
    if rows:
        session.execute(insert(AccessLog), rows)
    session.commit()


@dataclass(frozen=True)
class Entry:
    at: datetime
    user: str
    action: str
    run_id: int | None
    full_cpr: bool | None
    client: str | None
    detail: str | None


def for_citizen(session: Session, citizen_id: str, since: date | None = None) -> Iterator[Entry]:
    """Every time the citizen was shown, searched for or exported (an export of a run that has a
    decision about them), oldest first."""
    citizen = cpr.normalise(citizen_id.strip())
    runs_of_citizen = select(StoredDecision.run_id).where(StoredDecision.citizen_id == citizen).distinct()
    query = (
        select(AccessLog)
        .where(
            or_(
                AccessLog.citizen_id == citizen,
                AccessLog.citizen_id.is_(None)
                & AccessLog.action.startswith(EXPORT)
                & AccessLog.run_id.in_(runs_of_citizen),
            )
        )
        .order_by(AccessLog.at, AccessLog.id)
    )
    if since is not None:
        query = query.where(AccessLog.at >= datetime.combine(since, time(), tzinfo=now().tzinfo))
    for row in session.scalars(query.execution_options(yield_per=1000)):
        yield Entry(utc(row.at), row.user, row.action, row.run_id, row.full_cpr, row.client, row.detail)


def table(entries: Iterable[Entry], t: Texts = ENGLISH) -> Table:
    """The entries as a table for download (engine/faces/downloads.py), titles in `t`'s language."""
    columns = (
        Column(t._("when (UTC)")),
        Column(t._("who")),
        Column(t._("what")),
        Column(t._("run"), "int"),
        Column(t._("full CPR number shown"), "bool"),
        Column(t._("from")),
        Column(t._("detail")),
    )
    return Table(t._("Access log"), columns, (astuple(entry) for entry in entries))


def prune(session: Session, days: int) -> int:
    """Delete the rows older than `days` days; the deletion is itself a row of the log."""
    before = now() - timedelta(days=days)
    deleted = session.execute(delete(AccessLog).where(AccessLog.at < before)).rowcount
    if deleted:
        detail = f"deleted {deleted} rows older than {before:%Y-%m-%d %H:%M} UTC (retention {days} days)"
        record(session, "system", "retention", None, [None], full_cpr=None, client=None, detail=detail)
    else:
        session.commit()
    return deleted
