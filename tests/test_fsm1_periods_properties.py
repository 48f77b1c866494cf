"""Properties of models/periods.py against brute-force references that walk the calendar day by day.

The dates are drawn from a small range around 29 February 2016, so that leap days, month ends and
touching or overlapping periods come up often.
"""

import calendar
from datetime import date, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.rules.facts.fsm1_rates import MemberDays, blocking_on
from models.periods import (
    FOREVER,
    Span,
    age_on,
    birthday_in,
    clipped,
    covered_days,
    covers,
    longest_uncovered,
    merged,
    month_counts,
    months_inside,
    same_day_years_earlier,
    uncovered,
)

BASE = date(2015, 12, 1)
ONE = timedelta(days=1)


def day(offset: int) -> date:
    return BASE + timedelta(days=offset)


@st.composite
def spans(draw: st.DrawFn, max_length: int = 40) -> Span:
    first = draw(st.integers(0, 150))
    if draw(st.integers(0, 9)) == 0:
        return Span(day(first), FOREVER)  # open-ended
    return Span(day(first), day(first + draw(st.integers(0, max_length))))


windows = st.builds(lambda a, n: Span(day(a), day(a + n)), st.integers(0, 150), st.integers(0, 90))
span_lists = st.lists(spans(), max_size=6)


def days_of(window: Span) -> list[date]:
    return [window.first + timedelta(days=i) for i in range((window.last - window.first).days + 1)]


def covered_set(items: list[Span], window: Span) -> set[date]:
    return {d for d in days_of(window) if any(s.first <= d <= s.last for s in items)}


def brute_runs(items: list[Span], window: Span) -> list[Span]:
    """The uncovered runs, found by walking every day of the window."""
    runs: list[Span] = []
    covered = covered_set(items, window)
    for d in days_of(window):
        if d in covered:
            continue
        if runs and runs[-1].last + ONE == d:
            runs[-1] = Span(runs[-1].first, d)
        else:
            runs.append(Span(d, d))
    return runs


def union_days(items: list[Span], limit: date) -> set[date]:
    """Every day any span covers, up to `limit` (open ends are cut there)."""
    return {d for s in items for d in days_of(Span(s.first, min(s.last, limit))) if s.first <= limit}


LIMIT = day(400)


@settings(deadline=None, max_examples=200)
@given(span_lists, windows)
def test_uncovered_runs_are_exactly_the_uncovered_days_of_the_window(items: list[Span], window: Span) -> None:
    assert list(uncovered(items, window)) == brute_runs(items, window)


@settings(deadline=None, max_examples=200)
@given(span_lists, windows)
def test_uncovered_and_covered_days_add_up_to_the_window_and_never_share_a_day(
    items: list[Span], window: Span
) -> None:
    gaps = {d for run in uncovered(items, window) for d in days_of(run)}
    assert covered_days(items, window) + sum(run.days for run in uncovered(items, window)) == window.days
    assert covered_days(items, window) == len(covered_set(items, window))
    assert not any(covers(items, d) for d in gaps)
    assert all(window.first <= d <= window.last for d in gaps)


@settings(deadline=None, max_examples=200)
@given(span_lists, windows)
@example([Span(day(10), day(20)), Span(day(31), day(40))], Span(day(0), day(50)))  # runs of 10, 10, 10
def test_the_longest_uncovered_run_is_the_brute_force_longest_gap_the_earliest_on_ties(
    items: list[Span], window: Span
) -> None:
    runs = brute_runs(items, window)
    expected = None
    for run in runs:
        if expected is None or run.days > expected.days:
            expected = run
    assert longest_uncovered(items, window) == expected


@settings(deadline=None, max_examples=200)
@given(span_lists)
def test_merged_spans_are_sorted_apart_and_cover_the_same_days(items: list[Span]) -> None:
    result = merged(items)
    for earlier, later in zip(result, result[1:], strict=False):
        assert earlier.last < FOREVER and later.first > earlier.last + ONE  # neither overlapping nor touching
    assert union_days(result, LIMIT) == union_days(items, LIMIT)
    assert all(s.first <= s.last for s in result)


@settings(deadline=None, max_examples=200)
@given(span_lists, windows)
def test_clipped_spans_are_the_merged_days_inside_the_window(items: list[Span], window: Span) -> None:
    result = clipped(items, window)
    assert result == merged(result)
    assert union_days(result, LIMIT) == covered_set(items, window)


def test_two_spans_that_touch_are_merged_and_two_a_day_apart_are_not() -> None:
    assert merged([Span(day(5), day(9)), Span(day(0), day(4))]) == [Span(day(0), day(9))]
    assert merged([Span(day(0), day(4)), Span(day(6), day(9))]) == [
        Span(day(0), day(4)),
        Span(day(6), day(9)),
    ]


def reference_years_earlier(d: date, years: int) -> date:
    try:
        return date(d.year - years, d.month, d.day)
    except ValueError:  # only 29 February in a year without one
        return date(d.year - years, 2, 28)


@settings(deadline=None, max_examples=200)
@given(st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.integers(0, 10))
@example(date(2016, 2, 29), 5)
@example(date(2016, 2, 29), 4)
def test_same_day_years_earlier_keeps_day_and_month_and_turns_29_february_into_28(
    d: date, years: int
) -> None:
    found = same_day_years_earlier(d, years)
    assert found == reference_years_earlier(d, years)
    assert found.year == d.year - years


def test_a_five_year_window_back_from_29_february_2016_starts_on_28_february_2011() -> None:
    assert same_day_years_earlier(date(2016, 2, 29), 5) == date(2011, 2, 28)
    assert same_day_years_earlier(date(2016, 12, 31), 5) == date(2011, 12, 31)


def ages_by_walking(birth: date, until: date) -> dict[date, int]:
    """Age on every day from birth to `until`, one day at a time: a year is added on the birthday, and
    (the project's convention) on 1 March for someone born on 29 February when the year has none."""
    ages, age, d = {}, 0, birth
    while d <= until:
        if d != birth:
            is_birthday = (d.month, d.day) == (birth.month, birth.day)
            leap_day_birth_in_plain_year = (
                (birth.month, birth.day) == (2, 29)
                and (d.month, d.day) == (3, 1)
                and not calendar.isleap(d.year)
            )
            if is_birthday or leap_day_birth_in_plain_year:
                age += 1
        ages[d] = age
        d += ONE
    return ages


births = st.one_of(
    st.dates(date(1996, 1, 1), date(2004, 12, 31)), st.just(date(2000, 2, 29)), st.just(date(1996, 2, 29))
)


@settings(deadline=None, max_examples=40)
@given(births)
def test_age_on_every_day_equals_the_age_counted_by_walking_the_calendar(birth: date) -> None:
    for d, age in ages_by_walking(birth, date(2013, 3, 5)).items():
        assert age_on(birth, d) == age, d


@settings(deadline=None, max_examples=200)
@given(births, st.integers(1, 20))
def test_age_grows_by_exactly_one_on_the_birthday_and_not_the_day_before(birth: date, years: int) -> None:
    birthday = birthday_in(birth, birth.year + years)
    assert age_on(birth, birthday) == years
    assert age_on(birth, birthday - ONE) == years - 1


def test_someone_born_on_29_february_turns_a_year_older_on_1_march_in_a_year_without_29_february() -> None:
    born = date(2000, 2, 29)
    assert birthday_in(born, 2001) == date(2001, 3, 1)
    assert birthday_in(born, 2004) == date(2004, 2, 29)
    assert age_on(born, date(2001, 2, 28)) == 0
    assert age_on(born, date(2001, 3, 1)) == 1
    assert age_on(born, date(2004, 2, 28)) == 3
    assert age_on(born, date(2004, 2, 29)) == 4


def months_by_walking(period: Span) -> list[Span]:
    counts: dict[tuple[int, int], list[date]] = {}
    for d in days_of(period):
        counts.setdefault((d.year, d.month), []).append(d)
    return [
        Span(found[0], found[-1])
        for (year, month), found in sorted(counts.items())
        if len(found) == calendar.monthrange(year, month)[1]
    ]


@settings(deadline=None, max_examples=200)
@given(st.integers(0, 150), st.integers(0, 200))
@example(61, 28)  # 2016-01-31 .. 2016-02-28: February 2016 (29 days) is not wholly inside
@example(62, 28)  # 2016-02-01 .. 2016-02-29
def test_months_inside_are_the_calendar_months_whose_every_day_lies_in_the_period(
    first: int, length: int
) -> None:
    period = Span(day(first), day(first + length))
    assert months_inside(period) == months_by_walking(period)


@given(st.lists(st.integers(0, 2**30 - 1), max_size=50), st.integers(0, 30))
def test_month_counts_count_how_many_masks_have_each_bit_set(masks: list[int], months: int) -> None:
    kept = [mask & ((1 << months) - 1) for mask in masks]
    assert month_counts(kept, months) == [sum(mask >> i & 1 for mask in kept) for i in range(months)]


@given(st.lists(span_lists, max_size=8), st.integers(0, 200))
def test_blocking_on_names_the_members_whose_blocking_days_cover_the_day(
    blocking: list[list[Span]], on: int
) -> None:
    members = [
        MemberDays(f"m{i}", (), tuple(d.toordinal() for span in merged(spans) for d in span), 0, 0)
        for i, spans in enumerate(blocking)
    ]
    expected = [f"m{i}" for i, spans in enumerate(blocking) if covers(spans, day(on))]
    assert blocking_on(members, day(on)) == expected
