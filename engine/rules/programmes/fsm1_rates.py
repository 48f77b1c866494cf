"""FSM1 rates 2 and 3 (SPEC section 5; rate 1 is engine/rules/payout.py `approval_rate`). The engine decides on facts from engine/rules/facts/fsm1_rates.py; this
module picks the trigger out of the engine's conclusions, prices the rates and says what blocks them."""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from engine.rules import phrases
from engine.rules.decide import evaluate_all, outcome
from engine.rules.facts.fsm1_rates import MemberDays, blocking_on, rate2_days, rate3_months
from engine.rules.pack import Pack, Parameters
from engine.rules.payout import blocking_months, by_fact, money, needed, priced
from engine.rules.runner import Runner
from models.domain import Grant
from models.periods import Span
from models.status import MonthResult, RateResult
from models.trace import Decision, RuleOutcome


def split_grant(grant: Decimal, params: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """Rates 1 and 2 are shares of the grant; rate 3 takes the rest, so the three add up to the grant exactly."""
    first, second = money(grant * params["rate1_share"]), money(grant * params["rate2_share"])
    return first, second, grant - first - second


def rate2(
    pack: Pack,
    members: Sequence[MemberDays],
    grant: Grant,
    as_of: date,
    params: Parameters,
    amount: Decimal,
    engine: Runner | None,
) -> tuple[RateResult, Decision]:
    """The first day in the project (up to the as-of date) on which nobody who must be visitated is not."""
    spec = pack.decision("fsm1.rate2")
    period_end = min(as_of, grant.project_end)
    facts = rate2_days(members, grant.project, period_end) if period_end >= grant.project_start else []
    verdicts = by_fact(evaluate_all(pack, spec.id, facts, params, as_of, engine))
    passing = [key for key in sorted(verdicts) if all(verdicts[key].values())]
    first = passing[0] if passing else None
    shown = (
        [key for key in (first - 1, first) if key >= 0]
        if first is not None
        else ([len(facts) - 1] if facts else [])
    )
    entries = [
        outcome(pack, rule, verdicts[key][rule.id], facts[key], params, subject=facts[key]["day"].isoformat())
        for key in shown
        for rule in spec.rules
    ]
    triggered_on = facts[first]["day"] if first is not None else None
    blocked = None
    if triggered_on is None:
        waiting = blocking_on(members, period_end) if facts else []
        blocked = {"day": period_end.isoformat(), "not_visitated": len(waiting), "citizens": waiting}
        if not facts:
            blocked["reason"] = phrases.PROJECT_NOT_STARTED(day=grant.project_start)
    return priced(pack, spec.id, 2, grant, triggered_on, as_of, amount, entries, blocked)


def rate3(
    pack: Pack,
    members: Sequence[MemberDays],
    months_looked_at: Sequence[Span],
    grant: Grant,
    as_of: date,
    params: Parameters,
    amount: Decimal,
    engine: Runner | None,
) -> tuple[RateResult, list[MonthResult], Decision]:
    """The last day of the third month of the first run of qualifying months."""
    spec = pack.decision("fsm1.rate3")
    month_rule, sequence_rule = spec.rules
    facts = rate3_months(members, months_looked_at)
    firings = evaluate_all(pack, spec.id, facts, params, as_of, engine)
    qualifies = {f.keys[0]: f.passed for f in firings if f.rule == month_rule.id}
    runs = sorted((f.keys for f in firings if f.rule == sequence_rule.id), key=lambda keys: keys[-1])
    months = [
        MonthResult(
            month=fact["month"],
            effort_group=fact["effort_group"],
            in_activity=fact["in_activity"],
            qualifies=qualifies[key],
            needed=needed(fact["effort_group"], fact["in_activity"], params["rate3_share"]),
        )
        for key, fact in enumerate(facts)
    ]
    entries: list[RuleOutcome] = [
        outcome(pack, month_rule, qualifies[key], fact, params, subject=fact["month"])
        for key, fact in enumerate(facts)
    ]
    triggered_on: date | None = None
    if runs:
        run = [facts[key]["month"] for key in runs[0]]
        triggered_on = facts[runs[0][-1]]["last_day"]
        entries.append(outcome(pack, sequence_rule, True, {"month": " → ".join(run)}, params))
    else:
        entries.append(outcome(pack, sequence_rule, False, {"month": "no run of qualifying months"}, params))
    blocked = None
    if triggered_on is None:
        blocked = {"months": blocking_months(months)}
    result, decision = priced(pack, spec.id, 3, grant, triggered_on, as_of, amount, entries, blocked)
    return result, months, decision
