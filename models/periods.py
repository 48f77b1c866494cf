"""Calendar arithmetic on inclusive periods: coverage, breaks, windows, ages.

Every period is inclusive at both ends; an open end (`None`) runs forever. These are pure
functions, property-tested in tests/test_fsm1_periods_properties.py. They run for every citizen of
a national run several times over, so the common cases (no span, one span, a span wholly inside
the window) take the short way.
"""

import calendar
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import NamedTuple

FOREVER = date.max
ONE_DAY = timedelta(days=1)


class Span(NamedTuple):
    """An inclusive run of days."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def closed(start: date, end: date | None) -> Span:
    """An open-ended period made concrete (it runs to `date.max`)."""
    return Span(start, end or FOREVER)


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans; spans that touch (one ends the day before the next starts) are joined."""
    ordered = sorted(spans)
    if len(ordered) < 2:
        return ordered
    result = [ordered[0]]
    for span in ordered[1:]:
        first, last = result[-1]
        if last == FOREVER or span.first <= last + ONE_DAY:
            if span.last > last:
                result[-1] = Span(first, span.last)
        else:
            result.append(span)
    return result


def clipped(spans: Iterable[Span], window: Span) -> list[Span]:
    """The merged parts of `spans` that lie inside `window`."""
    start, end = window
    inside = []
    for span in spans:
        first, last = span
        if first <= end and last >= start:
            inside.append(span if first >= start and last <= end else Span(max(first, start), min(last, end)))
    return merged(inside) if len(inside) > 1 else inside


def uncovered(spans: Iterable[Span], window: Span) -> Iterator[Span]:
    """The runs of consecutive days of `window` that no span covers, in order."""
    cursor, end = window
    for first, last in clipped(spans, window):
        if first > cursor:
            yield Span(cursor, first - ONE_DAY)
        if last >= end:
            return
        cursor = last + ONE_DAY
    yield Span(cursor, end)


def longest_uncovered(spans: Iterable[Span], window: Span) -> Span | None:
    """The longest uncovered run inside `window` (the earliest of equally long runs), or None."""
    longest: Span | None = None
    length = 0
    for run in uncovered(spans, window):
        days = (run.last - run.first).days + 1
        if days > length:
            longest, length = run, days
    return longest


def intersection(spans: Iterable[Span], others: Iterable[Span]) -> list[Span]:
    """The days covered by both, as merged spans."""
    mine, theirs = merged(spans), merged(others)
    result: list[Span] = []
    i = j = 0
    while i < len(mine) and j < len(theirs):
        first, last = max(mine[i].first, theirs[j].first), min(mine[i].last, theirs[j].last)
        if first <= last:
            result.append(Span(first, last))
        if mine[i].last < theirs[j].last:
            i += 1
        else:
            j += 1
    return result


def difference(spans: Iterable[Span], minus: Iterable[Span]) -> list[Span]:
    """The days of `spans` that `minus` does not cover, as merged spans."""
    taken = merged(minus)
    return [run for span in merged(spans) for run in uncovered(taken, span)]


def covered_days(spans: Iterable[Span], window: Span) -> int:
    return sum(span.days for span in clipped(spans, window))


def covers(spans: Iterable[Span], day: date) -> bool:
    return any(span.first <= day <= span.last for span in spans)


def same_day_years_earlier(day: date, years: int) -> date:
    """The same day and month `years` earlier; 29 February becomes 28 February (SPEC section 4)."""
    year = day.year - years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def birthday_in(birth: date, year: int) -> date:
    """The day in `year` on which someone born on `birth` turns a year older.

    Project convention (SPEC section 7), kept in this one named rule: a 29 February birthday
    falls on 1 March in non-leap years.
    """
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def age_on(birth: date, day: date) -> int:
    """Completed years on `day`."""
    years = day.year - birth.year
    return years if day >= birthday_in(birth, day.year) else years - 1


def month_span(year: int, month: int) -> Span:
    return Span(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def month_counts(masks: Iterable[int], months: int) -> list[int]:
    """How many of the masks have each bit set (bit i: the i-th month)."""
    counts = [0] * months
    for bits in masks:
        while bits:
            lowest = bits & -bits
            counts[lowest.bit_length() - 1] += 1
            bits ^= lowest
    return counts


def months_inside(period: Span) -> list[Span]:
    """The calendar months that lie wholly inside `period`, in order."""
    months: list[Span] = []
    year, month = period.first.year, period.first.month
    while True:
        span = month_span(year, month)
        if span.first > period.last:
            return months
        if span.first >= period.first and span.last <= period.last:
            months.append(span)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
