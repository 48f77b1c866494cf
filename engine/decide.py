"""From facts to decisions: ask the engine, keep its verdicts, and build traces.

An `Evaluation` is what the engine concluded on one subject (facts + each rule's verdict): compact,
what a run stores. `trace()` turns it into the auditor's view — rule by rule, with the facts the rule
looked at, the parameter values and the source sentence — from the pack the run used.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.compile import CompiledDecision, compile_decision
from engine.facts.fsm1 import membership_facts, status_facts
from engine.pack import Pack, PackError, Parameters, Rule
from engine.runner import Firing, Runner, runner
from models.domain import CitizenTimeline
from models.trace import Decision, RuleOutcome, SourceCitation

_COMPILED: dict[tuple[str, str, str, date], CompiledDecision] = {}


def compiled(pack: Pack, decision_id: str, params: Parameters, day: date) -> CompiledDecision:
    """The compiled ruleset for a decision under these parameter values (cached per process)."""
    key = (pack.content_hash, decision_id, params.fingerprint, day)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = compile_decision(pack.decision(decision_id), params, day)
    return found


@dataclass(frozen=True)
class Evaluation:
    """The engine's verdicts on one subject's facts for one decision of a pack."""

    decision: str
    subject: str
    municipality: str
    day: date
    facts: Mapping[str, Any]
    verdicts: Mapping[str, bool]
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(self.verdicts.values())

    @property
    def failed_rules(self) -> list[str]:
        return [rule for rule, passed in self.verdicts.items() if not passed]


def citation(pack: Pack, rule: Rule) -> SourceCitation:
    document = pack.sources[rule.source.ref]
    return SourceCitation.model_construct(
        document=document.file, title=document.title, quote=rule.source.quote, note=rule.source.note
    )


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
    return Decision.model_construct(
        decision=decision_id,
        label=pack.decision(decision_id).label,
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
    ordered = {rule.id: verdicts[rule.id] for rule in pack.decision(decision_id).rules if rule.id in verdicts}
    return Evaluation(decision_id, subject, municipality, day, facts, ordered)


def evaluate_all(
    pack: Pack,
    decision_id: str,
    facts: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    day: date,
    engine: Runner | None = None,
) -> list[Firing]:
    """Post several facts (e.g. the months of a project) in one session; every conclusion, checked."""
    return (engine or runner()).evaluate(compiled(pack, decision_id, params, day), facts)


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
    params: Mapping[str, Any],
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


def decide_membership(
    timeline: CitizenTimeline,
    municipality: str,
    pack: Pack,
    *,
    as_of: date | None = None,
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
) -> Decision:
    """Is the citizen in the municipality's FSM1 target group (fixed at the cut-off date D), and why."""
    params = membership_parameters(pack, municipality, as_of, overrides)
    return trace(pack, evaluate_membership(timeline, municipality, pack, params, engine), params)


EXIT_BY_FAILED_RULE = {"fsm1.status.alive": "doed", "fsm1.status.stayed_in_municipality": "fraflyttet"}


def exit_status(evaluation: Evaluation, params: Mapping[str, Any]) -> str | None:
    """The exit status (SPEC section 4) named by the first failing status rule; None when active."""
    for rule in evaluation.failed_rules:
        if rule in EXIT_BY_FAILED_RULE:
            return EXIT_BY_FAILED_RULE[rule]
        support = evaluation.facts["support_on_day"]
        return "ingen_registrering" if support is None else params["exit_status_names"].get(support, support)
    return None


def evaluate_status(
    timeline: CitizenTimeline,
    municipality: str,
    pack: Pack,
    params: Parameters,
    day: date,
    away: date | None,
    engine: Runner | None = None,
) -> Evaluation:
    """Is a member still active on `day`; if not, their exit status (in `detail`). `away` is the
    member's first day away from the municipality after the cut-off date (facts.fsm1.first_day_away)."""
    facts = status_facts(timeline, away, day)
    found = evaluate_facts(
        pack,
        "fsm1.status",
        facts,
        params,
        subject=timeline.citizen_id,
        municipality=municipality,
        day=day,
        engine=engine,
    )
    return Evaluation(**{**found.__dict__, "detail": {"exit_status": exit_status(found, params)}})
