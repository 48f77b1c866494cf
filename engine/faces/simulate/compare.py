"""Baseline against scenario: which decisions differ, which change made each differ, and the money.

The changes are applied one after another and the municipality evaluated after each. A decision —
a rate's trigger date and amount, a month's qualification (with its effort group and activity), a
citizen's membership or status and group — is attributed to the change from which on it differs
from the baseline to the end; later changes that moved it again are named too (`then_changed_by`).
"""

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic_core import to_jsonable_python

from engine.rules.decide import Evaluation
from engine.rules.programmes import MunicipalityResult
from models.status import MonthResult, MunicipalityStatus, RateResult
from models.trace import Decision

Key = tuple[str, str]
"""(decision, subject): `("fsm1.rate3", "851")`, `("fsm1.rate3.month_qualifies", "2018-04")`, `("fsm1.status", "<citizen>")`."""


@dataclass(frozen=True)
class ChangeRef:
    index: int
    op: str
    line: int | None

    def json(self) -> dict[str, Any]:
        return {"index": self.index, "op": self.op, "line": self.line}


@dataclass(frozen=True)
class Difference:
    decision: str
    subject: str
    citizen: bool
    """The subject is a citizen (shown masked)."""
    baseline: Any
    scenario: Any
    change: ChangeRef
    then_changed_by: tuple[ChangeRef, ...] = ()
    rules: tuple[dict[str, Any], ...] = ()
    """For a rate: the rule outcomes of its trace that differ (by rule and subject)."""


@dataclass(frozen=True)
class Payout:
    """What a rate (None: all rates) pays by the as-of date, in the baseline and the scenario."""

    rate: int | None
    baseline: Decimal
    scenario: Decimal

    @property
    def difference(self) -> Decimal:
        return self.scenario - self.baseline


def rate_value(rate: RateResult) -> dict[str, Any]:
    return {
        "triggered": rate.triggered,
        "date": to_jsonable_python(rate.date),
        "amount": f"{rate.amount:.2f}",
    }


Source = RateResult | MonthResult | Evaluation
"""What a decision's value is read from: a rate, a month, or a citizen's evaluation."""


def decisions(
    result: MunicipalityResult, month_rule: str, subjects: Container[str] | None = None
) -> dict[Key, Source]:
    """The decisions of an evaluation — rates, months, then citizens' decisions by decision and
    subject — each with what its value is read from; with `subjects`, only the citizens' decisions
    about those."""
    found: dict[Key, Source] = {}
    for rate, decision in zip(result.status.rates, result.rates, strict=True):
        found[decision.decision, decision.subject] = rate
    for month in result.status.months:
        found[month_rule, month.month] = month
    chosen = [e for e in result.evaluations if subjects is None or e.subject in subjects]
    for e in sorted(chosen, key=lambda e: (e.decision, e.subject)):
        found[e.decision, e.subject] = e
    return found


class Values:
    """Decisions' JSON-ready values, each made once: the evaluations of a simulation's steps share
    the outcome of every citizen a change did not touch."""

    def __init__(self) -> None:
        self._made: dict[int, tuple[Source, Any]] = {}

    def __call__(self, source: Source | None) -> Any:
        if source is None:
            return None
        known = self._made.get(id(source))
        if known is None:
            known = self._made[id(source)] = (source, _value(source))  # (kept: its id stays its own)
        return known[1]


def _value(source: Source) -> Any:
    if isinstance(source, RateResult):
        return rate_value(source)
    if isinstance(source, MonthResult):
        return {
            "effort_group": source.effort_group,
            "in_activity": source.in_activity,
            "qualifies": source.qualifies,
        }
    return to_jsonable_python({"outcome": source.passed, **source.detail})


def differences(
    results: Sequence[MunicipalityResult], changes: Sequence[ChangeRef], month_rule: str
) -> list[Difference]:
    """What differs between the first result (the baseline) and the last, attributed to changes:
    results[i + 1] is the evaluation after changes[i]. A month is attributed by its qualification
    when that differs (its counts are the facts it was decided on), else by its counts. Only the
    decisions that differ are looked up in the evaluations between."""
    value = Values()
    first, last = decisions(results[0], month_rule), decisions(results[-1], month_rule)
    differing = [
        key for key in dict.fromkeys([*first, *last]) if value(first.get(key)) != value(last.get(key))
    ]
    subjects = {subject for _, subject in differing}
    between = [decisions(result, month_rule, subjects) for result in results[1:-1]]
    steps = [first, *between, last] if len(results) > 1 else [first]
    rates = {
        (after.decision, after.subject): (before, after)
        for before, after in zip(results[0].rates, results[-1].rates, strict=True)
    }
    found = []
    for key in differing:
        history = [value(step.get(key)) for step in steps]
        outcomes = [v and v["qualifies"] for v in history] if key[0] == month_rule else history
        start = _since(outcomes if outcomes[-1] != outcomes[0] else history)
        decision, subject = key
        found.append(
            Difference(
                decision=decision,
                subject=subject,
                citizen=key not in rates and decision != month_rule,
                baseline=history[0],
                scenario=history[-1],
                change=changes[start - 1],
                then_changed_by=tuple(
                    changes[i - 1] for i in range(start + 1, len(history)) if history[i] != history[i - 1]
                ),
                rules=tuple(rule_differences(*rates[key])) if key in rates else (),
            )
        )
    return found


def _since(history: Sequence[Any]) -> int:
    """The first step from which on the value differs from the baseline's (history[0]) to the end."""
    start = len(history) - 1
    while start > 1 and history[start - 1] != history[0]:
        start -= 1
    return start


def rule_differences(before: Decision, after: Decision) -> list[dict[str, Any]]:
    """The trace entries of a rate decision that differ, by rule and subject (a day, a month)."""
    old, new = _entries(before), _entries(after)
    return [
        {
            "rule": rule,
            "subject": subject,
            "baseline": old.get((rule, subject)),
            "scenario": new.get((rule, subject)),
        }
        for rule, subject in dict.fromkeys([*old, *new])
        if old.get((rule, subject)) != new.get((rule, subject))
    ]


def _entries(decision: Decision) -> Mapping[tuple[str, str | None], dict[str, Any]]:
    return {
        (entry.rule, entry.subject): to_jsonable_python({"passed": entry.passed, "facts": entry.facts})
        for entry in decision.trace
    }


def payouts(baseline: MunicipalityStatus, scenario: MunicipalityStatus) -> list[Payout]:
    """Each rate's payout by the as-of date (its amount if triggered, else 0), then the total."""
    rows = [
        Payout(
            b.rate, b.amount if b.triggered else Decimal("0.00"), s.amount if s.triggered else Decimal("0.00")
        )
        for b, s in zip(baseline.rates, scenario.rates, strict=True)
    ]
    total = Payout(
        None,
        sum((r.baseline for r in rows), Decimal("0.00")),
        sum((r.scenario for r in rows), Decimal("0.00")),
    )
    return [*rows, total]
