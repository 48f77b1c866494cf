"""A simulation's tables, with typed cells (dates as dates, amounts as Decimal, counts as int), shared
by the text output and the Excel workbook: rates side by side with the difference in money, months
side by side, every difference with the change that made it, the changes, and the assumptions.
Citizens are shown masked unless `full_cpr`."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from engine.faces.cells import Column
from engine.faces.i18n import ENGLISH, Texts
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


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def sheets(simulation: Simulation, *, full_cpr: bool = False, t: Texts = ENGLISH) -> list[Sheet]:
    return [
        rates(simulation, t),
        months(simulation, t),
        differences(simulation, full_cpr=full_cpr, t=t),
        changes(simulation, full_cpr=full_cpr, t=t),
        assumptions(simulation, t),
    ]


def ref_text(ref: ChangeRef | None, t: Texts = ENGLISH) -> str:
    """`changes[1] (line 12, add_activity)`."""
    if ref is None:
        return ""
    if ref.line is None:
        return t._("changes[%(index)s] (%(op)s)", index=ref.index, op=ref.op)
    return t._("changes[%(index)s] (line %(line)s, %(op)s)", index=ref.index, line=ref.line, op=ref.op)


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


def rates(simulation: Simulation, t: Texts = ENGLISH) -> Sheet:
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
            ref_text(pair.made_by, t),
        )
        for pair in rate_pairs(simulation)
    ]
    total = simulation.payouts[-1]
    rows.append((t._("total"), None, None, total.baseline, None, None, total.scenario, total.difference, ""))
    return Sheet(
        t._("Rates"),
        (
            Column(t._("rate")),
            Column(t._("baseline triggered"), "bool"),
            Column(t._("baseline date"), "date"),
            Column(t._("baseline paid (kr)"), "money"),
            Column(t._("scenario triggered"), "bool"),
            Column(t._("scenario date"), "date"),
            Column(t._("scenario paid (kr)"), "money"),
            Column(t._("difference (kr)"), "money"),
            Column(t._("made different by")),
        ),
        tuple(rows),
    )


def share(month: MonthResult | None) -> Decimal | None:
    """The month's share for display, rounded to 0.01 %; the rules compare exactly."""
    if month is None or not month.effort_group:
        return None
    return (Decimal(month.in_activity) / Decimal(month.effort_group)).quantize(Decimal("0.0001"))


def months(simulation: Simulation, t: Texts = ENGLISH) -> Sheet:
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
        rows.append((*cells, ref_text(pair.made_by, t)))
    columns = (
        Column(t._("month"), "month"),
        Column(t._("baseline effort group"), "int"),
        Column(t._("baseline in activity"), "int"),
        Column(t._("baseline share"), "share"),
        Column(t._("baseline qualifies"), "bool"),
        Column(t._("scenario effort group"), "int"),
        Column(t._("scenario in activity"), "int"),
        Column(t._("scenario share"), "share"),
        Column(t._("scenario qualifies"), "bool"),
        Column(t._("made different by")),
    )
    return Sheet(t._("Months"), columns, tuple(rows))


def _word(value: Any, t: Texts) -> str:
    if value is None:
        return "—"
    return t.yes(value) if isinstance(value, bool) else str(value)


def value_text(value: Any, t: Texts = ENGLISH) -> str:
    """A decision's value in a cell: `triggered: yes, date: 2018-05-31, amount: 3524700.00`."""
    if not isinstance(value, dict):
        return t._("not evaluated") if value is None else str(value)
    return ", ".join(f"{k}: {_word(v, t)}" for k, v in value.items())


def what_changed(before: Any, after: Any, t: Texts = ENGLISH) -> str:
    """Only what differs: `group: mangler → 2`."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return f"{value_text(before, t)} → {value_text(after, t)}"
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return "; ".join(f"{k}: {_word(before.get(k), t)} → {_word(after.get(k), t)}" for k in keys)


def differences(simulation: Simulation, *, full_cpr: bool = False, t: Texts = ENGLISH) -> Sheet:
    rows = tuple(
        (
            d.decision,
            cpr.shown(d.subject, full=full_cpr) if d.citizen else d.subject,
            value_text(d.baseline, t),
            value_text(d.scenario, t),
            what_changed(d.baseline, d.scenario, t),
            d.change.index,
            d.change.line,
            d.change.op,
            ", ".join(ref_text(r, t) for r in d.then_changed_by),
        )
        for d in simulation.differences
    )
    columns = (
        Column(t._("decision")),
        Column(t._("subject")),
        Column(t._("baseline")),
        Column(t._("scenario")),
        Column(t._("what changed")),
        Column(t._("change"), "int"),
        Column(t._("line"), "int"),
        Column(t._("operation")),
        Column(t._("then changed by")),
    )
    return Sheet(t._("Differences"), columns, rows)


def describe(change: Change, programme: str, t: Texts = ENGLISH) -> str:
    """A change in words: `add virksomhedspraktik from 2018-03-01 to 2018-05-29 (count 25)`."""
    if isinstance(change, SetParameter):
        return t._("set %(name)s = %(value)s", name=change.name, value=change.value)
    named = len(change.citizens or ())
    who = (
        t._("count %(count)s", count=change.count)
        if change.count is not None
        else t.ngettext("%(num)s named citizen", "%(num)s named citizens", named)
    )
    match change:
        case Visitate():
            values = {"group": t.group(programme, change.group), "day": t.day(change.day), "who": who}
            if change.only_active:
                return t._("visitate into %(group)s on %(day)s (%(who)s, active only)", **values)
            return t._("visitate into %(group)s on %(day)s (%(who)s)", **values)
        case AddActivity():
            return t._(
                "add %(activity)s from %(first)s to %(last)s (%(who)s)",
                activity=t.code("activity", change.activity.value),
                first=t.day(change.start),
                last=t.day(change.last),
                who=who,
            )
        case EndActivity():
            what = (
                t.code("activity", change.activity.value) if change.activity else t._("counting activities")
            )
            return t._("end %(what)s on %(day)s (%(who)s)", what=what, day=t.day(change.day), who=who)
        case MoveGroup():
            values = {"group": t.group(programme, change.group), "day": t.day(change.day), "who": who}
            if change.from_group:
                return t._(
                    "move from %(source)s to %(group)s on %(day)s (%(who)s)",
                    source=t.group(programme, change.from_group),
                    **values,
                )
            return t._("move to %(group)s on %(day)s (%(who)s)", **values)
        case Exit():
            return t._(
                "exit on %(day)s as %(reason)s (%(who)s)",
                day=t.day(change.day),
                reason=t.code("exit", change.reason),
                who=who,
            )


def changes(simulation: Simulation, *, full_cpr: bool = False, t: Texts = ENGLISH) -> Sheet:
    rows = tuple(
        (
            step.ref.index,
            step.ref.line,
            step.ref.op,
            describe(step.change, simulation.scenario.programme, t),
            len(step.citizens),
            ", ".join(cpr.shown(c, full=full_cpr) for c in step.citizens),
        )
        for step in simulation.steps
    )
    columns = (
        Column(t._("change"), "int"),
        Column(t._("line"), "int"),
        Column(t._("operation")),
        Column(t._("what")),
        Column(t._("citizens changed"), "int"),
        Column(t._("citizens")),
    )
    return Sheet(t._("Changes"), columns, rows)


def assumptions(simulation: Simulation, t: Texts = ENGLISH) -> Sheet:
    scenario, base = simulation.scenario, simulation.base
    rows: list[tuple[str, Any]] = [
        (t._("scenario file"), simulation.source.name),
        (t._("title"), scenario.title or ""),
        (t._("municipality"), t.municipality(scenario.municipality)),
        (t._("programme"), t.programme(scenario.programme)),
        (t._("as of"), simulation.as_of),
        (t._("base"), ", ".join(f"{k} {v}" for k, v in base.origin.items())),
        (t._("rule pack"), f"{simulation.pack.version} ({simulation.pack.content_hash})"),
        (t._("grant (kr)"), base.grant.amount),
        (
            t._("project period"),
            t._(
                "%(first)s to %(last)s",
                first=t.day(base.grant.project_start),
                last=t.day(base.grant.project_end),
            ),
        ),
        (
            t._("choosing citizens"),
            t._("count: N takes the first N members an operation applies to, in ascending citizen id order"),
        ),
    ]
    if simulation.projection is not None:
        rows.append((t._("forecast"), simulation.projection.assumption_in(t)))
    rows += [(t._("outlook"), line) for line in simulation.outlook(t)]
    rows += [(t._("warning"), warning) for warning in simulation.warnings]
    return Sheet(t._("Assumptions"), (Column(t._("what")), Column(t._("value"))), tuple(rows))
