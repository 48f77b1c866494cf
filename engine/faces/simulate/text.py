"""A simulation as a project leader reads it in a terminal (rich): baseline and scenario side by
side — rates with the difference in money, the monthly shares — what else differs and which change
made it, the changes, the forecast's assumption and the warnings. Compact: every column of every
table is in `--xlsx`, every difference in `--json`."""

from collections import Counter
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from engine.faces import render
from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.simulation import Simulation
from engine.faces.simulate.tables import describe, month_pairs, rate_pairs, ref_text, share, what_changed
from models import cpr
from models.status import MonthResult, RateResult

SHOWN_DIFFERENCES = 20


def show(console: Console, simulation: Simulation, *, full_cpr: bool = False, t: Texts = ENGLISH) -> None:
    scenario, base = simulation.scenario, simulation.base
    title = f" — {scenario.title}" if scenario.title else ""
    heading = t._("Simulation %(file)s%(title)s", file=simulation.source.name, title=title)
    about = t._(
        "municipality %(municipality)s, %(programme)s as of %(day)s; base %(base)s; baseline and scenario "
        "evaluated by rule pack %(version)s (%(hash)s)",
        municipality=t.municipality(scenario.municipality),
        programme=t.programme(scenario.programme),
        day=t.date(simulation.as_of),
        base=", ".join(f"{k} {v}" for k, v in base.origin.items()),
        version=simulation.pack.version,
        hash=simulation.pack.content_hash[:12],
    )
    console.print(f"[bold]{heading}[/bold]: {about}")
    console.print(rates(simulation, t))
    console.print(months(simulation, t))
    console.print(differences(simulation, full_cpr=full_cpr, t=t))
    console.print(changes(simulation, t))
    if simulation.projection is not None:
        assumption = t._("Assumption")
        console.print(f"[bold]{assumption}[/bold]: {simulation.projection.assumption_in(t)}")
    for line in simulation.outlook(t):
        console.print(f"  {line}")
    render.warnings(console, simulation.warnings, t)


def _rate(rate: RateResult, t: Texts) -> str:
    if rate.triggered and rate.date is not None:
        return f"{t.day(rate.date)}: {t.money(rate.amount)}"
    return t._("not triggered")


def rates(simulation: Simulation, t: Texts = ENGLISH) -> Table:
    table = Table(
        t._("rate"),
        t._("baseline"),
        t._("scenario"),
        t._("difference"),
        t._("made different by"),
        title=t._("Rates paid by the as-of date"),
    )
    for pair in rate_pairs(simulation):
        table.add_row(
            str(pair.before.rate),
            _rate(pair.before, t),
            _rate(pair.after, t),
            _signed(t, pair.payout.difference),
            ref_text(pair.made_by, t),
        )
    total = simulation.payouts[-1]
    table.add_row(
        t._("total"), t.money(total.baseline), t.money(total.scenario), _signed(t, total.difference), ""
    )
    return table


def _signed(t: Texts, amount: Decimal) -> str:
    """A difference in money with its sign: `+1.000,00 kr.`, `-500,00 kr.`, `0,00 kr.`."""
    return f"+{t.money(amount)}" if amount > 0 else t.money(amount)


def _month(month: MonthResult | None, t: Texts) -> str:
    if month is None:
        return "—"
    found = share(month)
    shown = (
        t._("no effort group")
        if found is None
        else f"{t.percent(found)} ({t.integer(month.in_activity)}/{t.integer(month.effort_group)})"
    )
    return f"{'✓' if month.qualifies else ' '} {shown}"


def months(simulation: Simulation, t: Texts = ENGLISH) -> Table:
    table = Table(
        t._("month"),
        t._("baseline"),
        t._("scenario"),
        t._("made different by"),
        title=t._("Monthly share (✓ qualifies)"),
    )
    for pair in month_pairs(simulation):
        table.add_row(
            t.month(pair.month, short=True),
            _month(pair.before, t),
            _month(pair.after, t),
            ref_text(pair.made_by, t),
        )
    return table


def differences(simulation: Simulation, *, full_cpr: bool = False, t: Texts = ENGLISH) -> Table:
    counts = Counter(d.decision for d in simulation.differences)
    citizens = [d for d in simulation.differences if d.citizen]
    summary = ", ".join(f"{name} {t.integer(n)}" for name, n in counts.items()) or t._("none")
    more = len(citizens) - SHOWN_DIFFERENCES
    table = Table(
        t._("decision"),
        t._("citizen"),
        t._("what changed"),
        t._("made different by"),
        title=t._("Decisions that differ: %(summary)s", summary=summary),
        caption=t._(
            "and %(more)s more citizens' decisions (all are in --json and --xlsx)", more=t.integer(more)
        )
        if more > 0
        else None,
    )
    for found in citizens[:SHOWN_DIFFERENCES]:
        table.add_row(
            found.decision,
            cpr.shown(found.subject, full=full_cpr),
            what_changed(found.baseline, found.scenario, t),
            ref_text(found.change, t),
        )
    return table


def changes(simulation: Simulation, t: Texts = ENGLISH) -> Table:
    table = Table(
        t._("change"),
        t._("line"),
        t._("what"),
        t._("citizens changed"),
        title=t._("Changes, applied in this order"),
    )
    for step in simulation.steps:
        table.add_row(
            str(step.ref.index),
            str(step.ref.line or ""),
            describe(step.change, simulation.scenario.programme, t),
            t.integer(len(step.citizens)),
        )
    return table
