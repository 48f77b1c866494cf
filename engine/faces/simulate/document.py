"""`fsm simulate --json`: `{"baseline", "scenario", "differences", ...}`, where baseline and scenario
have the shape of `fsm status --json` for the municipality. Amounts are strings with 2 decimals;
CPR numbers are masked (`DDMMYY-xxxx`) unless asked for. The same simulation gives the same
document, byte for byte (no clocks, no unordered collections)."""

import json
from decimal import Decimal
from typing import Any

from engine.faces.render import masked_status
from engine.faces.simulate.compare import Difference, Payout
from engine.faces.simulate.forecast import decimal_text
from engine.faces.simulate.simulation import Simulation, Step
from models import cpr


def document(simulation: Simulation, *, full_cpr: bool = False) -> dict[str, Any]:
    return {
        "simulation": about(simulation),
        "baseline": masked_status(simulation.baseline.status, full_cpr=full_cpr),
        "scenario": masked_status(simulation.result.status, full_cpr=full_cpr),
        "differences": [difference(d, full_cpr=full_cpr) for d in simulation.differences],
        "money": money(simulation.payouts),
        "changes": [change(step, full_cpr=full_cpr) for step in simulation.steps],
        "warnings": list(simulation.warnings),
        "forecast": forecast(simulation) if simulation.projection else None,
    }


def dumps(simulation: Simulation, *, full_cpr: bool = False) -> str:
    return json.dumps(document(simulation, full_cpr=full_cpr), ensure_ascii=False, indent=2)


def about(simulation: Simulation) -> dict[str, Any]:
    scenario = simulation.scenario
    return {
        "file": simulation.source.name,
        "title": scenario.title,
        "municipality": scenario.municipality,
        "programme": scenario.programme,
        "as_of": simulation.as_of.isoformat(),
        "base": simulation.base.origin,
        "pack": {"version": simulation.pack.version, "hash": simulation.pack.content_hash},
    }


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


def money(payouts: tuple[Payout, ...]) -> dict[str, Any]:
    """What each rate, and all of them, pay by the as-of date in the baseline and the scenario."""
    rows = [
        {
            **({"rate": p.rate} if p.rate is not None else {}),
            "baseline": amount(p.baseline),
            "scenario": amount(p.scenario),
            "difference": amount(p.difference),
        }
        for p in payouts
    ]
    return {"rates": rows[:-1], "total": rows[-1]}


def difference(found: Difference, *, full_cpr: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "decision": found.decision,
        "subject": cpr.shown(found.subject, full=full_cpr) if found.citizen else found.subject,
        "baseline": found.baseline,
        "scenario": found.scenario,
        "change": found.change.json(),
        "then_changed_by": [ref.json() for ref in found.then_changed_by],
    }
    if found.rules:
        shown["rules"] = list(found.rules)
    return shown


def change(step: Step, *, full_cpr: bool = False) -> dict[str, Any]:
    """A change as the scenario gave it (or the forecast generated it), and whom it changed."""
    given = step.change.model_dump(mode="json", by_alias=True, exclude_none=True)
    if "citizens" in given:
        given["citizens"] = [cpr.shown(c, full=full_cpr) for c in given["citizens"]]
    return {
        **step.ref.json(),
        "change": given,
        "changed": len(step.citizens),
        "citizens": [cpr.shown(c, full=full_cpr) for c in step.citizens],
    }


def forecast(simulation: Simulation) -> dict[str, Any]:
    projection = simulation.projection
    assert projection is not None
    pace = projection.pace
    return {
        "from": pace.start.isoformat(),
        "to": projection.end.isoformat(),
        "window": {
            "first": pace.window.first.isoformat(),
            "last": pace.window.last.isoformat(),
            "weeks": pace.weeks,
        },
        "first_visitations": pace.first_visitations,
        "visitations_per_week": decimal_text(pace.per_week, 2),
        "groups": dict(pace.groups),
        "still_to_visitate": len(pace.waiting),
        "projected_visitations": projection.visitated,
        "trend": {
            "months": [m.model_dump(mode="json") for m in pace.months],
            "slope_per_month": decimal_text(pace.slope, 4),
        },
        "activity": projection.activity,
        "projected_activities": projection.activities,
        "assumption": projection.assumption,
        "outlook": simulation.outlook(),
    }
