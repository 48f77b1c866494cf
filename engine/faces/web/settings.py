"""The web server's settings: each from an environment variable (`fsm serve` options set them too),
with a default fit for a server on 127.0.0.1 without TLS."""

import os
from dataclasses import dataclass, field
from datetime import timedelta

from engine.faces.sessions import Limits


def _number(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) == 0:
        raise ValueError(f"{name}={value!r}: give a whole number greater than 0")
    return int(value)


def _words(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


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
    )
