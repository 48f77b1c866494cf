"""Who may use the auditors' web UI and API, and who looked at which citizen.

Users, their roles' permissions (roles beyond the built-in ones), their server-side sessions, the
tokens scripts use, failed logins (for throttling) — and the access log: one row per citizen shown
(page, API, list, search, verification) and per export, with who, when, from where and whether the
full CPR number was shown. The citizen id is kept in full: the log answers a citizen's request for
insight (GDPR art. 15) and lives in the database only.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class Role(Base):
    """A role defined by the operator (the built-in roles live in code, engine/faces/users.py)."""

    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    permissions: Mapped[list[str]] = mapped_column(JSON)


class WebUser(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    municipalities: Mapped[list[str] | None] = mapped_column(JSON)
    """The municipality codes the user may see; None: every one."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A logged-in browser: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user", "user"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    """The token every form of this session carries."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A token for scripts (`fsm tokens create`): a role of its own, an expiry; stored as its SHA-256."""

    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    municipalities: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A wrong password (or an unknown user name), by name and client address: what throttling counts."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_name_at", "name", "at"),
        Index("ix_login_failures_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))


class AccessLog(Base):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_citizen_at", "citizen_id", "at"),
        Index("ix_access_log_user_action_at", "user", "action", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When, in UTC."""
    user: Mapped[str] = mapped_column(String(64))
    """Who: a user's name, `token:NAME` for a script's token, `cli:NAME` for a command."""
    action: Mapped[str] = mapped_column(String(32))
    """What was looked at: `citizen page`, `members api`, `search`, `export csv`, … (docs/web.md)."""
    run_id: Mapped[int | None] = mapped_column(Integer)
    """The run whose results were shown (no foreign key: the log outlives anything it names)."""
    citizen_id: Mapped[str | None] = mapped_column(String(64))
    """The citizen shown (or searched for), in full; None for an export (every citizen it holds)."""
    full_cpr: Mapped[bool | None] = mapped_column(Boolean)
    """Whether the CPR number was shown in full (None where no citizen was shown)."""
    client: Mapped[str | None] = mapped_column(String(64))
    """From where: the client's address."""
    detail: Mapped[str | None] = mapped_column(String(255))
    """More of what: `hit` or `miss` for a search, the municipalities of an export, a token's request."""
