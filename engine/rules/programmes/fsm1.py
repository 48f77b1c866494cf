"""FSM1 (SPEC sections 4 and 5): one municipality's project on an as-of date — the target group fixed
at the cut-off date, each member's status, the visitation distribution, rates 1–3 and the monthly
effort-group shares. Rates are in engine/rules/programmes/fsm1_rates.py; facts in engine/rules/facts/fsm1*.py."""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from engine.rules.decide import Evaluation, compiled, evaluate_facts, trace
from engine.rules.facts.fsm1 import first_day_away, membership_facts, status_facts
from engine.rules.facts.fsm1_rates import MemberDays, member_days, progress
from engine.rules.pack import Pack, PackError, Parameters
from engine.rules.payout import approval_rate, pending_rate
from engine.rules.programmes import (
    CitizenOutcome,
    Concluded,
    Municipality,
    check_decidable,
    rates_pending,
    stable_around,
    status_of,
)
from engine.rules.programmes.fsm1_rates import rate2, rate3, split_grant
from engine.rules.runner import Runner
from models.codes import GrantProgramme
from models.domain import CitizenTimeline, Grant, GrantYear
from models.periods import ONE_DAY, Span, months_inside
from models.status import MonthResult
from models.trace import Decision

VISITATION_KEYS = ("1", "2", "3", "udskudt", "mangler")
FSM1 = GrantProgramme.fsm1


def cutoff_date(
    pack: Pack, municipality: str, as_of: date | None, overrides: Mapping[str, Any] | None
) -> date:
    """D: the cut-off date in force on `as_of` (default: the pack's latest cut-off date)."""
    if overrides and "cutoff_date" in overrides:
        return overrides["cutoff_date"]
    return pack.parameters["cutoff_date"].at(as_of or date.max, municipality)


def membership_parameters(
    pack: Pack, municipality: str, as_of: date | None = None, overrides: Mapping[str, Any] | None = None
) -> Parameters:
    """The parameters in force at the cut-off date D (with D itself)."""
    cutoff = cutoff_date(pack, municipality, as_of, overrides)
    params = pack.parameters_at(cutoff, municipality, {**(overrides or {}), "cutoff_date": cutoff})
    needed = {name for rule in pack.decision("fsm1.membership").rules for name in rule.parameters}
    if missing := sorted(needed - set(params)):
        raise PackError(
            f"no rule is in force on {cutoff}: parameters {', '.join(missing)} have no value then"
        )
    return params


def evaluate_membership(
    timeline: CitizenTimeline,
    municipality: str,
    pack: Pack,
    params: Parameters,
    engine: Runner | None = None,
) -> Evaluation:
    cutoff = params["cutoff_date"]
    facts = membership_facts(timeline, municipality, params)
    return evaluate_facts(
        pack,
        "fsm1.membership",
        facts,
        params,
        subject=timeline.citizen_id,
        municipality=municipality,
        day=cutoff,
        engine=engine,
    )


def decide_citizen(
    timeline: CitizenTimeline,
    municipality: str,
    pack: Pack,
    *,
    as_of: date | None = None,
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
) -> Decision:
    """Is the citizen in the municipality's FSM1 target group (fixed at the cut-off date D), and why."""
    if as_of is not None:
        check_decidable(pack, as_of)
    params = membership_parameters(pack, municipality, as_of, overrides)
    return trace(pack, evaluate_membership(timeline, municipality, pack, params, engine), params)


EXIT_BY_FAILED_RULE = {"fsm1.status.alive": "doed", "fsm1.status.stayed_in_municipality": "fraflyttet"}


def exit_status(verdicts: Mapping[str, bool], support: str | None, params: Mapping[str, Any]) -> str | None:
    """The exit status (SPEC section 4) named by the first failing status rule; None when active.
    `support` is the support code on the day."""
    for rule, passed in verdicts.items():
        if passed:
            continue
        if rule in EXIT_BY_FAILED_RULE:
            return EXIT_BY_FAILED_RULE[rule]
        return "ingen_registrering" if support is None else params["exit_status_names"].get(support, support)
    return None


def trace_parameters(
    pack: Pack, decision: str, day: date, municipality: str, stored: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any]:
    """Membership and status were decided with the parameters of the cut-off date, rates with those of the as-of date."""
    return stored["membership" if decision in ("fsm1.membership", "fsm1.status") else "rates"]


def share_thresholds(params: Mapping[str, Any]) -> dict[str, Decimal]:
    return {f"rate 3: {params['rate3_share'] * 100:.0f} %": params["rate3_share"]}


def prepare(
    pack: Pack,
    grant: Grant,
    as_of: date,
    *,
    grant_years: Sequence[GrantYear] = (),
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
) -> Municipality:
    """Membership parameters are read at the cut-off date D, rate parameters at the as-of date.
    FSM1 pays its grant in rates, not by year: `grant_years` are kept but not used."""
    check_decidable(pack, as_of)
    params = membership_parameters(pack, grant.municipality, None, overrides)
    rate_params = pack.parameters_at(
        as_of, grant.municipality, {**(overrides or {}), "cutoff_date": params["cutoff_date"]}
    )
    pending = rates_pending(pack, rate_params, as_of)
    return Municipality(pack, grant, as_of, tuple(grant_years), params, rate_params, engine, pending)


Contribution = tuple[tuple[Any, ...] | None, str | None, str | None, bool]
"""What the municipality's status and rates need of one citizen: a member's `MemberDays` (None for
a non-member; empty while the rates are pending), their exit status, their visitation group on the as-of date (`mangler`: none yet),
and whether a non-member has FSM1 visitations or activities (counted in a warning).

Plain tuples, for a national run sends one per citizen between processes, and pickle rebuilds a
NamedTuple by calling Python code: ten times slower. `conclude` makes the `MemberDays` again."""


def evaluate_citizen(place: Municipality, timeline: CitizenTimeline) -> CitizenOutcome:
    """Membership at the cut-off date; for a member, the status on the as-of date and their progress.
    A non-member's outcome does not depend on the as-of date (but for a run as of the cut-off date
    itself, whose membership decision is made on the as-of date)."""
    k, pack, params, as_of = place.code, place.pack, place.membership_params, place.as_of
    engine = place.runner()
    cutoff = params["cutoff_date"]
    citizen = timeline.citizen_id
    facts = membership_facts(timeline, k, params)
    verdicts = engine.decide_each(compiled(pack, "fsm1.membership", params, cutoff), facts)
    membership = Evaluation("fsm1.membership", citizen, k, cutoff, facts, verdicts)
    if not all(verdicts.values()):
        outside = bool(timeline.activities) or any(v.programme is FSM1 for v in timeline.visitations)
        return CitizenOutcome([membership], (None, None, None, outside), _cutoff(cutoff, as_of))
    away = first_day_away(timeline, k, cutoff)
    facts = status_facts(timeline, away, as_of)
    verdicts = engine.decide_each(compiled(pack, "fsm1.status", params, as_of), facts)
    rates = place.rate_params
    if place.rates_pending:  # no activity counts before the rates can be decided
        rates = {**rates, "company_directed_activities": ()}
    member = progress(timeline, away, cutoff, rates)
    group = member.group_on(as_of) or "mangler"
    gone = exit_status(verdicts, facts["support_on_day"], params)
    detail = {"exit_status": gone, "group": group}
    status = Evaluation("fsm1.status", citizen, k, as_of, facts, verdicts, detail)
    days: tuple[Any, ...] = ()
    if not place.rates_pending:
        days = tuple(
            member_days(member, rates["rate2_population"], cutoff, place.months, rates["min_activity_days"])
        )
    return CitizenOutcome(
        [membership, status], (days, gone, group, False), _member_stable(place, timeline, away)
    )


@cache
def _cutoff(cutoff: date, as_of: date) -> Span:
    """The as-of dates around `as_of` on which a non-member's outcome stays: all but the cut-off
    date D itself, on which a run makes its membership decisions on its as-of date."""
    return stable_around(as_of, (cutoff, cutoff + ONE_DAY))


@cache
def _months(cutoff: date, project: Span, as_of: date) -> Span:
    """Within `_cutoff`, the as-of dates around `as_of` on which the months the rates look at stay
    the same: no month of the project ends between them."""
    return stable_around(as_of, (month.last for month in months_inside(project)), _cutoff(cutoff, as_of))


def _member_stable(place: Municipality, timeline: CitizenTimeline, away: date | None) -> Span:
    """The as-of dates on which a member's status and contribution stay: within `_months`, no
    support period starts or ends (support on the day), no FSM1 visitation (the group on the day),
    no death (alive) and no moving away falls between them."""
    changes = [period.start for period in timeline.support]
    changes += [period.end + ONE_DAY for period in timeline.support if period.end is not None]
    changes += [v.day for v in timeline.visitations if v.programme is FSM1]
    changes += [day for day in (timeline.death_date, away) if day is not None]
    shared = _months(place.membership_params["cutoff_date"], place.grant.project, place.as_of)
    return stable_around(place.as_of, changes, shared)


def conclude(place: Municipality, contributions: Sequence[Contribution]) -> Concluded:
    """The status (members, exits, visitation), rates 1–3 and the months, from every citizen's contribution."""
    pack, grant, as_of, rate_params = place.pack, place.grant, place.as_of, place.rate_params
    engine = place.runner()
    members = [MemberDays._make(days) for days, _, _, _ in contributions if days]
    count = sum(days is not None for days, _, _, _ in contributions)
    exits = Counter(gone for _, gone, _, _ in contributions if gone is not None)
    visitation = Counter(dict.fromkeys(VISITATION_KEYS, 0))
    visitation.update(
        group or "mangler" for days, gone, group, _ in contributions if days is not None and gone is None
    )
    outside = sum(outside for _, _, _, outside in contributions)
    if place.rates_pending:
        pending = [
            pending_rate(pack, f"fsm1.rate{n}", n, grant, as_of, place.rates_pending) for n in (1, 2, 3)
        ]
        (result1, decision1), (result2, decision2), (result3, decision3) = pending
        months: list[MonthResult] = []
    else:
        amounts = split_grant(grant.amount, rate_params)
        result1, decision1 = approval_rate(pack, "fsm1.rate1", grant, as_of, rate_params, amounts[0], engine)
        result2, decision2 = rate2(pack, members, grant, as_of, rate_params, amounts[1], engine)
        result3, months, decision3 = rate3(
            pack, members, place.months, grant, as_of, rate_params, amounts[2], engine
        )
    status = status_of(
        place,
        members=count,
        exits=exits,
        visitation=visitation,
        rates=[result1, result2, result3],
        months=months,
        outside=outside,
    )
    return Concluded(status, [decision1, decision2, decision3])
