"""Payouts shared by every programme: exact kroner, the rate paid on approval, how many more a
month needed, and a rate's result with its decision and trace."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil
from typing import Any

from engine.rules import phrases
from engine.rules.decide import evaluate_facts, to_decision, trace
from engine.rules.pack import Pack, Parameters
from engine.rules.runner import Firing, Runner
from models.domain import Grant
from models.status import MonthResult, RateResult
from models.trace import Decision, RuleOutcome

CENT = Decimal("0.01")
NOT_YET_DECIDABLE = "NOT YET DECIDABLE"


def money(amount: Decimal) -> Decimal:
    """Exact kroner, rounded half-up to øre."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def priced(
    pack: Pack,
    decision_id: str,
    rate: int,
    grant: Grant,
    triggered_on: date | None,
    as_of: date,
    amount: Decimal,
    entries: Sequence[RuleOutcome],
    blocked: dict[str, Any] | None,
) -> tuple[RateResult, Decision]:
    """A rate's result for the status, and its decision with the trace."""
    result = RateResult(
        rate=rate, triggered=triggered_on is not None, date=triggered_on, amount=amount, blocked_by=blocked
    )
    decision = to_decision(
        pack,
        decision_id,
        subject=grant.municipality,
        municipality=grant.municipality,
        passed=result.triggered,
        day=triggered_on or as_of,
        trace=entries,
        detail={"blocked_by": blocked} if blocked else {},
    )
    return result, decision


def pending_rate(
    pack: Pack, decision_id: str, rate: int, grant: Grant, as_of: date, reason: str
) -> tuple[RateResult, Decision]:
    """A rate that cannot be decided on the as-of date (its rules or parameters are not yet in
    force): not triggered, nothing paid, and the reason in what blocks it and in its decision."""
    result, decision = priced(
        pack, decision_id, rate, grant, None, as_of, Decimal("0.00"), (), {"not_yet_decidable": reason}
    )
    return result, decision.model_copy(update={"verdict": NOT_YET_DECIDABLE})


def approval_rate(
    pack: Pack,
    decision_id: str,
    grant: Grant,
    as_of: date,
    params: Parameters,
    amount: Decimal,
    engine: Runner | None,
) -> tuple[RateResult, Decision]:
    """Rate 1: triggered when the application was approved (on or before the as-of date)."""
    facts = {"approved_on": grant.approved_on, "as_of": as_of}
    found = evaluate_facts(
        pack,
        decision_id,
        facts,
        params,
        subject=grant.municipality,
        municipality=grant.municipality,
        day=as_of,
        engine=engine,
    )
    result = RateResult(
        rate=1,
        triggered=found.passed,
        date=grant.approved_on if found.passed else None,
        amount=amount,
        blocked_by=None if found.passed else {"approved_on": grant.approved_on.isoformat()},
    )
    return result, trace(pack, found, params)


def by_fact(firings: Sequence[Firing]) -> dict[int, dict[str, bool]]:
    """The engine's verdicts per posted fact (by its key), per rule."""
    verdicts: dict[int, dict[str, bool]] = defaultdict(dict)
    for firing in firings:
        verdicts[firing.keys[0]][firing.rule] = firing.passed
    return verdicts


def needed(effort_group: int, counted: int, share: Decimal) -> int | None:
    """How many more of a month's effort group would have made it reach `share`: ceil(E·share) − C, at
    least 0; None when the effort group is empty (no share: the month cannot qualify)."""
    if effort_group == 0:
        return None
    return max(0, ceil(Fraction(share) * effort_group) - counted)


def blocking_months(months: Sequence[MonthResult]) -> list[dict[str, Any]]:
    """The months a rate waits for, as its `blocked_by` lists them: how many more each needed, or
    that it cannot qualify (an empty effort group: no number of members in activity would do)."""
    return [
        {"month": m.month, "needed": m.needed, "effort_group": m.effort_group}
        if m.needed is not None
        else {"month": m.month, "effort_group": 0, "cannot_qualify": phrases.NOBODY_IN_THE_EFFORT_GROUP()}
        for m in months
        if m.needed != 0
    ]
