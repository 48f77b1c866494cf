"""Turn engine conclusions into decisions with traces; the FSM1 membership decision."""

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.compile import CompiledDecision, compile_decision
from engine.facts.fsm1 import membership_facts
from engine.pack import Pack, Rule
from engine.runner import Runner, runner
from models.domain import CitizenTimeline
from models.trace import Decision, RuleOutcome, SourceCitation

_COMPILED: dict[tuple[str, str, str, date], CompiledDecision] = {}


def compiled(pack: Pack, decision_id: str, params: Mapping[str, Any], day: date) -> CompiledDecision:
    """The compiled ruleset for a decision under these parameter values (cached per process)."""
    key = (pack.content_hash, decision_id, json.dumps(params, sort_keys=True, default=str), day)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = compile_decision(pack.decision(decision_id), params, day)
    return found


def citation(pack: Pack, rule: Rule) -> SourceCitation:
    document = pack.sources[rule.source.ref]
    return SourceCitation(
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
    return RuleOutcome(
        rule=rule.id,
        label=rule.label,
        pack_version=pack.version,
        passed=passed,
        facts={name: facts[name] for name in rule.facts},
        parameters={name: params[name] for name in rule.parameters},
        source=citation(pack, rule),
        subject=subject,
    )


def cutoff_date(
    pack: Pack, municipality: str, as_of: date | None, overrides: Mapping[str, Any] | None
) -> date:
    """D: the cut-off date in force on `as_of` (default: the pack's current cut-off date)."""
    if overrides and "cutoff_date" in overrides:
        return overrides["cutoff_date"]
    parameter = pack.parameters["cutoff_date"]
    return parameter.at(as_of or date.max, municipality)


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
    cutoff = cutoff_date(pack, municipality, as_of, overrides)
    params = pack.parameters_at(cutoff, municipality, overrides)
    params["cutoff_date"] = cutoff
    spec = pack.decision("fsm1.membership")
    ruleset = compiled(pack, spec.id, params, cutoff)
    facts = membership_facts(timeline, municipality, params)
    verdicts = (engine or runner()).decide_each(ruleset, facts)
    trace = tuple(
        outcome(pack, rule, verdicts[rule.id], facts, params) for rule in spec.rules if rule.id in verdicts
    )
    return Decision(
        decision=spec.id,
        label=spec.label,
        subject=timeline.citizen_id,
        municipality=municipality,
        outcome=all(entry.passed for entry in trace),
        decided_on=cutoff,
        programme=pack.programme,
        pack_version=pack.version,
        pack_hash=pack.content_hash,
        trace=trace,
    )
