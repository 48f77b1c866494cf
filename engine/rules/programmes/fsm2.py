"""FSM2 (SPEC section 6): one municipality's project on an as-of date — a continuous target group,
sticky participation, the effort group without the exempted, the monthly counted share, rate 1 on
approval and rate 2 as a ladder on the best month. Facts are in engine/rules/facts/fsm2.py.

A citizen's decisions: eligibility on the as-of date (everyone who ever lived in the municipality);
for a participant also eligibility on the first day of the eligibility that made them participate,
and their status (participating or not) on the as-of date.
"""

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from engine.rules import phrases
from engine.rules.decide import Evaluation, compiled, evaluate_all, evaluate_facts, outcome, trace
from engine.rules.facts.fsm2 import (
    changes,
    counted_months,
    effort_days,
    eligibility_facts,
    first_leaving,
    group_on,
    leaving_days,
    participation,
    segments,
    visits,
)
from engine.rules.pack import Pack, Parameters, Rule
from engine.rules.payout import approval_rate, blocking_months, by_fact, money, needed, pending_rate, priced
from engine.rules.programmes import (
    CitizenOutcome,
    Concluded,
    Municipality,
    check_decidable,
    first_rule_day,
    rates_pending,
    stable_around,
    status_of,
)
from engine.rules.runner import Runner
from models.codes import GROUPS_BY_PROGRAMME, GrantProgramme
from models.domain import CitizenTimeline, Grant, GrantYear
from models.periods import Span, merged, month_counts
from models.status import MonthResult, RateResult
from models.today import today
from models.trace import Decision

FSM2 = GrantProgramme.fsm2
VISITATION_KEYS = (*sorted(g.value for g in GROUPS_BY_PROGRAMME[FSM2]), "fritaget", "mangler")
"""Active participants by their group on the as-of date; `fritaget`: in the effort group but exempted."""


@dataclass(frozen=True)
class Fsm2Municipality(Municipality):
    regimes: tuple[tuple[date, Parameters], ...] = ()
    """From which day which parameter values are in force, over the project up to the as-of date."""

    def regime_on(self, day: date) -> tuple[date, Parameters]:
        return self.regimes[bisect_right([first for first, _ in self.regimes], day) - 1]


def prepare(
    pack: Pack,
    grant: Grant,
    as_of: date,
    *,
    grant_years: Sequence[GrantYear] = (),
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
) -> Fsm2Municipality:
    """Parameters as in force on each day of the project from the pack's first rule date (the law
    changed on 2020-01-01), and on the as-of date."""
    check_decidable(pack, as_of)
    k = grant.municipality
    params = pack.parameters_at(as_of, k, overrides)
    first = max(grant.project_start, first_rule_day(pack))
    starts = [first, *pack.change_days(first, as_of, k)]
    regimes = tuple((day, pack.parameters_at(day, k, overrides)) for day in starts)
    pending = rates_pending(pack, params, as_of)
    return Fsm2Municipality(
        pack, grant, as_of, tuple(grant_years), params, params, engine, pending, regimes=regimes
    )


class Contribution(NamedTuple):
    """What the municipality's status and rates need of one citizen (a tuple: it travels cheaply)."""

    member: bool
    """Took part on some day from the project's start to the as-of date."""
    exit_status: str | None = None
    group: str | None = None
    """An active participant's group on the as-of date (VISITATION_KEYS)."""
    effort_months: int = 0
    """Bit i: in the effort group on some day of the i-th month of `Municipality.months`."""
    counted_months: int = 0
    """Bit i: and touched by a counted activity in it."""
    outside_with_effort: bool = False


def _eligibility(
    place: Fsm2Municipality, timeline: CitizenTimeline, day: date, params: Parameters, regime_start: date
) -> Evaluation:
    facts = eligibility_facts(timeline, place.code, day, params)
    rules = compiled(place.pack, "fsm2.eligibility", params, regime_start)
    verdicts = place.runner().decide_each(rules, facts)
    return Evaluation("fsm2.eligibility", timeline.citizen_id, place.code, day, facts, verdicts)


@dataclass(frozen=True)
class Participation:
    """A citizen's days in the project from its start to the as-of date."""

    window: Span
    eligible: list[Span]
    """The days the rules found the citizen in the target group (merged)."""
    reasons: list[tuple[Span, str]]
    """The days that end a participation, and why (facts.fsm2.leaving_days)."""

    @property
    def days(self) -> list[Span]:
        return participation(self.eligible, self.reasons, self.window)


def participation_of(place: Municipality, timeline: CitizenTimeline) -> Participation:
    """Eligibility decided by the rules on every segment of the project so far (with the law in force
    on each), and what ends a participation. Nobody takes part before the pack's first rule date."""
    assert isinstance(place, Fsm2Municipality)
    window = Span(place.regimes[0][0], place.as_of)
    eligible = []
    if window.first <= window.last:
        for segment in segments(timeline, window, [start for start, _ in place.regimes]):
            regime_start, regime = place.regime_on(segment.first)
            if _eligibility(place, timeline, segment.first, regime, regime_start).passed:
                eligible.append(segment)
    reasons = leaving_days(timeline, place.code, window, place.membership_params["leaving_support"])
    return Participation(window, merged(eligible), reasons)


def evaluate_citizen(place: Municipality, timeline: CitizenTimeline) -> CitizenOutcome:
    """Eligibility on the as-of date and on every segment of the project so far, participation, the
    status on the as-of date, and the months in the effort group and counted."""
    assert isinstance(place, Fsm2Municipality)
    as_of, params = place.as_of, place.membership_params
    today = _eligibility(place, timeline, as_of, params, as_of)
    taking_part = participation_of(place, timeline)
    if not taking_part.eligible:
        outside = bool(timeline.activities) or any(v.programme is FSM2 for v in timeline.visitations)
        stable = stable_around(as_of, _eligibility_changes(place, timeline))
        return CitizenOutcome([today], Contribution(False, outside_with_effort=outside), stable)
    window, reasons = taking_part.window, taking_part.reasons
    joined = taking_part.eligible[-1]
    last_eligible = joined.last
    left = first_leaving(reasons, last_eligible, as_of)
    facts: dict[str, Any] = {
        "day": as_of,
        "project_start": window.first,
        "last_eligible_day": last_eligible,
        "joined_on": joined.first,
        "left_on": None if left is None else left[0],
        "left_because": None if left is None else left[1],
    }
    verdicts = place.runner().decide_each(compiled(place.pack, "fsm2.status", params, as_of), facts)
    visited = visits(timeline)
    group = group_on(visited, as_of) or "mangler"
    if group == params["effort_group"] and any(e.covers(as_of) for e in timeline.exemptions):
        group = "fritaget"
    gone = None if all(verdicts.values()) else facts["left_because"]
    status = Evaluation(
        "fsm2.status",
        timeline.citizen_id,
        place.code,
        as_of,
        facts,
        verdicts,
        {"exit_status": gone, "group": group},
    )
    decisions = [today]
    if joined.first != as_of:
        regime_start, regime = place.regime_on(joined.first)
        decisions.append(_eligibility(place, timeline, joined.first, regime, regime_start))
    decisions.append(status)
    effort = effort_days(timeline, visited, taking_part.days, params["effort_group"])
    in_effort, counted = counted_months(timeline, effort, place.months, place.rate_params)
    return CitizenOutcome(decisions, Contribution(True, gone, group, in_effort, counted), Span(as_of, as_of))


def _eligibility_changes(place: Fsm2Municipality, timeline: CitizenTimeline) -> Iterator[date]:
    """The days on which someone never eligible in the project so far may become so: the project
    starts, the pack reads otherwise, a segment of their eligibility starts (facts.fsm2.segments:
    the birthdays of the years around the as-of date are the only ones that can bound the run of
    days around it). A participant's outcome changes every day (their last eligible day, the
    months they take part in): it holds on its own as-of date alone."""
    yield place.grant.project_start
    yield from place.pack.change_days(date.min, date.max, place.code)
    yield from changes(timeline, range(place.as_of.year - 1, place.as_of.year + 2))


def conclude(place: Municipality, contributions: Sequence[Sequence[Any]]) -> Concluded:
    """Members, exits, groups, the months, rates 1 and 2 and the grant-years schedule (the
    contributions as `Contribution`s or as their plain values)."""
    pack, grant, as_of, params = place.pack, place.grant, place.as_of, place.rate_params
    everyone = [Contribution._make(c) for c in contributions]
    members = [c for c in everyone if c.member]
    exits = Counter(c.exit_status for c in members if c.exit_status is not None)
    visitation = Counter(dict.fromkeys(VISITATION_KEYS, 0))
    visitation.update(c.group or "mangler" for c in members if c.exit_status is None)
    if place.rates_pending:
        (result1, decision1), (result2, decision2) = (
            pending_rate(pack, f"fsm2.rate{n}", n, grant, as_of, place.rates_pending) for n in (1, 2)
        )
        months: list[MonthResult] = []
    else:
        first = money(grant.amount * params["rate1_share"])
        result1, decision1 = approval_rate(pack, "fsm2.rate1", grant, as_of, params, first, place.engine)
        result2, months, decision2 = rate2(place, members, grant.amount - first)
    schedule = sorted(place.grant_years, key=lambda y: y.year)
    warnings = []
    if schedule and (budgeted := sum(y.amount for y in schedule)) != grant.amount:
        warnings.append(
            phrases.GRANT_YEARS_DIFFER(
                budgeted=f"{budgeted:,.2f}",
                grant=f"{grant.amount:,.2f}",
                difference=f"{grant.amount - budgeted:,.2f}",
            )
        )
    status = status_of(
        place,
        members=len(members),
        exits=exits,
        visitation=visitation,
        rates=[result1, result2],
        months=months,
        outside=sum(c.outside_with_effort for c in everyone),
        warnings=warnings,
        grant_years=schedule,
    )
    return Concluded(status, [decision1, decision2])


class Step(NamedTuple):
    """A step of rate 2's ladder: the rule a month must pass, what it pays, the share it asks."""

    rule: Rule
    pays: Decimal
    share: str
    """The parameter with the share."""


def rate2(
    place: Municipality, members: Sequence[Contribution], rest: Decimal
) -> tuple[RateResult, list[MonthResult], Decision]:
    """The ladder: the first month reaching each step decides what rate 2 pays, and from when."""
    pack, grant, as_of, params = place.pack, place.grant, place.as_of, place.rate_params
    spec = pack.decision("fsm2.rate2")
    first_rule, full_rule = spec.rules
    effort = month_counts((c.effort_months for c in members), len(place.months))
    counted = month_counts((c.counted_months for c in members), len(place.months))
    facts: list[dict[str, Any]] = [
        {
            "idx": month.first.year * 12 + month.first.month,
            "month": month.first.strftime("%Y-%m"),
            "last_day": month.last,
            "effort_group": effort[i],
            "counted": counted[i],
        }
        for i, month in enumerate(place.months)
    ]
    verdicts = by_fact(evaluate_all(pack, spec.id, facts, params, as_of, place.engine))
    reached = {
        rule.id: next((k for k in sorted(verdicts) if verdicts[k][rule.id]), None) for rule in spec.rules
    }
    steps = (
        Step(full_rule, rest, "rate2_full_step_share"),
        Step(first_rule, money(grant.amount * params["rate2_first_step_payout"]), "rate2_first_step_share"),
    )
    paid_by = next((step for step in steps if reached[step.rule.id] is not None), None)
    months = [
        MonthResult(
            month=fact["month"],
            effort_group=fact["effort_group"],
            in_activity=fact["counted"],
            qualifies=verdicts[key][first_rule.id],
            needed=_needed(fact, verdicts[key], params, first_rule.id, full_rule.id),
        )
        for key, fact in enumerate(facts)
    ]
    shown = sorted({key for key in reached.values() if key is not None} or set(range(len(facts))[-1:]))
    entries = [
        outcome(pack, rule, verdicts[key][rule.id], facts[key], params, subject=facts[key]["month"])
        for key in shown
        for rule in spec.rules
    ]
    triggered_on: date | None = None
    if paid_by is None:
        amount = money(grant.amount * params["rate2_below_first_step_payout"])
    else:
        amount, triggered_on = paid_by.pays, facts[reached[paid_by.rule.id] or 0]["last_day"]
    blocked: dict[str, Any] | None = None
    if reached[full_rule.id] is None:
        blocked = {
            "steps": [
                {
                    "step": step.rule.id,
                    "share": str(params[step.share]),
                    "reached_in": None if (key := reached[step.rule.id]) is None else facts[key]["month"],
                    "pays": f"{step.pays:.2f}",
                }
                for step in steps
            ],
            "months": blocking_months(months),
        }
        if paid_by is None:
            blocked["assumption"] = phrases.BELOW_THE_FIRST_STEP(
                share=params["rate2_below_first_step_payout"]
            )
    result, decision = priced(pack, spec.id, 2, grant, triggered_on, as_of, amount, entries, blocked)
    return result, months, decision


def _needed(
    fact: Mapping[str, Any], verdicts: Mapping[str, bool], params: Mapping[str, Any], first: str, full: str
) -> int | None:
    """How many more counted members the month lacked for the next step it did not reach (0: it
    reached both; None: its effort group is empty)."""
    if verdicts[full]:
        return 0
    share = params["rate2_full_step_share"] if verdicts[first] else params["rate2_first_step_share"]
    return needed(fact["effort_group"], fact["counted"], share)


def decide_citizen(
    timeline: CitizenTimeline,
    municipality: str,
    pack: Pack,
    *,
    as_of: date | None = None,
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
) -> Decision:
    """Is the citizen in the municipality's FSM2 target group on `as_of` (default: today), and why."""
    day = as_of or today()
    check_decidable(pack, day)
    params = pack.parameters_at(day, municipality, overrides)
    facts = eligibility_facts(timeline, municipality, day, params)
    found = evaluate_facts(
        pack,
        "fsm2.eligibility",
        facts,
        params,
        subject=timeline.citizen_id,
        municipality=municipality,
        day=day,
        engine=engine,
    )
    return trace(pack, found, params)


def trace_parameters(
    pack: Pack, decision: str, day: date, municipality: str, stored: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any]:
    """Eligibility is decided with the parameters in force on its own day; the rest as of the run."""
    if decision == "fsm2.eligibility":
        return pack.parameters_at(day, municipality)
    return stored["rates" if decision.startswith("fsm2.rate") else "membership"]


def share_thresholds(params: Mapping[str, Any]) -> dict[str, Decimal]:
    return {
        f"rate 2, first step ({params['rate2_first_step_payout'] * 100:.0f} % of the grant)": params[
            "rate2_first_step_share"
        ],
        "rate 2, the whole rest": params["rate2_full_step_share"],
    }
