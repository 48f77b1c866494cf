"""A simulation as a project leader reads it in a terminal (rich): baseline and scenario side by
side — rates with the difference in money, the monthly shares — what else differs and which change
made it, the changes, the forecast's assumption and the warnings. Compact: every column of every
table is in `--xlsx`, every difference in `--json`."""

from collections import Counter

from rich.console import Console
from rich.table import Table

from engine.faces.simulate.simulation import Simulation
from engine.faces.simulate.tables import describe, month_pairs, rate_pairs, ref_text, share, what_changed
from models import cpr
from models.status import MonthResult, RateResult

SHOWN_DIFFERENCES = 20


def show(console: Console, simulation: Simulation, *, full_cpr: bool = False) -> None:
    scenario, base = simulation.scenario, simulation.base
    title = f" — {scenario.title}" if scenario.title else ""
    console.print(
        f"[bold]Simulation {simulation.source.name}{title}[/bold]: municipality {scenario.municipality}, "
        f"{scenario.programme} as of {simulation.as_of}; base {', '.join(f'{k} {v}' for k, v in base.origin.items())}; "
        f"baseline and scenario evaluated by rule pack {simulation.pack.version} ({simulation.pack.content_hash[:12]})"
    )
    console.print(rates(simulation))
    console.print(months(simulation))
    console.print(differences(simulation, full_cpr=full_cpr))
    console.print(changes(simulation))
    if simulation.projection is not None:
        console.print(f"[bold]Assumption[/bold]: {simulation.projection.assumption}")
    for line in simulation.outlook():
        console.print(f"  {line}")
    for warning in simulation.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def _rate(rate: RateResult) -> str:
    return f"{rate.date}: {rate.amount:,.2f}" if rate.triggered else "not triggered"


def rates(simulation: Simulation) -> Table:
    table = Table(
        "rate",
        "baseline",
        "scenario",
        "difference (kr)",
        "made different by",
        title="Rates paid by the as-of date",
    )
    for pair in rate_pairs(simulation):
        table.add_row(
            str(pair.before.rate),
            _rate(pair.before),
            _rate(pair.after),
            f"{pair.payout.difference:+,.2f}",
            ref_text(pair.made_by),
        )
    total = simulation.payouts[-1]
    table.add_row(
        "total", f"{total.baseline:,.2f}", f"{total.scenario:,.2f}", f"{total.difference:+,.2f}", ""
    )
    return table


def _month(month: MonthResult | None) -> str:
    if month is None:
        return "—"
    found = share(month)
    shown = (
        "no effort group"
        if found is None
        else f"{found * 100:.1f} % ({month.in_activity}/{month.effort_group})"
    )
    return f"{'✓' if month.qualifies else ' '} {shown}"


def months(simulation: Simulation) -> Table:
    table = Table("month", "baseline", "scenario", "made different by", title="Monthly share (✓ qualifies)")
    for pair in month_pairs(simulation):
        table.add_row(pair.month, _month(pair.before), _month(pair.after), ref_text(pair.made_by))
    return table


def differences(simulation: Simulation, *, full_cpr: bool = False) -> Table:
    counts = Counter(d.decision for d in simulation.differences)
    citizens = [d for d in simulation.differences if d.citizen]
    summary = ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"
    more = len(citizens) - SHOWN_DIFFERENCES
    table = Table(
        "decision",
        "citizen",
        "what changed",
        "made different by",
        title=f"Decisions that differ: {summary}",
        caption=f"and {more} more citizens' decisions (all are in --json and --xlsx)" if more > 0 else None,
    )
    for found in citizens[:SHOWN_DIFFERENCES]:
        table.add_row(
            found.decision,
            cpr.shown(found.subject, full=full_cpr),
            what_changed(found.baseline, found.scenario),
            ref_text(found.change),
        )
    return table


def changes(simulation: Simulation) -> Table:
    table = Table("change", "line", "what", "citizens changed", title="Changes, applied in this order")
    for step in simulation.steps:
        table.add_row(
            str(step.ref.index),
            str(step.ref.line or ""),
            describe(step.change),
            str(len(step.citizens)),
        )
    return table
