"""Money and rate results shared by every programme: exact kroner, and a rate's decision with its trace."""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.decide import to_decision
from engine.pack import Pack
from models.domain import Grant
from models.status import RateResult
from models.trace import Decision, RuleOutcome

CENT = Decimal("0.01")


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
