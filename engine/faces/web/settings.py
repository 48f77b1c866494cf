"""The web server's settings: each from an environment variable (`fsm serve` options set them too),
with a default fit for a server on 127.0.0.1 without TLS."""

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

from engine.faces.i18n import Language, language
from engine.faces.sessions import Limits


def _number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) == 0:
        raise ValueError(f"{name}={value!r}: give a whole number greater than 0")
    return int(value)


def _day(name: str) -> date | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: give a date as YYYY-MM-DD") from None


def _words(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


@dataclass(frozen=True)
class Statement:
    """The fields of the accessibility statement (docs/accessibility-statement.md) the municipality fills
    in; one left empty is shown as a field still to fill in."""

    organisation: str = ""
    """`FSM_STATEMENT_ORGANISATION`: who publishes the solution, e.g. "Aalborg Kommune"."""
    address: str = ""
    """`FSM_STATEMENT_ADDRESS`: the solution's address, e.g. https://fsm.aalborg.dk."""
    contact: str = ""
    """`FSM_STATEMENT_CONTACT`: where to report a problem (unit, e-mail, telephone)."""
    reply_days: int | None = None
    """`FSM_STATEMENT_REPLY_DAYS`: working days within which the contact answers."""
    prepared: date | None = None
    """`FSM_STATEMENT_PREPARED`: the day the statement was prepared (YYYY-MM-DD)."""
    reviewed: date | None = None
    """`FSM_STATEMENT_REVIEWED`: the day it was last reviewed."""


@dataclass(frozen=True)
class Settings:
    secure_cookies: bool = False
    """Cookies only over HTTPS (`FSM_SECURE_COOKIES=1`): on behind a TLS proxy; their names then carry
    the `__Host-` prefix, which no other site (nor a sub-domain) can set."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
    believed (`FSM_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8`); none by default."""
    public_origin: str | None = None
    """The origin browsers see (`FSM_PUBLIC_ORIGIN=https://fsm.example.dk`); without it, the request's
    own scheme and Host. A POST from any other origin is refused."""
    sessions: Limits = field(default_factory=Limits)
    """`FSM_SESSION_HOURS` (8) and `FSM_IDLE_MINUTES` (30)."""
    searches_per_minute: int = 20
    searches_per_day: int = 300
    login_free_failures: int = 5
    """Wrong passwords for one user name before each further try must wait (1 s, 2 s, 4 s, … up to
    `login_longest_wait`); a client address gets four times as many."""
    login_longest_wait: timedelta = timedelta(minutes=15)
    hashing_queue: int = 8
    """Logins that may wait for the password hasher (one at a time, ~64 MB); more get 503."""
    access_log_days: int = 730
    """How long the access log keeps a row (`FSM_ACCESS_LOG_DAYS`); older rows are deleted daily."""
    verification_stale: timedelta = timedelta(hours=6)
    language: Language = Language.da
    """The pages' language when neither the reader's switch nor the browser's Accept-Language names one
    of ours (`FSM_LANG`, default Danish)."""
    statement: Statement = field(default_factory=Statement)
    """What the accessibility statement (`/tilgaengelighed`) names: `FSM_STATEMENT_*`."""


def settings_from_env() -> Settings:
    """The settings of the environment; ValueError naming a variable with a wrong value."""
    return Settings(
        secure_cookies=os.environ.get("FSM_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
        trusted_proxies=_words("FSM_TRUSTED_PROXIES"),
        public_origin=os.environ.get("FSM_PUBLIC_ORIGIN") or None,
        sessions=Limits(
            absolute=timedelta(hours=_number("FSM_SESSION_HOURS", 8)),
            idle=timedelta(minutes=_number("FSM_IDLE_MINUTES", 30)),
        ),
        searches_per_minute=_number("FSM_SEARCHES_PER_MINUTE", 20),
        searches_per_day=_number("FSM_SEARCHES_PER_DAY", 300),
        login_free_failures=_number("FSM_LOGIN_FREE_FAILURES", 5),
        access_log_days=_number("FSM_ACCESS_LOG_DAYS", 730),
        language=language(default=Language.da),
        statement=Statement(
            organisation=os.environ.get("FSM_STATEMENT_ORGANISATION", "").strip(),
            address=os.environ.get("FSM_STATEMENT_ADDRESS", "").strip(),
            contact=os.environ.get("FSM_STATEMENT_CONTACT", "").strip(),
            reply_days=_number("FSM_STATEMENT_REPLY_DAYS", 0) or None,
            prepared=_day("FSM_STATEMENT_PREPARED"),
            reviewed=_day("FSM_STATEMENT_REVIEWED"),
        ),
    )
