"""Today's date on the product's calendar: Europe/Copenhagen (SPEC section 2), whatever the time zone
of the machine or process. `FSM_TIMEZONE` may name another IANA zone (e.g. for a test server)."""

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Copenhagen"


class UnknownTimeZone(ValueError):
    """FSM_TIMEZONE names no time zone."""


def zone() -> ZoneInfo:
    """The zone whose calendar the product keeps (`FSM_TIMEZONE`, default Europe/Copenhagen)."""
    name = os.environ.get("FSM_TIMEZONE") or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(
            f"FSM_TIMEZONE={name!r} is not a time zone (use an IANA name such as {DEFAULT_ZONE})"
        ) from None


def today() -> date:
    """Today in that zone: the default as-of date of every command."""
    return datetime.now(zone()).date()
