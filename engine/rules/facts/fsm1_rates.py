"""Facts of the FSM1 rate rules (SPEC section 5), from the members' timelines.

Each member is first reduced to a `Progress`: the days they are active, their FSM1 visitations and
their company-directed activity; then to `MemberDays`, what the rates need of them. Rate 2 then looks
at candidate days, rate 3 at calendar months.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from itertools import chain
from typing import Any, NamedTuple

from engine.rules.facts.fsm1 import active_spans
from models.codes import GrantProgramme, text
from models.domain import CitizenTimeline
from models.periods import FOREVER, Span, clipped, covered_days, month_counts

ONE_DAY = timedelta(days=1)
NEVER = FOREVER.toordinal()
FSM1 = GrantProgramme.fsm1
EFFORT_GROUP = "1"
"""The effort group (indsatsgruppen): a code of the FSM1 visitation code list, not a threshold."""


class Progress(NamedTuple):
    """What the rates need of one member (a tuple: made for every member of a national run)."""

    citizen_id: str
    active: tuple[Span, ...]
    visit_days: tuple[date, ...]
    visit_groups: tuple[str, ...]
    activity: tuple[Span, ...]

    def group_on(self, day: date) -> str | None:
        """The group of the latest FSM1 visitation on or before `day`."""
        index = bisect_right(self.visit_days, day)
        return self.visit_groups[index - 1] if index else None

    def active_in(self, span: Span) -> bool:
        return any(a.first <= span.last and a.last >= span.first for a in self.active)

    @property
    def first_visit(self) -> date | None:
        return self.visit_days[0] if self.visit_days else None


def progress(
    timeline: CitizenTimeline, away: date | None, cutoff: date, params: Mapping[str, Any]
) -> Progress:
    """`away`: the member's first day away from the municipality after the cut-off date (or None)."""
    visits = sorted((v.day, text(v.group)) for v in timeline.visitations if v.programme is FSM1)
    visit_days, visit_groups = zip(*visits, strict=True) if visits else ((), ())
    counting = params["company_directed_activities"]
    activity = [a.span for a in timeline.activities if a.activity in counting]
    return Progress(
        citizen_id=timeline.citizen_id,
        active=tuple(active_spans(timeline, away, cutoff, params["current_support"])),
        visit_days=visit_days,
        visit_groups=visit_groups,
        activity=tuple(clipped(activity, Span(cutoff, FOREVER))) if activity else (),
    )


def must_be_visitated(member: Progress, population: str, cutoff: date) -> list[Span]:
    """The days on which this member holds rate 2 back: must be visitated but has no visitation yet."""
    return _unvisitated(member, required_days(member, population, cutoff), cutoff)


def required_days(member: Progress, population: str, cutoff: date) -> list[Span]:
    """The days on which this member must be visitated (`rate2_population`)."""
    if population == "active":
        return list(member.active)
    if population == "all":
        return [Span(cutoff, FOREVER)]
    raise ValueError(f"rate2_population must be 'active' or 'all', got {population!r}")


def _unvisitated(member: Progress, required: list[Span], cutoff: date) -> list[Span]:
    if member.first_visit is None:
        return required
    if member.first_visit <= cutoff:
        return []
    return clipped(required, Span(cutoff, member.first_visit - ONE_DAY))


class MemberDays(NamedTuple):
    """What the rates need of one member, compact enough to travel between processes by the
    hundred thousand: days as ordinals, months as bits."""

    citizen_id: str
    required: tuple[int, ...]
    """The days the member must be visitated, as flattened (first, last) ordinal pairs."""
    blocking: tuple[int, ...]
    """The days the member holds rate 2 back (`must_be_visitated`), likewise."""
    effort_months: int
    """Bit i: in the effort group in the i-th month (of the months the rates look at)."""
    activity_months: int
    """Bit i: and in company-directed activity for at least `min_activity_days` days of it."""


def member_days(
    member: Progress, population: str, cutoff: date, months: Sequence[Span], min_activity_days: int
) -> MemberDays:
    required = required_days(member, population, cutoff)
    effort = activity = 0
    if EFFORT_GROUP in member.visit_groups:
        effort = _in_effort_group(member, months)
        if member.activity:
            for i in _bits(effort):
                if covered_days(member.activity, months[i]) >= min_activity_days:
                    activity |= 1 << i
    return MemberDays(
        member.citizen_id,
        _ordinals(required),
        _ordinals(_unvisitated(member, required, cutoff)),
        effort,
        activity,
    )


def _in_effort_group(member: Progress, months: Sequence[Span]) -> int:
    """Bit i: in the effort group on the last day of the i-th month and active on some day of it.
    Made span by span, not month by month: a member has a few visitations and active spans, a
    project a few dozen months."""
    firsts, lasts = _bounds(tuple(months))
    in_group = active = 0
    ends = (*member.visit_days[1:], None)
    for day, group, next_day in zip(member.visit_days, member.visit_groups, ends, strict=True):
        if group == EFFORT_GROUP:  # in the group from the visitation until the day before the next
            until = len(lasts) if next_day is None else bisect_left(lasts, next_day)
            in_group |= _mask(bisect_left(lasts, day), until)
    for span in member.active:  # months that end on or after its first day and start by its last
        active |= _mask(bisect_left(lasts, span.first), bisect_right(firsts, span.last))
    return in_group & active


@cache
def _bounds(months: tuple[Span, ...]) -> tuple[list[date], list[date]]:
    return [month.first for month in months], [month.last for month in months]


def _mask(start: int, stop: int) -> int:
    """Bits start … stop − 1."""
    return (1 << stop) - (1 << start) if stop > start else 0


def _bits(mask: int) -> Iterator[int]:
    while mask:
        lowest = mask & -mask
        yield lowest.bit_length() - 1
        mask ^= lowest


def _ordinals(spans: Iterable[Span]) -> tuple[int, ...]:
    return tuple([day.toordinal() for span in spans for day in span])


def rate2_days(members: Sequence[MemberDays], project: Span, period_end: date) -> list[dict[str, Any]]:
    """Candidate days for rate 2: the project's first day, each day after someone stops blocking, and the
    period's end; with how many members must be visitated and how many are not, on each."""
    first, end = project.first.toordinal(), period_end.toordinal()
    blocking = [m.blocking for m in members]
    candidates = {first, end} | {last + 1 for last in _lasts(blocking) if last < NEVER}
    count_required = _covering_counter([m.required for m in members])
    count_blocking = _covering_counter(blocking)
    return [
        {
            "idx": index,
            "day": date.fromordinal(day),
            "project_start": project.first,
            "period_end": period_end,
            "must_be_visitated": count_required(day),
            "not_visitated": count_blocking(day),
        }
        for index, day in enumerate(sorted(d for d in candidates if first <= d <= end))
    ]


def blocking_on(members: Iterable[MemberDays], day: date) -> list[str]:
    """The members (ids) who still hold rate 2 back on `day`."""
    ordinal = day.toordinal()
    return [m.citizen_id for m in members if _covers(m.blocking, ordinal)]


def _covers(flat: Sequence[int], day: int) -> bool:
    """Whether one of the sorted, disjoint flattened (first, last) pairs covers `day`: after an odd
    number of bounds up to `day` it lies inside a pair, after an even number only on a last day."""
    bounds = bisect_right(flat, day)
    return bounds % 2 == 1 or (bounds > 0 and flat[bounds - 1] == day)


def _covering_counter(spans: Sequence[Sequence[int]]) -> Callable[[int], int]:
    """A function counting the spans (flattened ordinal pairs) that cover a day, in O(log n) per day."""
    firsts, lasts = sorted(_firsts(spans)), sorted(_lasts(spans))
    return lambda day: bisect_right(firsts, day) - bisect_left(lasts, day)


def _firsts(spans: Iterable[Sequence[int]]) -> Iterator[int]:
    """The first days of every flattened (first, last) pair."""
    return chain.from_iterable(flat[::2] for flat in spans)


def _lasts(spans: Iterable[Sequence[int]]) -> Iterator[int]:
    """The last days of every flattened (first, last) pair."""
    return chain.from_iterable(flat[1::2] for flat in spans)


def rate3_months(members: Sequence[MemberDays], months: Sequence[Span]) -> list[dict[str, Any]]:
    """One fact per month the rates look at: the effort group E(M) and those in activity A(M)."""
    effort = month_counts((m.effort_months for m in members), len(months))
    in_activity = month_counts((m.activity_months for m in members), len(months))
    return [
        {
            "idx": month.first.year * 12 + month.first.month,
            "month": month.first.strftime("%Y-%m"),
            "last_day": month.last,
            "effort_group": effort[i],
            "in_activity": in_activity[i],
        }
        for i, month in enumerate(months)
    ]
