"""How often one may try: logins (per user name and per client address, a growing wait after a few
wrong passwords) and searches by CPR number (per user, a minute's and a day's allowance). Counted
in the database, so a restart forgives nothing and every server process counts alike."""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.faces.users import now, utc
from engine.faces.web.settings import Settings
from models.access import AccessLog, LoginFailure

FAILURES_KEPT = timedelta(days=1)
"""Wrong passwords older than this are forgotten."""
CLIENT_FACTOR = 4
"""A client address (an office behind one address) may fail this many times more than one user name."""


def _backoff(count: int, last: datetime | None, free: int, longest: timedelta, moment: datetime) -> float:
    """Seconds still to wait after `count` failures, the last at `last`: none for the first `free`,
    then 1 s, 2 s, 4 s, … up to `longest`."""
    if last is None or count < free:
        return 0.0
    wait = min(timedelta(seconds=2 ** min(count - free, 30)), longest)
    return max(0.0, (utc(last) + wait - moment).total_seconds())


def login_wait(session: Session, name: str, client: str, settings: Settings) -> float:
    """Seconds before this name may try again from this client (0: now)."""
    moment = now()
    since = moment - FAILURES_KEPT
    waits = []
    for column, value, free in (
        (LoginFailure.name, name, settings.login_free_failures),
        (LoginFailure.client, client, settings.login_free_failures * CLIENT_FACTOR),
    ):
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
        ).one()
        waits.append(_backoff(count, last, free, settings.login_longest_wait, moment))
    return max(waits)


def failed_login(session: Session, name: str, client: str) -> None:
    moment = now()
    session.execute(delete(LoginFailure).where(LoginFailure.at < moment - FAILURES_KEPT))
    session.add(LoginFailure(at=moment, name=name[:64], client=client[:64]))
    session.commit()


def forget_failures(session: Session, name: str) -> None:
    """After the right password: the user name starts afresh (its client address does not)."""
    session.execute(delete(LoginFailure).where(LoginFailure.name == name))


def search_wait(session: Session, who: str, action: str, settings: Settings) -> float:
    """Seconds before the user may search again (0: now): at most `searches_per_minute` in any
    minute and `searches_per_day` in any day."""
    moment = now()
    waits = [0.0]
    for allowed, window in ((settings.searches_per_minute, 60), (settings.searches_per_day, 86400)):
        since = moment - timedelta(seconds=window)
        times = session.scalars(
            select(AccessLog.at)
            .where(AccessLog.user == who, AccessLog.action == action, AccessLog.at >= since)
            .order_by(AccessLog.at.desc())
            .limit(allowed)
        ).all()
        if len(times) >= allowed:  # the oldest of the last `allowed` must leave the window first
            waits.append((utc(times[-1]) + timedelta(seconds=window) - moment).total_seconds())
    return max(waits)
