"""The only module that uses durable-rules (with its host, engine/rules/durable_host.py: imported
when the first runner is made, so that commands that decide nothing do without it): one host, one
session per evaluation, checked results.

Traps handled here (see DURABLE_RULES.md): no background dispatcher threads (every action runs in the
posting thread, so results cannot arrive late); one small session per evaluation, deleted at once
(sessions are a bounded resource); swallowed action exceptions are looked for in the session state;
`MessageObservedException` is a fault, never "already known"; and every rule must conclude exactly
once per fact (pass or fail) or the evaluation is refused. Actions are durable's promises without
their timeout closure, which is a reference cycle: ~15 KB of cyclic garbage per session otherwise.

A rule's verdict is a pure function of the facts it looks at and its compiled condition, so every
rule that is not a sequence is decided on its own, once per distinct vector of *its* facts: a
national run asks the engine about a few thousand vectors, not about each of its hundred thousand
citizens (nor about each of their tens of thousands of distinct combinations of all the facts).
The verdicts on one fact are also memoised per distinct vector of all the facts, so a memo hit
costs one tuple and one lookup; equal verdicts share one read-only mapping. A sequence rule
correlates facts, so a decision with one is posted with all its facts together.
"""

import itertools
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from engine.rules.compile import FAIL, PASS, CompiledDecision, engine_value


class EngineFault(RuntimeError):
    """durable-rules did not conclude as it must (a missing, doubled or failed action)."""


@dataclass(frozen=True)
class Firing:
    """One conclusion of the engine: a rule passed or failed on the facts with these keys."""

    rule: str
    passed: bool
    keys: tuple[Any, ...]


MEMO_LIMIT = 20_000
"""Distinct fact vectors remembered per process (then forgotten at once): a run's memory must not
grow with the population, and the vectors met most often come back at once."""


class _OneRule(NamedTuple):
    """A rule (not a sequence) as a ruleset of its own, and the vector of the facts it looks at."""

    compiled: CompiledDecision
    vector: Callable[[Mapping[str, Any]], Any]


class Runner:
    def __init__(self) -> None:
        from engine.rules import durable_host

        self._durable = durable_host
        self._host = durable_host.SyncHost()
        self._registered: set[str] = set()
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self._results: dict[str, list[Firing]] = {}
        self._memo: dict[tuple[str, Any], Mapping[str, bool]] = {}
        self._rule_memo: dict[tuple[str, Any], bool] = {}
        self._shared: dict[tuple[str, tuple[bool, ...]], Mapping[str, bool]] = {}
        self._vectors: dict[str, Callable[[Mapping[str, Any]], Any]] = {}
        self._one_rules: dict[str, list[_OneRule]] = {}

    def _action(self, rule_name: str, conditions: Sequence[str]) -> Any:
        rule, passed = rule_name, True
        if rule_name.endswith((PASS, FAIL)):
            rule, passed = rule_name[: -len(PASS)], rule_name.endswith(PASS)

        def record(c: Any) -> None:
            matched = [getattr(c, name) for name in conditions]
            firing = Firing(rule, passed, tuple(m["key"] for m in matched))
            self._results[matched[0]["sid"]].append(firing)

        return self._durable.Action(record)

    def _register(self, compiled: CompiledDecision) -> None:
        if compiled.name in self._registered:
            return
        definition = {}
        for rule_name, rule in compiled.definition.items():
            conditions = [name for step in rule["all"] for name in step]
            definition[rule_name] = {**rule, "run": self._action(rule_name, conditions)}
        self._host.set_rulesets({compiled.name: definition})
        self._registered.add(compiled.name)

    @staticmethod
    def _engine_fact(
        compiled: CompiledDecision, facts: Mapping[str, Any], sid: str, key: Any
    ) -> dict[str, Any]:
        fact = {"t": compiled.fact_kind, "sid": sid, "key": key}
        for name in compiled.engine_facts:
            fact[name] = engine_value(facts[name])
        for scaled in compiled.scaled:
            fact[scaled.field] = facts[scaled.source] * scaled.factor
        return fact

    def _rules(self, compiled: CompiledDecision) -> list[_OneRule]:
        """Each rule of a decision without sequences, as a ruleset of its own (made once)."""
        found = self._one_rules.get(compiled.name)
        if found is None:
            found = self._one_rules[compiled.name] = [
                _OneRule(one, itemgetter(*one.engine_facts)) for one in map(compiled.rule, compiled.rules)
            ]
        return found

    def evaluate(self, compiled: CompiledDecision, facts: Sequence[Mapping[str, Any]]) -> list[Firing]:
        """Every conclusion of the engine on `facts` (one evaluation unit), checked. Without a
        sequence rule, each rule is decided on its own, once per distinct vector of its facts."""
        if compiled.sequences:
            return self._session(compiled, facts)
        return [
            Firing(one.compiled.rules[0], passed, (key,))
            for one in self._rules(compiled)
            for key, passed in enumerate(self._decide_rule(one, facts))
        ]

    def _decide_rule(self, one: _OneRule, facts: Sequence[Mapping[str, Any]]) -> list[bool]:
        """One rule's verdict on each fact: the vectors not met before are posted in one session."""
        memo, name = self._rule_memo, one.compiled.name
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        keys = [(name, one.vector(fact)) for fact in facts]
        unknown = {key: fact for key, fact in zip(keys, facts, strict=True) if key not in memo}
        if unknown:
            posted = list(unknown)
            for firing in self._session(one.compiled, list(unknown.values())):
                memo[posted[firing.keys[0]]] = firing.passed
        return [memo[key] for key in keys]

    def _verdict(self, one: _OneRule, fact: Mapping[str, Any]) -> bool:
        """One rule's verdict on one fact (`_decide_rule` for a single fact, without its lists)."""
        passed = self._rule_memo.get((one.compiled.name, one.vector(fact)))
        return self._decide_rule(one, (fact,))[0] if passed is None else passed

    def _session(self, compiled: CompiledDecision, facts: Sequence[Mapping[str, Any]]) -> list[Firing]:
        """Post `facts` in a fresh session and return every conclusion, checked."""
        if not facts:
            return []  # no session to open (durable-rules cannot delete a state it never created)
        with self._lock:
            self._register(compiled)
            sid = f"s{next(self._sids)}"
            self._results[sid] = []
            try:
                for key, one in enumerate(facts):
                    self._assert(compiled, self._engine_fact(compiled, one, sid, key))
                state = self._host.get_state(compiled.name, sid)
                if "exception" in state:
                    raise EngineFault(f"{compiled.name}: an action failed: {state['exception']}")
            finally:
                self._host.delete_state(compiled.name, sid)
                firings = self._results.pop(sid)
        self._check_complete(compiled, firings, len(facts))
        self._check_sequences(compiled, firings, facts)
        return firings

    def _assert(self, compiled: CompiledDecision, fact: dict[str, Any]) -> None:
        try:
            self._host.assert_fact(compiled.name, fact)
        except self._durable.NotHandled:
            pass  # a fact no sequence step matched; pass/fail rules are checked for completeness below
        except self._durable.Observed as error:
            raise EngineFault(
                f"{compiled.name}: durable-rules refused a distinct fact as already seen: {error}"
            ) from error

    @staticmethod
    def _check_complete(compiled: CompiledDecision, firings: Iterable[Firing], n_facts: int) -> None:
        concluded: dict[tuple[str, int], int] = {}
        for firing in firings:
            if firing.rule not in compiled.sequences:
                concluded[(firing.rule, firing.keys[0])] = concluded.get((firing.rule, firing.keys[0]), 0) + 1
        rules = {name[: -len(PASS)] for name in compiled.definition if name.endswith(PASS)}
        for rule in sorted(rules):
            for key in range(n_facts):
                if concluded.get((rule, key)) != 1:
                    raise EngineFault(
                        f"{compiled.name}: rule {rule} concluded {concluded.get((rule, key), 0)} times "
                        f"on fact {key}, expected exactly once"
                    )

    @staticmethod
    def _check_sequences(
        compiled: CompiledDecision, firings: Iterable[Firing], facts: Sequence[Mapping[str, Any]]
    ) -> None:
        """A sequence firing must be `length` facts with consecutive `idx` (durable-rules once
        dropped the correlation of a nested condition and matched every permutation)."""
        for firing in firings:
            if firing.rule in compiled.sequences:
                indexes = [facts[key]["idx"] for key in firing.keys]
                expected = list(range(indexes[0], indexes[0] + compiled.sequences[firing.rule]))
                if indexes != expected:
                    raise EngineFault(
                        f"{compiled.name}: {firing.rule} matched non-consecutive facts {indexes}"
                    )

    def decide_each(self, compiled: CompiledDecision, facts: Mapping[str, Any]) -> Mapping[str, bool]:
        """Pass/fail of every rule on one fact, in the pack's order (see the module docstring)."""
        vector = self._vectors.get(compiled.name)
        if vector is None:
            vector = self._vectors[compiled.name] = itemgetter(*compiled.engine_facts)
        key = (compiled.name, vector(facts))
        verdicts = self._memo.get(key)
        if verdicts is None:
            if compiled.sequences:
                found = {f.rule: f.passed for f in self._session(compiled, [facts])}
                passed = tuple(found[rule] for rule in compiled.rules)
            else:
                passed = tuple(self._verdict(one, facts) for one in self._rules(compiled))
            shared = (compiled.name, passed)
            verdicts = self._shared.get(shared)
            if verdicts is None:
                verdicts = self._shared[shared] = MappingProxyType(
                    dict(zip(compiled.rules, passed, strict=True))
                )
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = verdicts
        return verdicts


_RUNNERS: list[Runner] = []


def runner() -> Runner:
    """The process's runner: one durable host per process (a ruleset name registers once per host),
    whose memo serves every evaluation in the process. A forked worker makes its own on first use
    rather than sharing its parent's engine state."""
    if not _RUNNERS:
        _RUNNERS.append(Runner())
    return _RUNNERS[0]


os.register_at_fork(after_in_child=_RUNNERS.clear)
