"""From facts to decisions: ask the engine, keep its verdicts, and build traces.

An `Evaluation` is what the engine concluded on one subject (facts + each rule's verdict): compact,
what a run stores. `trace()` turns it into the auditor's view — rule by rule, with the facts the rule
looked at, the parameter values and the source sentence — from the pack the run used.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple

from engine.rules.compile import CompiledDecision, compile_decision
from engine.rules.pack import Pack, Parameters, Rule
from engine.rules.runner import Firing, Runner, runner
from models.trace import Decision, RuleOutcome, SourceCitation

_COMPILED: dict[tuple[str, str, str, date], CompiledDecision] = {}


def compiled(pack: Pack, decision_id: str, params: Parameters, day: date) -> CompiledDecision:
    """The compiled ruleset for a decision under these parameter values (cached per process)."""
    key = (pack.content_hash, decision_id, params.fingerprint, day)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = compile_decision(pack.decision(decision_id), params, day)
    return found


class Evaluation(NamedTuple):
    """The engine's verdicts on one subject's facts for one decision of a pack (a tuple: a
    national run makes two per citizen, and a frozen dataclass takes four times as long to make)."""

    decision: str
    subject: str
    municipality: str
    day: date
    facts: Mapping[str, Any]
    verdicts: Mapping[str, bool]
    detail: Mapping[str, Any] = MappingProxyType({})

    @property
    def passed(self) -> bool:
        return all(self.verdicts.values())

    @property
    def failed_rules(self) -> list[str]:
        return [rule for rule, passed in self.verdicts.items() if not passed]


_CITATIONS: dict[tuple[str, str], SourceCitation] = {}


def citation(pack: Pack, rule: Rule) -> SourceCitation:
    """The rule's source (made once per pack and rule: every trace entry of the rule shows it; frozen)."""
    key = (pack.content_hash, rule.id)
    found = _CITATIONS.get(key)
    if found is None:
        document = pack.sources[rule.source.ref]
        found = _CITATIONS[key] = SourceCitation.model_construct(
            document=document.file,
            title=document.title,
            url=document.url,
            quote=rule.source.quote,
            note=rule.source.note,
        )
    return found


def outcome(
    pack: Pack,
    rule: Rule,
    passed: bool,
    facts: Mapping[str, Any],
    params: Mapping[str, Any],
    subject: str | None = None,
) -> RuleOutcome:
    """One trace entry: the rule's own facts and parameters only, so the trace reads rule by rule."""
    return RuleOutcome.model_construct(
        rule=rule.id,
        label=rule.label,
        pack_version=pack.version,
        passed=passed,
        facts={name: facts.get(name) for name in rule.facts},
        parameters={name: params[name] for name in rule.parameters},
        source=citation(pack, rule),
        subject=subject,
    )


def to_decision(
    pack: Pack,
    decision_id: str,
    *,
    subject: str,
    municipality: str,
    passed: bool,
    day: date,
    trace: Sequence[RuleOutcome],
    detail: Mapping[str, Any] | None = None,
) -> Decision:
    spec = pack.decision(decision_id)
    return Decision.model_construct(
        decision=decision_id,
        label=spec.label,
        verdict=spec.shown_as.passed if passed else spec.shown_as.failed,
        subject=subject,
        municipality=municipality,
        outcome=passed,
        decided_on=day,
        programme=pack.programme,
        pack_version=pack.version,
        pack_hash=pack.content_hash,
        trace=tuple(trace),
        detail=dict(detail or {}),
    )


def trace(pack: Pack, evaluation: Evaluation, params: Mapping[str, Any]) -> Decision:
    """The decision with its full trace, rebuilt from an evaluation and the parameters it was made under."""
    rules = [rule for rule in pack.decision(evaluation.decision).rules if rule.id in evaluation.verdicts]
    entries = [outcome(pack, rule, evaluation.verdicts[rule.id], evaluation.facts, params) for rule in rules]
    return to_decision(
        pack,
        evaluation.decision,
        subject=evaluation.subject,
        municipality=evaluation.municipality,
        passed=evaluation.passed,
        day=evaluation.day,
        trace=entries,
        detail=evaluation.detail,
    )


def evaluate_facts(
    pack: Pack,
    decision_id: str,
    facts: Mapping[str, Any],
    params: Parameters,
    *,
    subject: str,
    municipality: str,
    day: date,
    engine: Runner | None = None,
) -> Evaluation:
    """Ask the engine for one subject's verdicts (memoised per distinct fact vector)."""
    verdicts = (engine or runner()).decide_each(compiled(pack, decision_id, params, day), facts)
    return Evaluation(decision_id, subject, municipality, day, facts, verdicts)


def evaluate_all(
    pack: Pack,
    decision_id: str,
    facts: Sequence[Mapping[str, Any]],
    params: Parameters,
    day: date,
    engine: Runner | None = None,
) -> list[Firing]:
    """Post several facts (e.g. the months of a project) in one session; every conclusion, checked."""
    return (engine or runner()).evaluate(compiled(pack, decision_id, params, day), facts)
