"""A delivery's cells, read strictly: a value is accepted only in the one spelling SPEC section 3
gives it (a date as YYYY-MM-DD, an amount as plain digits with at most two decimals after a point,
a code exactly as the code list has it), and anything else is refused with what was found and what
is expected, in a data officer's words. Dates before 1900 or after 2100 are refused as typing mistakes.

The reading works on plain text, a million cells a second: a day's text is checked once and kept.
"""

import re
from collections.abc import Container, Iterable
from datetime import date
from decimal import Decimal
from difflib import get_close_matches
from enum import StrEnum

from models import cpr

EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)
OPEN_END = date.max.toordinal()
"""The last day of an open-ended period, as an ordinal."""
WRITE_A_DATE = "write YYYY-MM-DD, e.g. 2018-01-31"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?")


class Bad(Exception):
    """A cell (or, for a check across cells, several: `column` names them) that cannot be accepted."""

    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


DAYS: dict[str, int] = {}
"""Each valid day's text seen so far → its ordinal (at most the 73,414 days of 1900–2100)."""


def day(column: str, text: str) -> int:
    """A required date's ordinal (hot loops look in DAYS first)."""
    found = DAYS.get(text)
    if found is not None:
        return found
    if not text:
        raise Bad(column, text, f"{column} is empty: {WRITE_A_DATE}")
    if _ISO_DAY.fullmatch(text) is None:
        raise Bad(column, text, f"{column} {text!r} is not a date: {WRITE_A_DATE}")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise Bad(column, text, f"{column} {text!r} is not a day of the calendar: {WRITE_A_DATE}") from None
    if not EARLIEST <= value <= LATEST:
        when = "before 1900" if value < EARLIEST else "after 2100"
        raise Bad(column, text, f"{column} {text} is {when}: a typing mistake? Dates lie in 1900–2100")
    DAYS[text] = found = value.toordinal()
    return found


def optional_day(column: str, text: str) -> int | None:
    """An optional date's ordinal; None when the cell is empty."""
    return day(column, text) if text else None


class Codes:
    """The values a column may hold: a code list of SPEC section 2 (`what` names it in messages),
    or any text `known` holds, with what to write instead (`expected`)."""

    def __init__(
        self, what: str, codes: Iterable[str] = (), *, known: Container[str] | None = None, expected: str = ""
    ) -> None:
        self.what = what
        self.codes = tuple(codes)
        self.known: Container[str] = frozenset(self.codes) if known is None else known
        self.expected = expected or f"write one of {', '.join(self.codes)}"

    @classmethod
    def of(cls, what: str, codes: type[StrEnum]) -> "Codes":
        return cls(what, (str(code) for code in codes))

    def check(self, column: str, text: str) -> str:
        if text in self.known:
            return text
        close = get_close_matches(text.lower(), self.codes, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        found = f"{column} {text!r} is not {self.what}" if text else f"{column} is empty"
        raise Bad(column, text, f"{found}{hint}: {self.expected}")


class _Matching:
    def __init__(self, pattern: str) -> None:
        self.match = re.compile(pattern).fullmatch

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.match(text) is not None


MUNICIPALITIES = Codes(
    "a municipality code",
    known=frozenset(f"{n:03d}" for n in range(1000)),
    expected="write its 3 digits, e.g. 851",
)
MARKINGS = Codes(
    "a marking",
    known=_Matching(r"[a-z][a-z_]{0,39}"),
    expected="write lower-case letters a-z and _ (at most 40), e.g. barsel",
)


def citizen(text: str) -> str:
    """A citizen id in its one spelling: a CPR number with the dash, or a pseudonym. The reason
    never repeats the value (the rejects report masks CPR numbers in its value column only)."""
    if cpr.is_cpr(text):
        try:
            cpr.birth_date(text)
        except cpr.CprError:
            raise Bad(
                "citizen_id",
                text,
                "citizen_id is a CPR number whose first six digits are not a real date (DDMMYY)",
            ) from None
        return cpr.normalise(text)
    if cpr.PSEUDONYM_PATTERN.match(text):
        return text
    if not text:
        raise Bad(
            "citizen_id", text, "citizen_id is empty: write the CPR number (DDMMYY-SSSS) or the pseudonym"
        )
    raise Bad(
        "citizen_id",
        text,
        "citizen_id is neither a CPR number (DDMMYYSSSS or DDMMYY-SSSS) nor a pseudonym "
        "(at most 64 letters, digits, _ and -)",
    )


def amount(column: str, text: str) -> Decimal:
    """Kroner as plain digits with at most two decimals after a point: 1234, 1234.5, 1234.56."""
    if _AMOUNT.fullmatch(text):
        return Decimal(text)
    expected = "write kroner as digits with at most 2 decimals after a point, e.g. 1234.50"
    if not text:
        raise Bad(column, text, f"{column} is empty: {expected}")
    if text.startswith("-"):
        raise Bad(column, text, f"{column} {text} is negative: an amount is 0 kr or more")
    if re.fullmatch(r"[0-9]+\.[0-9]{3,}", text):
        raise Bad(column, text, f"{column} {text} has more than 2 decimals: {expected}")
    comma = " (a decimal comma or a thousands separator?)" if "," in text or "." in text else ""
    raise Bad(column, text, f"{column} {text!r} is not an amount{comma}: {expected}")


def year(column: str, text: str) -> int:
    if re.fullmatch(r"[0-9]{4}", text) and 2000 <= int(text) <= 2100:
        return int(text)
    raise Bad(column, text, f"{column} {text!r} is not a year of 2000–2100: write 4 digits, e.g. 2020")
