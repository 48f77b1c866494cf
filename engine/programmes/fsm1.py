"""FSM1 (SPEC sections 4 and 5): one municipality's project on an as-of date — the target group fixed
at the cut-off date, each member's status, the visitation distribution, rates 1–3 and the monthly
effort-group shares. Rates are in engine/programmes/fsm1_rates.py; facts in engine/facts/fsm1*.py."""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from engine.decide import Evaluation, evaluate_facts, trace
from engine.facts.fsm1 import first_day_away, membership_facts, status_facts
from engine.facts.fsm1_rates import Progress, progress
from engine.pack import Pack, PackError, Parameters
from engine.programmes import MunicipalityResult
from engine.programmes.fsm1_rates import rate1, rate2, rate3, split_grant
from engine.runner import Runner
from models.codes import GrantProgramme
from models.domain import CitizenTimeline, Grant, GrantYear
from models.status import MunicipalityStatus
from models.trace import Decision

VISITATION_KEYS = ("1", "2", "3", "udskudt", "mangler")


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


def evaluate_municipality(
    pack: Pack,
    grant: Grant,
    timelines: Iterable[CitizenTimeline],
    as_of: date,
    *,
    grant_years: Sequence[GrantYear] = (),
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
    advance: Callable[[int], None] | None = None,
) -> MunicipalityResult:
    """Evaluate every citizen who ever lived in the municipality; `advance(n)` reports progress.
    FSM1 pays its grant in rates, not by year: `grant_years` are not used."""
    k = grant.municipality
    params = membership_parameters(pack, k, None, overrides)
    cutoff = params["cutoff_date"]
    rate_params = pack.parameters_at(as_of, k, {**(overrides or {}), "cutoff_date": cutoff})
    evaluations: list[Evaluation] = []
    members: list[Progress] = []
    exits: Counter[str] = Counter()
    visitation: Counter[str] = Counter({key: 0 for key in VISITATION_KEYS})
    outside = 0
    for timeline in timelines:
        membership = evaluate_membership(timeline, k, pack, params, engine)
        evaluations.append(membership)
        if not membership.passed:
            outside += bool(
                timeline.activities or any(v.programme is GrantProgramme.fsm1 for v in timeline.visitations)
            )
        else:
            away = first_day_away(timeline, k, cutoff)
            status = evaluate_status(timeline, k, pack, params, as_of, away, engine)
            member = progress(timeline, away, cutoff, rate_params)
            members.append(member)
            group = member.group_on(as_of) or "mangler"
            evaluations.append(replace(status, detail={**status.detail, "group": group}))
            if status.passed:
                visitation[group] += 1
            else:
                exits[status.detail["exit_status"]] += 1
        if advance:
            advance(1)
    amounts = split_grant(grant.amount, rate_params)
    result1, decision1 = rate1(pack, grant, as_of, rate_params, amounts[0], engine)
    result2, decision2 = rate2(pack, members, grant, as_of, rate_params, amounts[1], engine)
    result3, months, decision3 = rate3(pack, members, grant, as_of, rate_params, amounts[2], engine)
    warnings = []
    if outside:
        warnings.append(
            f"{outside} citizens outside the target group have FSM1 visitations or activities; every rate ignores them"
        )
    status = MunicipalityStatus(
        municipality=k,
        programme=pack.programme,
        as_of=as_of,
        grant=grant.amount,
        members=len(members),
        active=sum(visitation.values()),
        exits=dict(sorted(exits.items())),
        visitation=dict(visitation),
        rates=[result1, result2, result3],
        months=months,
        warnings=warnings,
    )
    return MunicipalityResult(status, evaluations, [decision1, decision2, decision3], params, rate_params)
