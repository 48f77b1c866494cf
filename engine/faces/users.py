"""Users and roles of the auditors' web UI (`fsm serve`), kept in the database (`fsm users …`).

A role is a set of permissions; what a user may do is asked by permission (`user.may("verify")`),
never by role name. The built-in roles are the table ROLES below; `fsm users role` defines more in
the database. A user (or a script's token) may be limited to some municipalities: everything of
other municipalities is out of their sight.

Permissions: `read` (runs, municipalities, members, citizens' decisions and traces, masked exports),
`full_cpr` (CPR numbers in full), `verify` (start a replay check of a run), `access_log` (read the
access log: the data protection officer), `simulate` (the project leaders' workbench: the distance to
each rate, what-if scenarios saved per user, the forecast; nothing of it is written but the scenarios).

Users of the former TOML users file (`FSM_USERS`, default `fsm-users.toml`) come over with
`fsm users import`, with their password hashes and the file's own roles.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomlkit
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.faces import passwords
from engine.faces.permissions import PERMISSIONS
from models import municipalities as places
from models.access import Role, WebSession, WebUser

ROLES: Mapping[str, frozenset[str]] = {
    "auditor": frozenset({"read", "verify"}),
    "auditor_cpr": frozenset({"read", "verify", "full_cpr"}),
    "privacy": frozenset({"access_log"}),
    "project_leader": frozenset({"read", "simulate"}),
}
"""The built-in roles (a role of the same name in the database takes their place)."""
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class UsersError(ValueError):
    """A user, role or users file is wrong; the message says what to do."""


def now() -> datetime:
    return datetime.now(UTC)


def utc(moment: datetime) -> datetime:
    """A stored time in UTC (SQLite gives times back without their offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class User:
    """Who is asking: a user logged in, or a script's token; with the client address asked from."""

    name: str
    role: str
    permissions: frozenset[str]
    municipalities: frozenset[str] | None = None
    """The municipalities they may see; None: every one."""
    token: bool = False
    client: str | None = None

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    def sees(self, municipality: str) -> bool:
        return self.municipalities is None or municipality in self.municipalities

    @property
    def who(self) -> str:
        """As the access log names them: the user's name, or `token:NAME`."""
        return f"token:{self.name}" if self.token else self.name


def roles(session: Session) -> dict[str, frozenset[str]]:
    """Every role and its permissions: the built-in ones and those of the database."""
    found = dict(ROLES)
    found.update({r.name: frozenset(r.permissions) for r in session.scalars(select(Role))})
    return found


def principal(
    session: Session,
    name: str,
    role: str,
    municipalities: list[str] | None,
    *,
    token: bool,
    client: str | None,
) -> User:
    """The User of a stored user or token (a role that no longer exists gives no permission)."""
    return User(
        name,
        role,
        roles(session).get(role, frozenset()),
        None if municipalities is None else frozenset(municipalities),
        token,
        client,
    )


def checked_role(session: Session, role: str) -> str:
    if role not in roles(session):
        raise UsersError(f"unknown role {role!r}; known roles: {', '.join(sorted(roles(session)))}")
    return role


def checked_municipalities(codes: Collection[str]) -> list[str] | None:
    """The codes, sorted, each one of the 98; None (every municipality) for none given."""
    unknown = [code for code in codes if places.name(code) is None]
    if unknown:
        raise UsersError(f"not a municipality code: {', '.join(unknown)} (3 digits, e.g. 851)")
    return sorted(set(codes)) or None


def define_role(session: Session, name: str, permissions: Collection[str]) -> bool:
    """Define a role (or change one's permissions); True when it is new."""
    if not ROLE_NAME.match(name):
        raise UsersError(f"role name {name!r}: use 1-32 lower-case letters, digits or '_', a letter first")
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise UsersError(f"unknown permission {', '.join(unknown)}; known: {', '.join(PERMISSIONS)}")
    row = session.get(Role, name)
    if row is None:
        session.add(Role(name=name, permissions=sorted(set(permissions))))
    else:
        row.permissions = sorted(set(permissions))
    return row is None


def add_user(
    session: Session, name: str, role: str, password: str, municipalities: Collection[str] = ()
) -> tuple[bool, int]:
    """Add the user, or give an existing one this role, password and municipalities (which ends
    their sessions); (whether the user is new, how many sessions were ended)."""
    if not NAME.match(name):
        raise UsersError(f"user name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    checked_role(session, role)
    scope = checked_municipalities(municipalities)
    try:
        passwords.check(name, password)
    except passwords.PasswordRefused as error:
        raise UsersError(str(error)) from None
    row = session.get(WebUser, name)
    hashed = passwords.hash_password(password)
    if row is None:
        session.add(
            WebUser(name=name, role=role, password_hash=hashed, municipalities=scope, created_at=now())
        )
        return True, 0
    row.role, row.password_hash, row.municipalities = role, hashed, scope
    return False, end_sessions(session, name)


def set_password(session: Session, name: str, password: str) -> int:
    """A new password for the user (checked like any); ends every session of theirs, how many."""
    row = session.get(WebUser, name)
    if row is None:
        raise UsersError(f"there is no user {name!r}")
    try:
        passwords.check(name, password)
    except passwords.PasswordRefused as error:
        raise UsersError(str(error)) from None
    row.password_hash = passwords.hash_password(password)
    return end_sessions(session, name)


def end_sessions(session: Session, name: str) -> int:
    return session.execute(delete(WebSession).where(WebSession.user == name)).rowcount


def remove_user(session: Session, name: str) -> int:
    """Remove the user and end their sessions at once (how many); UsersError if there is none."""
    row = session.get(WebUser, name)
    if row is None:
        raise UsersError(f"there is no user {name!r}")
    ended = end_sessions(session, name)
    session.delete(row)
    return ended


@dataclass(frozen=True)
class UserListing:
    name: str
    role: str
    municipalities: list[str] | None
    created_at: datetime
    last_login_at: datetime | None
    sessions: int


def list_users(session: Session) -> list[UserListing]:
    counts = dict(session.execute(select(WebSession.user, func.count()).group_by(WebSession.user)).all())
    return [
        UserListing(
            u.name,
            u.role,
            u.municipalities,
            utc(u.created_at),
            u.last_login_at and utc(u.last_login_at),
            counts.get(u.name, 0),
        )
        for u in session.scalars(select(WebUser).order_by(WebUser.name))
    ]


def has_users(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(WebUser)) != 0


def password_hash(session: Session, name: str) -> str:
    """The user's password hash, or one nobody's password matches (an unknown name costs the same)."""
    row = session.get(WebUser, name) if NAME.match(name) else None
    return passwords.NOBODY if row is None else row.password_hash


def logged_in(session: Session, name: str) -> None:
    row = session.get(WebUser, name)
    if row is not None:
        row.last_login_at = now()


@dataclass(frozen=True)
class Imported:
    roles: list[str]
    users: list[str]
    skipped: list[str]
    """Users already in the database (left as they are)."""


def import_file(session: Session, path: Path) -> Imported:
    """The users (with their password hashes) and roles of a former TOML users file."""
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as error:
        raise UsersError(f"{path}: cannot read the users file: {error}") from None
    configured = document.get("roles", {})
    if not isinstance(configured, Mapping):
        raise UsersError(f"{path}: [roles] must be a table of role = [permissions]")
    for role, permissions in configured.items():
        if not isinstance(permissions, list):
            raise UsersError(f"{path}: role {role!r} must be a list of permissions")
        define_role(session, role, permissions)
    session.flush()
    added, skipped = [], []
    for name, entry in document.get("users", {}).items():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("password_hash"), str):
            raise UsersError(f"{path}: user {name!r} has no password_hash")
        if session.get(WebUser, name) is not None:
            skipped.append(name)
            continue
        session.add(
            WebUser(
                name=name,
                role=checked_role(session, str(entry.get("role"))),
                password_hash=entry["password_hash"],
                municipalities=None,
                created_at=now(),
            )
        )
        added.append(name)
    return Imported(list(configured), added, skipped)
