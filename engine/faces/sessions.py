"""Server-side sessions of the web UI and the tokens scripts use, both kept in the database by the
SHA-256 of a random secret the client holds: ending one (logout, a password change, `fsm users
remove`, `fsm tokens revoke`) takes effect on the next request."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.faces.users import (
    NAME,
    User,
    UsersError,
    checked_municipalities,
    checked_role,
    now,
    principal,
    utc,
)
from models.access import ApiToken, WebSession, WebUser

TOKEN_PREFIX = "fsm_"
TOUCH_EVERY = timedelta(minutes=1)
"""How stale a session's last-seen time may get before a request writes it again."""
DURATION = re.compile(r"^(\d{1,4})([dh])$")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Limits:
    """How long a session lives: `absolute` since login, `idle` since its last request."""

    absolute: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Started:
    secret: str
    """What the cookie carries."""
    csrf: str


def start_session(session: Session, user: str, client: str | None) -> Started:
    secret, csrf, moment = secrets.token_urlsafe(32), secrets.token_urlsafe(32), now()
    session.add(
        WebSession(
            token_hash=digest(secret),
            user=user,
            csrf=csrf,
            created_at=moment,
            last_seen_at=moment,
            client=client,
        )
    )
    return Started(secret, csrf)


def session_user(
    session: Session, secret: str, limits: Limits, client: str | None
) -> tuple[User, WebSession] | None:
    """The user of a live session, and the session; None for an unknown, ended or expired one
    (an expired one is ended). A request keeps the session alive."""
    found = session.execute(
        select(WebSession, WebUser)
        .join(WebUser, WebUser.name == WebSession.user)
        .where(WebSession.token_hash == digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    moment = now()
    if moment - utc(row.created_at) > limits.absolute or moment - utc(row.last_seen_at) > limits.idle:
        session.delete(row)
        session.commit()
        return None
    if moment - utc(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = moment
        session.commit()
    return principal(session, user.name, user.role, user.municipalities, token=False, client=client), row


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(secret)))


def parse_duration(text: str) -> timedelta:
    """`90d` or `12h`."""
    found = DURATION.match(text.strip())
    if found is None or int(found.group(1)) == 0:
        raise UsersError(f"expiry {text!r}: give days or hours, e.g. 90d or 12h")
    amount = int(found.group(1))
    return timedelta(days=amount) if found.group(2) == "d" else timedelta(hours=amount)


def create_token(
    session: Session,
    name: str,
    role: str,
    lifetime: timedelta,
    municipalities: list[str] | tuple[str, ...] = (),
) -> str:
    """A new token for scripts; the secret is returned once and only its SHA-256 is kept."""
    if not NAME.match(name):
        raise UsersError(f"token name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    if session.get(ApiToken, name) is not None:
        raise UsersError(f"there is a token {name!r} already: revoke it or choose another name")
    checked_role(session, role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    moment = now()
    session.add(
        ApiToken(
            name=name,
            token_hash=digest(secret),
            role=role,
            municipalities=checked_municipalities(municipalities),
            created_at=moment,
            expires_at=moment + lifetime,
        )
    )
    return secret


def token_user(session: Session, secret: str, client: str | None) -> User | None:
    """The user a valid token stands for (its use is recorded); None for a wrong, revoked or expired one."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if row is None or row.revoked_at is not None or utc(row.expires_at) <= now():
        return None
    row.last_used_at = now()
    session.commit()
    return principal(session, row.name, row.role, row.municipalities, token=True, client=client)


def revoke_token(session: Session, name: str) -> None:
    row = session.get(ApiToken, name)
    if row is None or row.revoked_at is not None:
        raise UsersError(f"there is no live token {name!r}")
    row.revoked_at = now()


def tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def token_state(row: ApiToken, moment: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if utc(row.expires_at) <= moment else "live"
