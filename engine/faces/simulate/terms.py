"""What the simulation must know of a programme, in one place keyed by programme: who is a member,
the visitation groups and the effort group, which activities count, and each member's view of those
on a day or in a month. Everything else in engine/simulate is programme-neutral.

FSM1 (SPEC section 5): the members are the target group fixed at the cut-off date; the effort group
of a month is the members in group `1` on its last day who are active on some day of it;
company-directed activity is the pack parameter `company_directed_activities`; rate 2 waits for the
members `rate2_population` names.

FSM2 (SPEC section 6): the members are the citizens who took part on some day of the project so far;
active means participating; the effort group of a month is the members who on some day of it
participate, are in the group `effort_group` and have no exemption; the activities that count are
`counted_activities`. Nothing waits for visitations (rate 2 is a ladder on the months).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from engine.rules.decide import Evaluation
from engine.rules.facts import fsm2 as fsm2_facts
from engine.rules.facts.fsm1 import first_day_away
from engine.rules.facts.fsm1_rates import Progress, must_be_visitated, progress
from engine.rules.payout import money
from engine.rules.programmes import Municipality, MunicipalityResult
from engine.rules.programmes.fsm2 import participation_of
from models.codes import GROUPS_BY_PROGRAMME, GrantProgramme
from models.domain import CitizenTimeline
from models.periods import Span, covered_days, covers


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
class Step:
    """A step of the rate paid for the monthly share of the effort group in counting activity: the
    share a month must reach, in how many consecutive months, what the rate then pays."""

    rate: int
    rule: str
    """The rule a month must pass (its id in the pack)."""
    share: Decimal
    months: int
    pays: Decimal
    reached: bool
    """Reached by the months ended by the as-of date."""


@dataclass(frozen=True)
class Terms:
    programme: GrantProgramme
    members: Callable[[Iterable[Evaluation]], set[str]]
    """Who is a member, from an evaluation's citizen decisions."""
    month_rule: str
    """The rule that decides whether a month qualifies (the monthly share table)."""
    groups: frozenset[str]
    counting_activities: str
    """The parameter listing the activities that count."""
    member: Callable[[CitizenTimeline, Municipality], Member]
    """A member's view, from their timeline and what the evaluation was made under."""
    no_exit: Callable[[str, Mapping[str, Any]], str | None]
    """Why an `exit` with this reason would not end membership (None: it does)."""
    status_decision: str
    """The decision with a member's status on the as-of date (its detail: exit status and group)."""
    visitation_rate: int | None
    """The rate that waits for every member to be visitated (None: no rate does)."""
    ladder: Callable[[MunicipalityResult], tuple[Step, ...]]
    """The steps of the rate paid for the monthly share, in order, from an evaluation."""

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
        return covers(must_be_visitated(self.progress, self.rate2_population, self.cutoff), day)


def fsm1_member(timeline: CitizenTimeline, place: Municipality) -> Fsm1Member:
    params = place.rate_params
    cutoff = params["cutoff_date"]
    away = first_day_away(timeline, place.code, cutoff)
    return Fsm1Member(
        progress(timeline, away, cutoff, params),
        params["min_activity_days"],
        params["rate2_population"],
        cutoff,
    )


def fsm1_no_exit(reason: str, params: Mapping[str, Any]) -> str | None:
    return (
        f"{reason} is a cash benefit: changing to it is no exit"
        if reason in params["current_support"]
        else None
    )


def fsm2_no_exit(reason: str, params: Mapping[str, Any]) -> str | None:
    if reason in ("doed", "fraflyttet") or reason in params["leaving_support"]:
        return None
    ending = ", ".join(params["leaving_support"])
    return f"{reason} does not end a participation in FSM2: only moving out, death and {ending} do"


def fsm1_ladder(result: MunicipalityResult) -> tuple[Step, ...]:
    """Rate 3: `rate3_months` consecutive months at `rate3_share` pay rate 3's part of the grant."""
    params, rate3 = result.rate_params, result.status.rates[2]
    share, months = params["rate3_share"], params["rate3_months"]
    return (Step(3, "fsm1.rate3.month_qualifies", share, months, rate3.amount, rate3.triggered),)


def fsm2_ladder(result: MunicipalityResult) -> tuple[Step, ...]:
    """Rate 2's ladder: one month at the first step's share pays its payout, one at the full step's
    the rest of the grant (what is reached is what the rules found, `blocked_by.steps`)."""
    params, status = result.rate_params, result.status
    blocked = status.rates[1].blocked_by
    reached = {step["step"]: step["reached_in"] is not None for step in blocked["steps"]} if blocked else {}
    first = money(status.grant * params["rate2_first_step_payout"])
    rest = status.grant - status.rates[0].amount
    return tuple(
        Step(2, rule, params[share], 1, pays, reached.get(rule, True))
        for rule, share, pays in (
            ("fsm2.rate2.first_step", "rate2_first_step_share", first),
            ("fsm2.rate2.full_step", "rate2_full_step_share", rest),
        )
    )


def passed(decision: str) -> Callable[[Iterable[Evaluation]], set[str]]:
    return lambda evaluations: {e.subject for e in evaluations if e.decision == decision and e.passed}


@dataclass(frozen=True)
class Fsm2Member:
    visited: list[tuple[date, str]]
    participating: list[Span]
    effort: list[Span]
    activity: list[Span]
    min_activity_days: int

    @property
    def first_visit(self) -> date | None:
        return self.visited[0][0] if self.visited else None

    def group_on(self, day: date) -> str | None:
        return fsm2_facts.group_on(self.visited, day)

    def active_on(self, day: date) -> bool:
        return covers(self.participating, day)

    def in_effort_group(self, month: Span) -> bool:
        return covered_days(self.effort, month) > 0

    def activity_days(self, month: Span) -> int:
        return covered_days(self.activity, month)

    def counted_in(self, month: Span) -> bool:
        return self.activity_days(month) >= self.min_activity_days

    def still_to_visitate(self, day: date) -> bool:
        return False


def fsm2_member(timeline: CitizenTimeline, place: Municipality) -> Fsm2Member:
    params = place.rate_params
    visited = fsm2_facts.visits(timeline)
    participating = participation_of(place, timeline).days
    counting = params["counted_activities"]
    return Fsm2Member(
        visited,
        participating,
        fsm2_facts.effort_days(timeline, visited, participating, params["effort_group"]),
        [a.span for a in timeline.activities if a.activity in counting],
        params["min_activity_days"],
    )


TERMS = {
    "fsm1": Terms(
        programme=GrantProgramme.fsm1,
        members=passed("fsm1.membership"),
        month_rule="fsm1.rate3.month_qualifies",
        groups=frozenset(g.value for g in GROUPS_BY_PROGRAMME[GrantProgramme.fsm1]),
        counting_activities="company_directed_activities",
        member=fsm1_member,
        no_exit=fsm1_no_exit,
        status_decision="fsm1.status",
        visitation_rate=2,
        ladder=fsm1_ladder,
    ),
    "fsm2": Terms(
        programme=GrantProgramme.fsm2,
        members=lambda evaluations: {e.subject for e in evaluations if e.decision == "fsm2.status"},
        month_rule="fsm2.rate2.first_step",
        groups=frozenset(g.value for g in GROUPS_BY_PROGRAMME[GrantProgramme.fsm2]),
        counting_activities="counted_activities",
        member=fsm2_member,
        no_exit=fsm2_no_exit,
        status_decision="fsm2.status",
        visitation_rate=None,
        ladder=fsm2_ladder,
    ),
}


def terms_of(programme: str) -> Terms:
    """The simulation's knowledge of a programme; ValueError names the programmes it knows."""
    if programme not in TERMS:
        raise ValueError(f"the simulation knows {', '.join(sorted(TERMS))}, not {programme!r} yet")
    return TERMS[programme]
