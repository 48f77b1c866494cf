"""CPR numbers (SPEC section 7): birth date with the century table, and masking."""

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

CPR_PATTERN = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d)(\d{3})$")
PSEUDONYM_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class CprError(ValueError):
    """A citizen id that looks like a CPR number but whose date is not a real date."""


def century(seventh_digit: int, yy: int) -> int:
    """The century of a CPR birth date from its 7th digit and two-digit year (SPEC section 7)."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def is_cpr(citizen_id: str) -> bool:
    return CPR_PATTERN.match(citizen_id) is not None


def birth_date(citizen_id: str) -> date | None:
    """The birth date encoded in a CPR number; None for a pseudonym. Raises CprError for an impossible date."""
    found = CPR_PATTERN.match(citizen_id)
    if found is None:
        return None
    dd, mm, yy, seventh, _ = found.groups()
    year = century(int(seventh), int(yy)) + int(yy)
    try:
        return date(year, int(mm), int(dd))
    except ValueError as error:
        raise CprError(
            f"CPR number {mask(citizen_id)} has no real date ({dd}-{mm}-{year}): {error}"
        ) from None


def mask(citizen_id: str) -> str:
    """`DDMMYY-xxxx` for a CPR number; a pseudonym is not personal data and is shown as it is."""
    found = CPR_PATTERN.match(citizen_id)
    if found is None:
        return citizen_id
    dd, mm, yy, _, _ = found.groups()
    return f"{dd}{mm}{yy}-xxxx"


def shown(citizen_id: str, *, full: bool = False) -> str:
    """How a citizen id is shown in logs, screens and exports: masked unless `full` is asked for."""
    return citizen_id if full else mask(citizen_id)


def normalise(citizen_id: str) -> str:
    """One spelling per citizen: a CPR number is stored as `DDMMYY-SSSS`, with the dash."""
    found = CPR_PATTERN.match(citizen_id)
    if found is None:
        return citizen_id
    dd, mm, yy, seventh, rest = found.groups()
    return f"{dd}{mm}{yy}-{seventh}{rest}"


def shown_in(value: Any, *, full: bool = False) -> Any:
    """A JSON-like value (e.g. a trace's facts) with every CPR number in it shown as `shown` shows it."""
    return value if full else _masked_in(value)


def _masked_in(value: Any) -> Any:
    # exact types first (an export masks millions of values); subclasses (a StrEnum) below
    kind = type(value)
    if kind is str:
        return mask(value) if 10 <= len(value) <= 12 else value  # the lengths CPR_PATTERN matches
    if kind is dict:
        return {key: _masked_in(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_masked_in(item) for item in value]
    if value is None or kind is bool or kind is int:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {key: _masked_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_in(item) for item in value]
    return value
