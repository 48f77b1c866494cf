"""A simulation's tables, with typed cells (dates as dates, amounts as Decimal, counts as int), shared
by the text output and the Excel workbook: rates side by side with the difference in money, months
side by side, every difference with the change that made it, the changes, and the assumptions.
Citizens are shown masked unless `full_cpr`."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from engine.faces.simulate.compare import ChangeRef, Payout
from engine.faces.simulate.scenario import (
    AddActivity,
    Change,
    EndActivity,
    Exit,
    MoveGroup,
    SetParameter,
    Visitate,
)
from engine.faces.simulate.simulation import Simulation
from models import cpr
from models.status import MonthResult, RateResult

Kind = Literal["text", "int", "date", "month", "money", "share", "bool"]


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def sheets(simulation: Simulation, *, full_cpr: bool = False) -> list[Sheet]:
    return [
        rates(simulation),
        months(simulation),
        differences(simulation, full_cpr=full_cpr),
        changes(simulation, full_cpr=full_cpr),
        assumptions(simulation),
    ]


def ref_text(ref: ChangeRef | None) -> str:
    """`changes[1] (line 12, add_activity)`."""
    if ref is None:
        return ""
    line = f"line {ref.line}, " if ref.line is not None else ""
    return f"changes[{ref.index}] ({line}{ref.op})"


@dataclass(frozen=True)
class RatePair:
    """A rate in the baseline and the scenario, what each pays by the as-of date, and which change
    made it differ."""

    before: RateResult
    after: RateResult
    payout: Payout
    made_by: ChangeRef | None


def rate_pairs(simulation: Simulation) -> list[RatePair]:
    made_by = {d.decision: d.change for d in simulation.differences if not d.citizen}
    return [
        RatePair(before, after, payout, made_by.get(decision.decision))
        for before, after, decision, payout in zip(
            simulation.baseline.status.rates,
            simulation.result.status.rates,
            simulation.result.rates,
            simulation.payouts[:-1],
            strict=True,
        )
    ]


@dataclass(frozen=True)
class MonthPair:
    month: str
    before: MonthResult | None
    after: MonthResult | None
    made_by: ChangeRef | None


def month_pairs(simulation: Simulation) -> list[MonthPair]:
    rule = simulation.terms.month_rule
    made_by = {d.subject: d.change for d in simulation.differences if d.decision == rule}
    before = {m.month: m for m in simulation.baseline.status.months}
    after = {m.month: m for m in simulation.result.status.months}
    return [
        MonthPair(month, before.get(month), after.get(month), made_by.get(month))
        for month in sorted(before.keys() | after.keys())
    ]


def rates(simulation: Simulation) -> Sheet:
    rows: list[tuple[Any, ...]] = [
        (
            pair.before.rate,
            pair.before.triggered,
            pair.before.date,
            pair.payout.baseline,
            pair.after.triggered,
            pair.after.date,
            pair.payout.scenario,
            pair.payout.difference,
            ref_text(pair.made_by),
        )
        for pair in rate_pairs(simulation)
    ]
    total = simulation.payouts[-1]
    rows.append(("total", None, None, total.baseline, None, None, total.scenario, total.difference, ""))
    return Sheet(
        "Rates",
        (
            Column("rate"),
            Column("baseline triggered", "bool"),
            Column("baseline date", "date"),
            Column("baseline paid (kr)", "money"),
            Column("scenario triggered", "bool"),
            Column("scenario date", "date"),
            Column("scenario paid (kr)", "money"),
            Column("difference (kr)", "money"),
            Column("made different by"),
        ),
        tuple(rows),
    )


def share(month: MonthResult | None) -> Decimal | None:
    """The month's share for display, rounded to 0.01 %; the rules compare exactly."""
    if month is None or not month.effort_group:
        return None
    return (Decimal(month.in_activity) / Decimal(month.effort_group)).quantize(Decimal("0.0001"))


def months(simulation: Simulation) -> Sheet:
    rows = []
    for pair in month_pairs(simulation):
        cells: list[Any] = [date.fromisoformat(f"{pair.month}-01")]
        for found in (pair.before, pair.after):
            cells += [
                found and found.effort_group,
                found and found.in_activity,
                share(found),
                found and found.qualifies,
            ]
        rows.append((*cells, ref_text(pair.made_by)))
    side: list[tuple[str, Kind]] = [
        ("effort group", "int"),
        ("in activity", "int"),
        ("share", "share"),
        ("qualifies", "bool"),
    ]
    columns = [Column(f"{who} {title}", kind) for who in ("baseline", "scenario") for title, kind in side]
    return Sheet("Months", (Column("month", "month"), *columns, Column("made different by")), tuple(rows))


def _word(value: Any) -> str:
    return (
        {True: "yes", False: "no", None: "—"}.get(value, str(value))
        if isinstance(value, bool | None)
        else str(value)
    )


def value_text(value: Any) -> str:
    """A decision's value in a cell: `triggered: yes, date: 2018-05-31, amount: 3524700.00`."""
    if not isinstance(value, dict):
        return "not evaluated" if value is None else str(value)
    return ", ".join(f"{k}: {_word(v)}" for k, v in value.items())


def what_changed(before: Any, after: Any) -> str:
    """Only what differs: `group: mangler → 2`."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return f"{value_text(before)} → {value_text(after)}"
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return "; ".join(f"{k}: {_word(before.get(k))} → {_word(after.get(k))}" for k in keys)


def differences(simulation: Simulation, *, full_cpr: bool = False) -> Sheet:
    rows = tuple(
        (
            d.decision,
            cpr.shown(d.subject, full=full_cpr) if d.citizen else d.subject,
            value_text(d.baseline),
            value_text(d.scenario),
            what_changed(d.baseline, d.scenario),
            d.change.index,
            d.change.line,
            d.change.op,
            ", ".join(ref_text(r) for r in d.then_changed_by),
        )
        for d in simulation.differences
    )
    columns = (
        Column("decision"),
        Column("subject"),
        Column("baseline"),
        Column("scenario"),
        Column("what changed"),
        Column("change", "int"),
        Column("line", "int"),
        Column("operation"),
        Column("then changed by"),
    )
    return Sheet("Differences", columns, rows)


def describe(change: Change) -> str:
    """A change in words: `add virksomhedspraktik from 2018-03-01 to 2018-05-29 (count 25)`."""
    if isinstance(change, SetParameter):
        return f"set {change.name} = {change.value}"
    named = len(change.citizens or ())
    who = (
        f"count {change.count}" if change.count is not None else f"{named} named citizen{'s' * (named != 1)}"
    )
    match change:
        case Visitate():
            active = ", active only" if change.only_active else ""
            return f"visitate into group {change.group} on {change.day} ({who}{active})"
        case AddActivity():
            return f"add {change.activity.value} from {change.start} to {change.last} ({who})"
        case EndActivity():
            what = change.activity.value if change.activity else "counting activities"
            return f"end {what} on {change.day} ({who})"
        case MoveGroup():
            source = f"from group {change.from_group} " if change.from_group else ""
            return f"move {source}to group {change.group} on {change.day} ({who})"
        case Exit():
            return f"exit on {change.day} as {change.reason} ({who})"


def changes(simulation: Simulation, *, full_cpr: bool = False) -> Sheet:
    rows = tuple(
        (
            step.ref.index,
            step.ref.line,
            step.ref.op,
            describe(step.change),
            len(step.citizens),
            ", ".join(cpr.shown(c, full=full_cpr) for c in step.citizens),
        )
        for step in simulation.steps
    )
    columns = (
        Column("change", "int"),
        Column("line", "int"),
        Column("operation"),
        Column("what"),
        Column("citizens changed", "int"),
        Column("citizens"),
    )
    return Sheet("Changes", columns, rows)


def assumptions(simulation: Simulation) -> Sheet:
    scenario, base = simulation.scenario, simulation.base
    rows: list[tuple[str, Any]] = [
        ("scenario file", simulation.source.name),
        ("title", scenario.title or ""),
        ("municipality", scenario.municipality),
        ("programme", scenario.programme),
        ("as of", simulation.as_of),
        ("base", ", ".join(f"{k} {v}" for k, v in base.origin.items())),
        ("rule pack", f"{simulation.pack.version} ({simulation.pack.content_hash})"),
        ("grant (kr)", base.grant.amount),
        ("project period", f"{base.grant.project_start} to {base.grant.project_end}"),
        (
            "choosing citizens",
            "count: N takes the first N members an operation applies to, in ascending citizen id order",
        ),
    ]
    if simulation.projection is not None:
        rows.append(("forecast", simulation.projection.assumption))
    rows += [("outlook", line) for line in simulation.outlook()]
    rows += [("warning", warning) for warning in simulation.warnings]
    return Sheet("Assumptions", (Column("what"), Column("value")), tuple(rows))
