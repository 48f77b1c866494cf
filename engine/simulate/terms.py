"""What the simulation must know of a programme, in one place keyed by programme: which decisions
say who is a member, the visitation groups and the effort group, which activities count, and each
member's view of those on a day or in a month. Everything else in engine/simulate is programme-neutral.

FSM1 (SPEC section 5): the effort group of a month is the members in group `1` on its last day who
are active on some day of it; company-directed activity is the pack parameter
`company_directed_activities`; rate 2 waits for the members `rate2_population` names.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from engine.facts.fsm1 import first_day_away
from engine.facts.fsm1_rates import Progress, blocking, blocking_on, progress
from engine.periods import Span, covered_days
from models.codes import GROUPS_BY_PROGRAMME, GrantProgramme
from models.domain import CitizenTimeline


class Member(Protocol):
    """One member of the target group as the rates see them (under the parameters of an evaluation)."""

    @property
    def first_visit(self) -> date | None: ...

    def group_on(self, day: date) -> str | None: ...

    def active_on(self, day: date) -> bool: ...

    def in_effort_group(self, month: Span) -> bool: ...

    def activity_days(self, month: Span) -> int:
        """Days of the month covered by counting activity."""
        ...

    def counted_in(self, month: Span) -> bool:
        """In activity enough days of the month to count for it."""
        ...

    def still_to_visitate(self, day: date) -> bool:
        """Holds the visitation rate back on `day`."""
        ...


@dataclass(frozen=True)
class Terms:
    programme: GrantProgramme
    membership: str
    """The decision that says who is a member."""
    month_rule: str
    """The rule that decides whether a month qualifies (the monthly share table)."""
    groups: frozenset[str]
    counting_activities: str
    """The parameter listing the activities that count."""
    share_parameter: str
    """The parameter a month's share is compared with (drawn as the chart's threshold)."""
    member: Callable[[CitizenTimeline, str, Mapping[str, Any]], Member]
    """A member's view, from their timeline, the municipality and the evaluation's rate parameters."""

    def counting(self, params: Mapping[str, Any]) -> frozenset[str]:
        return frozenset(params[self.counting_activities])


@dataclass(frozen=True)
class Fsm1Member:
    progress: Progress
    min_activity_days: int
    rate2_population: str
    cutoff: date

    @property
    def first_visit(self) -> date | None:
        return self.progress.first_visit

    def group_on(self, day: date) -> str | None:
        return self.progress.group_on(day)

    def active_on(self, day: date) -> bool:
        return self.progress.active_in(Span(day, day))

    def in_effort_group(self, month: Span) -> bool:
        return self.group_on(month.last) == "1" and self.progress.active_in(month)

    def activity_days(self, month: Span) -> int:
        return covered_days(self.progress.activity, month)

    def counted_in(self, month: Span) -> bool:
        return self.activity_days(month) >= self.min_activity_days

    def still_to_visitate(self, day: date) -> bool:
        return bool(blocking_on(blocking([self.progress], self.rate2_population, self.cutoff), day))


def fsm1_member(timeline: CitizenTimeline, municipality: str, params: Mapping[str, Any]) -> Fsm1Member:
    cutoff = params["cutoff_date"]
    away = first_day_away(timeline, municipality, cutoff)
    return Fsm1Member(
        progress(timeline, away, cutoff, params),
        params["min_activity_days"],
        params["rate2_population"],
        cutoff,
    )


TERMS = {
    "fsm1": Terms(
        programme=GrantProgramme.fsm1,
        membership="fsm1.membership",
        month_rule="fsm1.rate3.month_qualifies",
        groups=frozenset(g.value for g in GROUPS_BY_PROGRAMME[GrantProgramme.fsm1]),
        counting_activities="company_directed_activities",
        share_parameter="rate3_share",
        member=fsm1_member,
    )
}


def terms_of(programme: str) -> Terms:
    """The simulation's knowledge of a programme; ValueError names the programmes it knows."""
    if programme not in TERMS:
        raise ValueError(f"the simulation knows {', '.join(sorted(TERMS))}, not {programme!r} yet")
    return TERMS[programme]
