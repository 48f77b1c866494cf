"""The distance to each rate: from a municipality's data evaluated as of a day, what is still to be
done for the rates not yet triggered, in terms a project leader can act on.

- The visitation rate (FSM1 rate 2): the members it still waits for on the day — the rules' own list
  (`blocked_by`) — each with their status and group, and the project's last day, the last day it
  can be reached.
- The rate paid for the monthly share (FSM1 rate 3; FSM2's rate 2 ladder): for every month of the
  project not ended by the day, its effort group and those in counting activity as the data stands
  (the data evaluated as of the project's end: visitations and activities already recorded for later
  count), how many more members in counting activity it needs for each step not reached yet and
  what that step pays; and for a step that asks for consecutive months (FSM1 rate 3) the run so
  far and the months left to complete one.
- This month's effort-group members with no counted activity: a list to work from.

Nothing is written anywhere: the data is evaluated in memory, by the rules (evaluator.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from engine.collector import collector_paused
from engine.faces.simulate.base import BaseData
from engine.faces.simulate.evaluator import Evaluator
from engine.faces.simulate.operations import State, month_of
from engine.faces.simulate.terms import Member, Step, Terms
from engine.rules.payout import needed
from engine.rules.programmes import MunicipalityResult
from models import cpr
from models.periods import Span, months_inside
from models.status import MonthResult, RateResult


@dataclass(frozen=True)
class Waiting:
    """A member the visitation rate waits for."""

    citizen_id: str
    status: str | None
    """Their exit status on the day (None: active)."""
    group: str
    """Their group on the day (`mangler`: none yet)."""


@dataclass(frozen=True)
class VisitationDistance:
    rate: RateResult
    deadline: date
    """The project's last day: the visitation rate cannot be reached after it."""
    days_left: int
    """Days from the day to the deadline (0 when it has passed)."""
    waiting: tuple[Waiting, ...]
    reason: str | None = None
    """Why nobody is listed although the rate is not reached (e.g. the project has not started)."""


@dataclass(frozen=True)
class Need:
    """What a month lacks for a step: `more` members in counting activity."""

    step: Step
    more: int


@dataclass(frozen=True)
class MonthAhead:
    month: str
    effort_group: int
    in_activity: int
    needs: tuple[Need, ...]
    """For each step not reached yet, in order (the first is the next step)."""


@dataclass(frozen=True)
class RunOfMonths:
    """A step that asks for consecutive months: the run so far and what is left to complete one."""

    step: Step
    so_far: int
    """Qualifying months in a row up to the last month ended by the day."""
    months_left: int
    """Months of the project not ended by the day."""
    last_start: str | None
    """The last month in which a new run can begin and still end inside the project (None: too late)."""

    @property
    def still_needed(self) -> int:
        return self.step.months - self.so_far

    @property
    def possible(self) -> bool:
        return self.months_left >= self.still_needed


@dataclass(frozen=True)
class Idle:
    """An effort-group member with no counted activity in the month."""

    citizen_id: str
    group: str | None
    """Their group on the month's last day."""
    activity_days: int
    """Days of the month with counting activity (fewer than the rules count)."""
    active: bool
    """Active (FSM2: participating) on the day."""


@dataclass(frozen=True)
class Distance:
    municipality: str
    programme: str
    as_of: date
    origin: Mapping[str, Any]
    project: Span
    rates: tuple[RateResult, ...]
    visitation: VisitationDistance | None
    """None when no rate waits for visitations (FSM2)."""
    steps: tuple[Step, ...]
    months: tuple[MonthAhead, ...]
    run: RunOfMonths | None
    """None when the next step needs a single month, or every step is reached."""
    month: str | None
    """The month of the day (`YYYY-MM`), when it lies inside the project."""
    idle: tuple[Idle, ...]
    warnings: tuple[str, ...] = ()


@collector_paused()
def distance(
    base: BaseData,
    as_of: date,
    terms: Terms,
    evaluate: Evaluator,
    overrides: Mapping[str, Any] | None = None,
) -> Distance:
    """The distance to each rate of the base data as of `as_of`, evaluated by `evaluate` (as of the
    day, and as of the project's end for the months ahead), under parameter `overrides` if any."""
    state = replace(State.of(base.timelines), overrides=dict(overrides or {}))
    now = evaluate(state, as_of)
    last = base.grant.project_end
    ahead = now if as_of >= last else evaluate(state, last)
    members = evaluate.context(terms, state, ahead).members
    return measured(now, ahead, members, terms, base.origin)


def measured(
    now: MunicipalityResult,
    ahead: MunicipalityResult,
    members: Mapping[str, Member],
    terms: Terms,
    origin: Mapping[str, Any],
) -> Distance:
    """The distance from `now` (the evaluation as of the day), `ahead` (the same data as of the
    project's end, or `now` once it has ended) and the members' views under `ahead`."""
    status, project = now.status, now.place.grant.project
    statuses = {e.subject: e.detail for e in now.evaluations if e.decision == terms.status_decision}
    steps = terms.ladder(now)
    open_steps = [step for step in steps if not step.reached]
    ended = {m.month for m in status.months}
    months = tuple(
        MonthAhead(
            m.month,
            m.effort_group,
            m.in_activity,
            tuple(Need(step, needed(m.effort_group, m.in_activity, step.share)) for step in open_steps),
        )
        for m in ahead.status.months
        if m.month not in ended
    )
    current = month_of(status.as_of)
    inside = current in months_inside(project)
    return Distance(
        municipality=status.municipality,
        programme=status.programme,
        as_of=status.as_of,
        origin=origin,
        project=project,
        rates=tuple(status.rates),
        visitation=_visitation(now, terms, statuses),
        steps=steps,
        months=months,
        run=_run(open_steps, status.months, months, project),
        month=f"{current.first:%Y-%m}" if inside else None,
        idle=_idle(current, status.as_of, members) if inside else (),
        warnings=tuple(status.warnings),
    )


def _visitation(
    now: MunicipalityResult, terms: Terms, statuses: Mapping[str, Mapping[str, Any]]
) -> VisitationDistance | None:
    if terms.visitation_rate is None:
        return None
    rate = now.status.rates[terms.visitation_rate - 1]
    blocked = rate.blocked_by or {}
    waiting = tuple(
        Waiting(citizen, statuses[citizen]["exit_status"], statuses[citizen]["group"])
        for citizen in blocked.get("citizens", ())
    )
    deadline = now.place.grant.project_end
    days_left = max(0, (deadline - now.status.as_of).days)
    return VisitationDistance(rate, deadline, days_left, waiting, blocked.get("reason"))


def _run(
    open_steps: list[Step], ended: list[MonthResult], ahead: tuple[MonthAhead, ...], project: Span
) -> RunOfMonths | None:
    """The run of consecutive qualifying months of the next step, when it asks for more than one."""
    if not open_steps or open_steps[0].months < 2:
        return None
    step = open_steps[0]
    so_far = 0
    for month in reversed(ended):
        if not month.qualifies:
            break
        so_far += 1
    every = months_inside(project)
    last_start = f"{every[-step.months].first:%Y-%m}" if len(every) >= step.months else None
    if last_start is not None and not (ahead and last_start >= ahead[0].month):
        last_start = None  # that month has ended: only the run already begun can still be completed
    return RunOfMonths(step, so_far, len(ahead), last_start)


def _idle(month: Span, day: date, members: Mapping[str, Member]) -> tuple[Idle, ...]:
    return tuple(
        Idle(citizen, member.group_on(month.last), member.activity_days(month), member.active_on(day))
        for citizen, member in members.items()
        if member.in_effort_group(month) and not member.counted_in(month)
    )


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def step_json(step: Step) -> dict[str, Any]:
    return {
        "rate": step.rate,
        "step": step.rule,
        "share": str(step.share),
        "months": step.months,
        "pays": amount(step.pays),
        "reached": step.reached,
    }


def distance_json(found: Distance, *, full_cpr: bool = False) -> dict[str, Any]:
    """The distance as JSON: amounts as strings with 2 decimals, shares as exact decimals, citizens
    masked (`DDMMYY-xxxx`) unless `full_cpr`."""
    visitation = found.visitation
    run = found.run
    return {
        "municipality": found.municipality,
        "programme": found.programme,
        "as_of": found.as_of.isoformat(),
        "base": dict(found.origin),
        "project": {"first": found.project.first.isoformat(), "last": found.project.last.isoformat()},
        "rates": [
            {
                "rate": rate.rate,
                "triggered": rate.triggered,
                "date": rate.date.isoformat() if rate.date else None,
                "amount": amount(rate.amount),
            }
            for rate in found.rates
        ],
        "visitation": None
        if visitation is None
        else {
            "rate": visitation.rate.rate,
            "triggered": visitation.rate.triggered,
            "deadline": visitation.deadline.isoformat(),
            "days_left": visitation.days_left,
            "still_to_visitate": len(visitation.waiting),
            "reason": visitation.reason,
            "citizens": [
                {"citizen": cpr.shown(w.citizen_id, full=full_cpr), "status": w.status, "group": w.group}
                for w in visitation.waiting
            ],
        },
        "steps": [step_json(step) for step in found.steps],
        "months": [
            {
                "month": m.month,
                "effort_group": m.effort_group,
                "in_activity": m.in_activity,
                "needs": [
                    {"step": n.step.rule, "more": n.more, "pays": amount(n.step.pays)} for n in m.needs
                ],
            }
            for m in found.months
        ],
        "run": None
        if run is None
        else {
            "step": run.step.rule,
            "months": run.step.months,
            "so_far": run.so_far,
            "still_needed": run.still_needed,
            "months_left": run.months_left,
            "last_start": run.last_start,
            "possible": run.possible,
        },
        "month": found.month,
        "idle": [
            {
                "citizen": cpr.shown(i.citizen_id, full=full_cpr),
                "group": i.group,
                "activity_days": i.activity_days,
                "active": i.active,
            }
            for i in found.idle
        ],
        "warnings": list(found.warnings),
    }
