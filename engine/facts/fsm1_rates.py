"""Facts of the FSM1 rate rules (SPEC section 5), from the members' timelines.

Each member is first reduced to a `Progress`: the days they are active, their FSM1 visitations and
their company-directed activity. Rate 2 then looks at candidate days, rate 3 at calendar months.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engine.facts.fsm1 import active_spans
from engine.periods import FOREVER, Span, clipped, covered_days, covers, months_inside
from models.codes import GrantProgramme
from models.domain import CitizenTimeline

ONE_DAY = timedelta(days=1)
FSM1 = GrantProgramme.fsm1
EFFORT_GROUP = "1"
"""The effort group (indsatsgruppen): a code of the FSM1 visitation code list, not a threshold."""


@dataclass(frozen=True)
class Progress:
    """What the rates need of one member."""

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
    visits = sorted((v.day, v.group.value) for v in timeline.visitations if v.programme is FSM1)
    counting = params["company_directed_activities"]
    activity = [a.span for a in timeline.activities if a.activity in counting]
    return Progress(
        citizen_id=timeline.citizen_id,
        active=tuple(active_spans(timeline, away, cutoff, params["current_support"])),
        visit_days=tuple(day for day, _ in visits),
        visit_groups=tuple(group for _, group in visits),
        activity=tuple(clipped(activity, Span(cutoff, FOREVER))) if activity else (),
    )


def must_be_visitated(member: Progress, population: str, cutoff: date) -> list[Span]:
    """The days on which this member holds rate 2 back: must be visitated but has no visitation yet."""
    if population not in ("active", "all"):
        raise ValueError(f"rate2_population must be 'active' or 'all', got {population!r}")
    required = list(member.active) if population == "active" else [Span(cutoff, FOREVER)]
    if member.first_visit is None:
        return required
    if member.first_visit <= cutoff:
        return []
    return clipped(required, Span(cutoff, member.first_visit - ONE_DAY))


Blocking = Sequence[tuple[str, list[Span]]]
"""Each member (id) with the days on which they hold rate 2 back (`must_be_visitated`)."""


def blocking(members: Iterable[Progress], population: str, cutoff: date) -> Blocking:
    return [(m.citizen_id, must_be_visitated(m, population, cutoff)) for m in members]


def rate2_days(
    members: Sequence[Progress],
    blocked: Blocking,
    project: Span,
    period_end: date,
    population: str,
    cutoff: date,
) -> list[dict[str, Any]]:
    """Candidate days for rate 2: the project's first day, each day after someone stops blocking, and the
    period's end; with how many members must be visitated and how many are not, on each."""
    blocking = [span for _, spans in blocked for span in spans]
    required = [
        span
        for member in members
        for span in (member.active if population == "active" else [Span(cutoff, FOREVER)])
    ]
    candidates = {project.first, period_end} | {s.last + ONE_DAY for s in blocking if s.last < FOREVER}
    days = sorted(d for d in candidates if project.first <= d <= period_end)
    count_required, count_blocking = _covering_counter(required), _covering_counter(blocking)
    return [
        {
            "idx": index,
            "day": day,
            "project_start": project.first,
            "period_end": period_end,
            "must_be_visitated": count_required(day),
            "not_visitated": count_blocking(day),
        }
        for index, day in enumerate(days)
    ]


def blocking_on(blocked: Blocking, day: date) -> list[str]:
    """The members (ids) who still hold rate 2 back on `day`."""
    return [citizen for citizen, spans in blocked if covers(spans, day)]


def _covering_counter(spans: Sequence[Span]) -> Callable[[date], int]:
    """A function counting the spans that cover a day, in O(log n) per day."""
    firsts = sorted(s.first for s in spans)
    lasts = sorted(s.last for s in spans)
    return lambda day: bisect_right(firsts, day) - bisect_left(lasts, day)


def rate3_months(
    members: Sequence[Progress], project: Span, as_of: date, min_activity_days: int
) -> list[dict[str, Any]]:
    """One fact per calendar month wholly inside the project and ended by `as_of`: E(M) and A(M)."""
    months = [month for month in months_inside(project) if month.last <= as_of]
    effort, in_activity = [0] * len(months), [0] * len(months)
    for member in members:
        if EFFORT_GROUP not in member.visit_groups:
            continue  # never in the effort group
        for i, month in enumerate(months):
            if member.group_on(month.last) == EFFORT_GROUP and member.active_in(month):
                effort[i] += 1
                if member.activity and covered_days(member.activity, month) >= min_activity_days:
                    in_activity[i] += 1
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
