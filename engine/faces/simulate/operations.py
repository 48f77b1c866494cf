"""The operations of a scenario, as pure functions: a state (timelines and parameter overrides) in,
a new state out. Nothing is changed in place; citizens an operation does not pick are left as they are.

An operation on citizens applies to the members it is about (e.g. `visitate`: members with no
visitation on or before its date), judged on the evaluation of the state before it. `count: N`
takes the first N of them in ascending citizen id order (Python's string order of the ids as
stored, CPR numbers as `DDMMYY-SSSS`), so the same scenario always changes the same citizens.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from engine.faces.simulate.loading import Problem, Problems
from engine.faces.simulate.scenario import AddActivity, CitizenChange, EndActivity, Exit, MoveGroup, Visitate
from engine.faces.simulate.terms import Member, Terms
from engine.rules.programmes import MunicipalityResult
from models import cpr
from models.domain import ActivityPeriod, CitizenTimeline, Period, SupportPeriod, Visitation
from models.periods import Span, month_span

ONE_DAY = timedelta(days=1)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class State:
    """The citizens' timelines (by citizen id, ascending) and the parameters a reform changed."""

    timelines: Mapping[str, CitizenTimeline]
    overrides: Mapping[str, Any]

    @classmethod
    def of(cls, timelines: Iterable[CitizenTimeline]) -> "State":
        return cls({t.citizen_id: t for t in sorted(timelines, key=lambda t: t.citizen_id)}, {})


@dataclass(frozen=True)
class Context:
    """What an operation sees: the members and parameters of the evaluation of the state before it."""

    terms: Terms
    municipality: str
    members: Mapping[str, Member]
    params: Mapping[str, Any]

    @classmethod
    def of(
        cls,
        terms: Terms,
        state: State,
        result: MunicipalityResult,
        view: Callable[[CitizenTimeline], Member] | None = None,
    ) -> "Context":
        """`view`: a member's view of their timeline under `result.place` (default: made afresh)."""
        member = view or (lambda timeline: terms.member(timeline, result.place))
        ids = terms.members(result.evaluations)
        members = {cid: member(t) for cid, t in state.timelines.items() if cid in ids}
        return cls(terms, result.status.municipality, members, result.rate_params)


@dataclass(frozen=True)
class Applied:
    state: State
    citizens: tuple[str, ...]
    """The citizens the operation changed, in ascending id order."""
    warnings: tuple[Problem, ...] = ()
    """Places in the change that did not do all they asked (e.g. fewer members than `count`)."""


def month_of(day: date) -> Span:
    return month_span(day.year, day.month)


def eligibility(change: CitizenChange, terms: Terms) -> str:
    """In words: the members an operation applies to."""
    match change:
        case Visitate():
            active = f" who are active on {change.day}" if change.only_active else ""
            return f"members with no {terms.programme.value} visitation on or before {change.day}{active}"
        case AddActivity():
            month = f"{change.start:%Y-%m}"
            return f"members of the effort group of {month} with no counting activity in {month}"
        case EndActivity():
            what = change.activity.value if change.activity else "a counting activity"
            return f"members with {what} running on {change.day} and after it"
        case MoveGroup():
            group = (
                f"group {change.from_group}" if change.from_group else f"a group other than {change.group}"
            )
            return f"visitated members in {group} on {change.day}"
        case Exit():
            return f"members active on {change.day}"


def _ending(change: EndActivity, counting: frozenset[str]) -> Callable[[ActivityPeriod], bool]:
    """Which of a member's activities the change ends: running on its date and after it."""
    codes = {change.activity.value} if change.activity else counting

    def ends(activity: ActivityPeriod) -> bool:
        return (
            activity.activity.value in codes
            and activity.covers(change.day)
            and (activity.end is None or activity.end > change.day)
        )

    return ends


def applies_to(change: CitizenChange, member: Member, timeline: CitizenTimeline, context: Context) -> bool:
    match change:
        case Visitate():
            unvisitated = member.first_visit is None or member.first_visit > change.day
            return unvisitated and (not change.only_active or member.active_on(change.day))
        case AddActivity():
            month = month_of(change.start)
            return member.in_effort_group(month) and member.activity_days(month) == 0
        case EndActivity():
            return any(map(_ending(change, context.terms.counting(context.params)), timeline.activities))
        case MoveGroup():
            group = member.group_on(change.day)
            return group is not None and group != change.group and change.from_group in (None, group)
        case Exit():
            return member.active_on(change.day)


def changed(change: CitizenChange, timeline: CitizenTimeline, context: Context) -> CitizenTimeline:
    """The citizen's timeline after the change."""
    programme = context.terms.programme
    match change:
        case Visitate():
            visit = Visitation(programme=programme, day=change.day, group=change.group)
            return _with(timeline, visitations=(*timeline.visitations, visit))
        case AddActivity():
            activity = ActivityPeriod(activity=change.activity, start=change.start, end=change.last)
            return _with(timeline, activities=(*timeline.activities, activity))
        case EndActivity():
            ends = _ending(change, context.terms.counting(context.params))
            return _with(
                timeline,
                activities=tuple(_with(a, end=change.day) if ends(a) else a for a in timeline.activities),
            )
        case MoveGroup():
            kept = [v for v in timeline.visitations if (v.programme, v.day) != (programme, change.day)]
            visit = Visitation(programme=programme, day=change.day, group=change.group)
            return _with(timeline, visitations=(*kept, visit))
        case Exit():
            return _exited(timeline, change, context.municipality)


def _exited(timeline: CitizenTimeline, change: Exit, municipality: str) -> CitizenTimeline:
    day, reason = change.day, change.reason
    if reason == "doed":
        return _with(timeline, death_date=day)
    if reason == "fraflyttet":
        return _with(
            timeline, residence=_ended(timeline.residence, day, lambda r: r.municipality == municipality)
        )
    support = _ended(timeline.support, day, lambda _: True)
    if reason != "ingen_registrering":
        support = (*support, SupportPeriod(support=reason, start=day, end=None))
    return _with(timeline, support=support)


P = TypeVar("P", bound=Period)


def _ended(periods: Iterable[P], day: date, which: Callable[[P], bool]) -> tuple[P, ...]:
    """The periods, those of `which` cut to end the day before `day` (dropped if they start on or after it)."""
    kept = []
    for period in periods:
        if not which(period) or (period.end is not None and period.end < day):
            kept.append(period)
        elif period.start < day:
            kept.append(_with(period, end=day - ONE_DAY))
    return tuple(kept)


def _with(record: R, **changes: Any) -> R:
    """A copy of a record with some fields changed, validated again (a model_copy would keep a
    period's cached span and skip the timeline's checks)."""
    values = {name: getattr(record, name) for name in type(record).model_fields}
    return type(record).model_validate({**values, **changes})


def apply(change: CitizenChange, state: State, context: Context) -> Applied:
    """Apply one operation to the members it picks; raises Problems (places inside the change)."""
    if isinstance(change, Exit) and (refused := context.terms.no_exit(change.reason, context.params)):
        raise Problems([Problem(("reason",), refused)])
    eligible = [
        cid
        for cid, member in context.members.items()
        if applies_to(change, member, state.timelines[cid], context)
    ]
    picked, warnings = _picked(change, eligible, context)
    timelines = dict(state.timelines)
    for cid in picked:
        timelines[cid] = changed(change, timelines[cid], context)
    return Applied(replace(state, timelines=timelines), tuple(sorted(picked)), tuple(warnings))


def _picked(change: CitizenChange, eligible: list[str], context: Context) -> tuple[list[str], list[Problem]]:
    who = eligibility(change, context.terms)
    if change.citizens is not None:
        allowed = set(eligible)
        refused = [
            Problem(
                ("citizens", index),
                f"{cpr.mask(cid)} is not a member of {context.municipality}'s target group"
                if cid not in context.members
                else f"{cpr.mask(cid)} is not among the {who}",
            )
            for index, cid in enumerate(change.citizens)
            if cid not in allowed
        ]
        if refused:
            raise Problems(refused)
        return list(change.citizens), []
    assert change.count is not None
    wanted = change.count.of(len(eligible))
    if wanted > len(eligible) or not eligible:
        return eligible, [
            Problem(
                ("count",), f"asked for {change.count}, but there are {len(eligible)} {who}: applied to those"
            )
        ]
    return eligible[:wanted], []
