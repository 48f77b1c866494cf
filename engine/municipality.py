"""One municipality's FSM1 project on an as-of date: the fixed target group, each member's status,
the visitation distribution, rates 1–3 and the monthly effort-group shares."""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from engine.decide import Evaluation, evaluate_membership, evaluate_status, membership_parameters
from engine.facts.fsm1 import first_day_away
from engine.facts.fsm1_rates import Progress, progress
from engine.pack import Pack
from engine.rates import rate1, rate2, rate3, split_grant
from engine.runner import Runner
from models.codes import GrantProgramme
from models.domain import CitizenTimeline, Grant
from models.status import MunicipalityStatus
from models.trace import Decision

VISITATION_KEYS = ("1", "2", "3", "udskudt", "mangler")


@dataclass(frozen=True)
class MunicipalityResult:
    status: MunicipalityStatus
    evaluations: list[Evaluation]
    """Membership of every citizen looked at, and the status of every member."""
    rates: list[Decision]
    membership_params: Mapping[str, Any]
    rate_params: Mapping[str, Any]


def evaluate_municipality(
    pack: Pack,
    grant: Grant,
    timelines: Iterable[CitizenTimeline],
    as_of: date,
    *,
    overrides: Mapping[str, Any] | None = None,
    engine: Runner | None = None,
    advance: Callable[[int], None] | None = None,
) -> MunicipalityResult:
    """Evaluate every citizen who ever lived in the municipality; `advance(n)` reports progress."""
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
