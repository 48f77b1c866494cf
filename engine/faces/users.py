"""Users and roles of the auditors' web UI (`fsm serve`), from a TOML file.

The file is named by `FSM_USERS` (default `fsm-users.toml` in the working directory) and written by
`fsm users add`, which keeps argon2 password hashes and the secret that signs session cookies:

    secret = "…"                      # generated on the first `fsm users add`

    [roles]                           # optional: more roles, or other permissions for a built-in one
    viewer = ["read"]

    [users.alice]
    role = "auditor"
    password_hash = "$argon2id$…"

Permissions: `read` (runs, decisions, traces, exports; nothing in the UI changes data) and
`full_cpr` (full CPR numbers instead of `DDMMYY-xxxx`). Built-in roles: `auditor` (read) and
`auditor_cpr` (read, full_cpr).
"""

import hmac
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

import tomlkit

if TYPE_CHECKING:
    from argon2 import PasswordHasher

PERMISSIONS = ("read", "full_cpr")
BUILT_IN_ROLES: Mapping[str, frozenset[str]] = {
    "auditor": frozenset({"read"}),
    "auditor_cpr": frozenset({"read", "full_cpr"}),
}
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
DEFAULT_FILE = "fsm-users.toml"
HEADER = "Users of `fsm serve`: written by `fsm users add NAME --role ROLE`; do not edit the hashes by hand."


@cache
def _hasher() -> "PasswordHasher":
    """argon2's hasher, made on first use: importing it and hashing cost a command that never
    checks a password (every `fsm` command imports this module) a tenth of a second."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _nobody() -> str:
    """Verified against when the user name is unknown, so a wrong name takes as long as a wrong password."""
    return _hasher().hash(secrets.token_hex(16))


class UsersError(ValueError):
    """The users file is missing or wrong; the message says what to do."""


def users_file() -> Path:
    return Path(os.environ.get("FSM_USERS") or DEFAULT_FILE)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    permissions: frozenset[str]

    def may(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class Users:
    """Who may log in, with what role, and the secret that signs session cookies."""

    secret: str
    users: Mapping[str, User]
    hashes: Mapping[str, str]
    _verified: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    """Per user, a keyed digest of the password last verified: HTTP Basic sends it with every
    request, and argon2 (deliberately slow) then runs once per user, not once per request."""

    def authenticate(self, name: str, password: str) -> User | None:
        """The user, if the password is theirs; None otherwise (whether the name or the password is wrong)."""
        digest = hmac.new(self.secret.encode(), f"{name}\0{password}".encode(), sha256).digest()
        known = self._verified.get(name)
        if known is not None and hmac.compare_digest(known, digest):
            return self.users[name]
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            _hasher().verify(self.hashes[name] if name in self.hashes else _nobody(), password)
        except (VerificationError, InvalidHashError):
            return None
        if name not in self.users:
            return None
        self._verified[name] = digest
        return self.users[name]


def _roles(document: Mapping[str, object], where: Path) -> dict[str, frozenset[str]]:
    roles = dict(BUILT_IN_ROLES)
    configured = document.get("roles", {})
    if not isinstance(configured, Mapping):
        raise UsersError(f"{where}: [roles] must be a table of role = [permissions]")
    for role, permissions in configured.items():
        if not isinstance(permissions, list) or not set(permissions) <= set(PERMISSIONS):
            raise UsersError(
                f"{where}: role {role!r} must be a list of permissions from {', '.join(PERMISSIONS)}"
            )
        roles[role] = frozenset(permissions)
    return roles


def load_users(path: Path) -> Users:
    """Read the users file; UsersError with a clear message when it is missing, empty or wrong."""
    if not path.is_file():
        raise UsersError(
            f"no users file at {path}: create a user first with `fsm users add NAME --role auditor` "
            "(FSM_USERS names another file); the server never runs without authentication"
        )
    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as error:
        raise UsersError(f"{path}: cannot read the users file: {error}") from None
    roles = _roles(document, path)
    secret = document.get("secret")
    if not isinstance(secret, str) or len(secret) < 32:
        raise UsersError(f"{path}: `secret` is missing or shorter than 32 characters")
    users, hashes = {}, {}
    for name, entry in document.get("users", {}).items():
        role = entry.get("role") if isinstance(entry, Mapping) else None
        if role not in roles:
            raise UsersError(f"{path}: user {name!r} has role {role!r}; known roles: {', '.join(roles)}")
        if not isinstance(entry.get("password_hash"), str):
            raise UsersError(f"{path}: user {name!r} has no password_hash (set one with `fsm users add`)")
        users[name] = User(name, role, roles[role])
        hashes[name] = entry["password_hash"]
    if not users:
        raise UsersError(f"{path} has no users: add one with `fsm users add NAME --role auditor`")
    return Users(secret, users, hashes)


def add_user(path: Path, name: str, role: str, password: str) -> bool:
    """Add the user, or give an existing one this role and password; True when the user is new.
    The file is created (readable by its owner only) with a fresh session secret if need be."""
    if not NAME.match(name):
        raise UsersError(f"user name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    if not password:
        raise UsersError("the password is empty")
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    if not document:
        document.add(tomlkit.comment(HEADER))
        document.add("secret", secrets.token_urlsafe(48))
    roles = _roles(document.unwrap(), path)
    if role not in roles:
        raise UsersError(f"unknown role {role!r}; known roles: {', '.join(roles)}")
    if "users" not in document:
        document.add("users", tomlkit.table(is_super_table=True))
    users = document["users"]
    new = name not in users  # type: ignore[operator]
    entry = tomlkit.table()
    entry.add("role", role)
    entry.add("password_hash", _hasher().hash(password))
    users[name] = entry  # type: ignore[index]
    path.touch(mode=0o600)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return new
