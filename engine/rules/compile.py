"""Compile a pack's decision, with the parameter values in force, into a durable-rules ruleset (pure).

Every rule becomes two durable rules over the same fact, `<rule id>$pass` (its condition) and
`<rule id>$fail` (the negated condition), so the engine names every failing rule, not only the
first. A sequence rule (e.g. three consecutive qualifying months) becomes one durable rule that
correlates N facts with consecutive `idx`. The output is plain JSON, golden-tested.

Values the engine sees: booleans, integers and strings only (durable-rules has no date or decimal
type): dates are ISO strings (they order correctly as strings), absent values are "" (durable's `$neq`
never matches null), and a ratio `a / b >= p/q` is compiled to the exact integer comparison
`a*q >= b*p`, with `a*q` supplied as a scaled fact by the runner.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.rules.pack import AllOf, AnyOf, Condition, DecisionSpec, FactRef, ParamRef, Ratio, Rule

PASS, FAIL = "$pass", "$fail"
NEGATED = {
    "eq": "ne",
    "ne": "eq",
    "lt": "ge",
    "ge": "lt",
    "le": "gt",
    "gt": "le",
    "in": "not_in",
    "not_in": "in",
}
DURABLE_OP = {"ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


class CompileError(ValueError):
    pass


@dataclass(frozen=True)
class Scaled:
    """A fact the runner derives before posting: `field = source * factor` (exact integers)."""

    field: str
    source: str
    factor: int


@dataclass(frozen=True)
class CompiledDecision:
    name: str
    """The ruleset's name in durable-rules: the decision id and a digest of its definition."""
    decision: str
    rules: tuple[str, ...]
    """The ids of the rules in force, in the pack's order."""
    fact_kind: str
    definition: dict[str, dict[str, Any]]
    engine_facts: tuple[str, ...]
    scaled: tuple[Scaled, ...]
    sequences: Mapping[str, int]
    rule_facts: Mapping[str, tuple[str, ...]]
    """The facts each rule (not a sequence) looks at: its verdict depends on nothing else."""

    def rule(self, rule: str) -> "CompiledDecision":
        """The ruleset of one rule (not a sequence) alone."""
        facts = self.rule_facts[rule]
        return CompiledDecision(
            name=f"{self.name}#{rule}",
            decision=self.decision,
            rules=(rule,),
            fact_kind=self.fact_kind,
            definition={rule + PASS: self.definition[rule + PASS], rule + FAIL: self.definition[rule + FAIL]},
            engine_facts=facts,
            scaled=tuple(s for s in self.scaled if s.source in facts),
            sequences={},
            rule_facts={rule: facts},
        )


def engine_value(value: Any) -> Any:
    """A value as the engine sees it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise CompileError(f"the engine cannot compare {value!r} exactly")


class _Compiler:
    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        self.facts: set[str] = set()
        self.scaled: set[Scaled] = set()

    def operand(self, operand: Any) -> Any:
        if isinstance(operand, ParamRef):
            if operand.param not in self.params:
                raise CompileError(f"unknown parameter {operand.param!r}")
            return self.params[operand.param]
        return operand

    def condition(self, cond: Condition, negate: bool) -> dict[str, Any]:
        """The durable-rules JSON test for `cond` (or for its negation)."""
        if isinstance(cond, AllOf | AnyOf):
            items = cond.all if isinstance(cond, AllOf) else cond.any
            parts = [self.condition(c, negate) for c in items]
            if isinstance(cond, AllOf) != negate:  # De Morgan
                return conjoined(*parts)
            # durable-rules fires once per true branch of an `$or`: make the branches exclusive
            # (a or b as a or (not a and b)) so that every rule concludes exactly once per fact.
            earlier = [self.condition(c, not negate) for c in items]
            return {"$or": [conjoined(*earlier[:i], part) if i else part for i, part in enumerate(parts)]}
        op = NEGATED[cond.op] if negate else cond.op
        if isinstance(cond, Ratio):
            return self.ratio(cond, op)
        self.facts.add(cond.fact)
        if isinstance(cond.operand, FactRef):
            if op in ("in", "not_in"):
                raise CompileError(f"{cond.fact} {op}: compares with a list, not with another fact")
            self.facts.add(cond.operand.fact)
            other = {"$m": cond.operand.fact}
            return {cond.fact: other} if op == "eq" else {DURABLE_OP[op]: {cond.fact: other}}
        value = self.operand(cond.operand)
        if op in ("in", "not_in"):
            if not isinstance(value, list | tuple) or not value:
                raise CompileError(f"{cond.fact} {op}: needs a non-empty list, got {value!r}")
            if op == "in":
                return {"$or": [{cond.fact: engine_value(v)} for v in value]}
            return {"$and": [{"$neq": {cond.fact: engine_value(v)}} for v in value]}
        if op == "eq":
            return {cond.fact: engine_value(value)}
        return {DURABLE_OP[op]: {cond.fact: engine_value(value)}}

    def ratio(self, cond: Ratio, op: str) -> dict[str, Any]:
        share = Fraction(self.operand(cond.operand))
        scaled = Scaled(f"{cond.numerator}_x{share.denominator}", cond.numerator, share.denominator)
        self.scaled.add(scaled)
        self.facts.update((cond.numerator, cond.denominator))
        product = {"$mul": {"$l": {"$m": cond.denominator}, "$r": share.numerator}}
        return {DURABLE_OP[op]: {scaled.field: product}}


def conjoined(*tests: dict[str, Any]) -> dict[str, Any]:
    """One flat `$and`: durable-rules drops the terms after a nested `$and` (or `$or`) in a
    correlated condition, so conjunctions are spliced into their parent, and correlation terms go
    before any `$or` (see compile_decision)."""
    flat: list[dict[str, Any]] = []
    for test in tests:
        flat.extend(test["$and"] if set(test) == {"$and"} else [test])
    return {"$and": flat}


def _sequence_length(rule: Rule, compiler: _Compiler) -> int:
    assert rule.sequence is not None
    length = compiler.operand(rule.sequence.length)
    if not isinstance(length, int) or length < 1:
        raise CompileError(f"sequence length must be a positive integer, got {length!r}")
    return length


def compile_decision(decision: DecisionSpec, params: Mapping[str, Any], day: date) -> CompiledDecision:
    """The durable-rules ruleset for `decision` with the parameter values `params`, for rules in force on `day`."""
    compiler = _Compiler(params)
    kind = {"t": decision.facts}
    definition: dict[str, dict[str, Any]] = {}
    sequences: dict[str, int] = {}
    rule_facts: dict[str, tuple[str, ...]] = {}
    conditions = {rule.id: rule.when for rule in decision.rules if rule.when is not None}
    for rule in decision.rules:
        if rule.applies_from > day:
            continue
        try:
            if rule.sequence is None:
                assert rule.when is not None
                own = _Compiler(params)
                for suffix, negate in ((PASS, False), (FAIL, True)):
                    test = own.condition(rule.when, negate)
                    definition[rule.id + suffix] = {"all": [{"m": conjoined(kind, test)}]}
                rule_facts[rule.id] = tuple(sorted(own.facts))
                compiler.facts |= own.facts
                compiler.scaled |= own.scaled
            else:
                length = sequences[rule.id] = _sequence_length(rule, compiler)
                test = compiler.condition(conditions[rule.sequence.of], False)
                steps = []
                for i in range(length):
                    follows = [{"idx": {"$add": {"$l": {f"m{i - 1}": "idx"}, "$r": 1}}}] if i else []
                    steps.append({f"m{i}": conjoined(kind, *follows, test)})
                compiler.facts.add("idx")
                definition[rule.id] = {"all": steps}
        except CompileError as error:
            raise CompileError(f"{rule.id}: {error}") from None
    if not definition:
        # An empty ruleset would decide vacuously (every rule "passes") and crashes durable-rules.
        earliest = min((rule.applies_from for rule in decision.rules), default=None)
        raise CompileError(
            f"{decision.id}: no rule is in force on {day} (the earliest applies from {earliest})"
        )
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
    return CompiledDecision(
        name=f"{decision.id}@{digest}",
        decision=decision.id,
        rules=tuple(rule.id for rule in decision.rules if rule.applies_from <= day),
        fact_kind=decision.facts,
        definition=definition,
        engine_facts=tuple(sorted(compiler.facts)),
        scaled=tuple(sorted(compiler.scaled, key=lambda s: s.field)),
        sequences=sequences,
        rule_facts=rule_facts,
    )
