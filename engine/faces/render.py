"""Human-readable output of decisions, traces and rules (rich), shared by the CLI commands."""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from engine.rules.pack import AllOf, AnyOf, Compare, Condition, Pack, ParamRef, Ratio, Rule
from models import cpr
from models.status import MunicipalityStatus
from models.trace import Decision

SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in"}


def value(item: Any) -> str:
    if item is None:
        return "—"
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, date):
        return item.isoformat()
    if isinstance(item, list | tuple):
        return ", ".join(value(i) for i in item)
    return str(item)


def mapping(items: Mapping[str, Any]) -> str:
    return "\n".join(f"{name} = {value(v)}" for name, v in items.items())


def condition(cond: Condition) -> str:
    """A condition as one line of text an auditor can read."""
    if isinstance(cond, AllOf):
        return " and ".join(f"({condition(c)})" for c in cond.all)
    if isinstance(cond, AnyOf):
        return " or ".join(f"({condition(c)})" for c in cond.any)
    operand = cond.operand
    shown = f"parameter {operand.param}" if isinstance(operand, ParamRef) else value(operand)
    if isinstance(cond, Ratio):
        return f"{cond.numerator} / {cond.denominator} {SYMBOLS[cond.op]} {shown}"
    assert isinstance(cond, Compare)
    return f"{cond.fact} {SYMBOLS[cond.op]} {shown}"


def sequence(rule: Rule) -> str:
    """A sequence rule as one line: which rule must pass on how many consecutive facts."""
    assert rule.sequence is not None
    length = rule.sequence.length
    shown = f"parameter {length.param}" if isinstance(length, ParamRef) else str(length)
    return f"{rule.sequence.of} passes on {shown} consecutive facts"


def decision(console: Console, found: Decision, *, full_cpr: bool = False) -> None:
    style = "bold green" if found.outcome else "bold red"
    header = Text.assemble(
        (found.verdict, style),
        f"  {found.label} — citizen {cpr.shown(found.subject, full=full_cpr)}, municipality {found.municipality}, "
        f"decided on {found.decided_on} by {found.programme} pack {found.pack_version} "
        f"({found.pack_hash[:12]})",
    )
    console.print(header)
    for entry in found.trace:
        mark = "[green]✓ passed[/green]" if entry.passed else "[red]✗ FAILED[/red]"
        subject = f" [{entry.subject}]" if entry.subject else ""
        console.print(f"\n{mark}  [bold]{entry.rule}[/bold]{subject} — {entry.label}")
        for title, items in (("facts", entry.facts), ("parameters", entry.parameters)):
            if items:
                console.print(f"    {title}: " + "; ".join(f"{k} = {value(v)}" for k, v in items.items()))
        console.print(f"    source: {entry.source.document or entry.source.title}: “{entry.source.quote}”")
    if found.failed_rules:
        console.print(f"\nFailing rules: {', '.join(found.failed_rules)}")


def rules_table(pack: Pack, rules: Iterable[Rule], params: Mapping[str, Any]) -> Table:
    table = Table(title=f"{pack.label} — pack {pack.version} ({pack.content_hash[:12]})", show_lines=True)
    for column in ("rule", "label", "parameters (in force today)", "source"):
        table.add_column(column, overflow="fold")
    for rule in rules:
        table.add_row(
            rule.id,
            rule.label,
            mapping({name: params.get(name, "(not in force today)") for name in rule.parameters}),
            f"{pack.sources[rule.source.ref].file or pack.sources[rule.source.ref].title}:\n“{rule.source.quote}”",
        )
    return table


def rule_detail(pack: Pack, rule: Rule) -> Panel:
    document = pack.sources[rule.source.ref]
    lines = [
        f"[bold]{rule.id}[/bold] — {rule.label}",
        f"applies from {rule.applies_from}; pack {pack.programme} {pack.version} ({pack.content_hash[:12]})",
        f"condition: {condition(rule.when)}" if rule.when is not None else f"condition: {sequence(rule)}",
        f"facts shown in its trace: {', '.join(rule.facts)}",
        "",
        f"source: {document.title} ({document.file or 'no file'})",
        f"“{rule.source.quote}”",
    ]
    if rule.source.note:
        lines.append(f"note: {rule.source.note}")
    parameters = Table("parameter", "from", "value", "by municipality", title="parameters")
    for name in rule.parameters:
        parameter = pack.parameters[name]
        overrides = "; ".join(
            f"{k}: {', '.join(f'{v.start} → {value(v.value)}' for v in values)}"
            for k, values in parameter.by_municipality.items()
        )
        for dated in parameter.values:
            parameters.add_row(
                f"{name}\n[dim]{parameter.label}[/dim]", str(dated.start), value(dated.value), overrides
            )
    return Panel(Group("\n".join(lines), parameters), title=rule.id)


def municipality_status(console: Console, status: MunicipalityStatus, *, full_cpr: bool = False) -> None:
    """A municipality's status as a project leader reads it: members, exits, visitation, rates, months."""
    console.print(
        f"[bold]Municipality {status.municipality}[/bold] — {status.programme}, as of {status.as_of}: "
        f"{status.members} members, {status.active} active, grant {status.grant:,.2f} kr"
    )
    if status.exits:
        console.print("  exits: " + ", ".join(f"{k} {v}" for k, v in status.exits.items()))
    console.print(
        "  visitation of active members: " + ", ".join(f"{k}: {v}" for k, v in status.visitation.items())
    )
    rates = Table("rate", "triggered", "date", "amount (kr)", "what blocks it", title="rates")
    for rate in status.rates:
        rates.add_row(
            str(rate.rate),
            "[green]yes[/green]" if rate.triggered else "[red]no[/red]",
            value(rate.date),
            f"{rate.amount:,.2f}",
            blocked(rate.blocked_by, full_cpr=full_cpr),
        )
    console.print(rates)
    if status.grant_years:
        budgeted = ", ".join(f"{y.year}: {y.amount:,.2f}" for y in status.grant_years)
        total = sum(y.amount for y in status.grant_years)
        console.print(f"  grant by year: {budgeted} (together {total:,.2f} kr)")
    if status.months:
        months = Table(
            "month",
            "effort group",
            "counted",
            "share",
            "qualifies",
            "more needed",
            title="the effort group month by month (counted: in activity that counts)",
        )
        for month in status.months:
            share = f"{100 * month.in_activity / month.effort_group:.1f} %" if month.effort_group else "—"
            months.add_row(
                month.month,
                str(month.effort_group),
                str(month.in_activity),
                share,
                "[green]yes[/green]" if month.qualifies else "no",
                "cannot qualify" if month.needed is None else str(month.needed or ""),
            )
        console.print(months)
    for warning in status.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def blocked(blocked_by: Mapping[str, Any] | None, *, full_cpr: bool = False) -> str:
    if not blocked_by:
        return ""
    if "citizens" in blocked_by:
        people = [cpr.shown(c, full=full_cpr) for c in blocked_by["citizens"]]
        shown = ", ".join(people[:5]) + (f" and {len(people) - 5} more" if len(people) > 5 else "")
        reason = f" ({blocked_by['reason']})" if "reason" in blocked_by else ""
        return f"{blocked_by['not_visitated']} not visitated on {blocked_by['day']}{reason}: {shown}"
    if "not_yet_decidable" in blocked_by:
        return str(blocked_by["not_yet_decidable"])
    if "months" in blocked_by:
        short = [m for m in blocked_by["months"] if m.get("needed") or "cannot_qualify" in m]
        needed = "; ".join(_month_needs(m) for m in short[-6:]) or "no qualifying run yet"
        steps = [s for s in blocked_by.get("steps", ()) if s["reached_in"] is None]
        return (f"not yet reached: {', '.join(s['step'] for s in steps)}; " if steps else "") + needed
    return ", ".join(f"{k} {v}" for k, v in blocked_by.items())


def _month_needs(month: Mapping[str, Any]) -> str:
    if "cannot_qualify" in month:
        return f"{month['month']}: cannot qualify ({month['cannot_qualify']})"
    return f"{month['month']}: {month['needed']} more"


def masked_status(status: MunicipalityStatus, *, full_cpr: bool = False) -> dict[str, Any]:
    """`fsm status --json` of one municipality: CPR numbers masked unless asked for."""
    document = status.model_dump(mode="json")
    for rate in document["rates"]:
        blocked_by = rate.get("blocked_by") or {}
        if "citizens" in blocked_by:
            blocked_by["citizens"] = [cpr.shown(c, full=full_cpr) for c in blocked_by["citizens"]]
    return document


def _amount(text: str) -> str:
    return f"{Decimal(text):,.2f} kr"


def _rate_terms(terms: Mapping[str, Any] | None) -> str:
    if terms is None:
        return "no such rate"
    if not terms["triggered"]:
        return f"not triggered ({_amount(terms['amount'])})"
    return f"triggered on {terms['date']}, {_amount(terms['amount'])}"


def _month_terms(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """A month's figures, each `before → after` where it changed."""
    if before is None or after is None:
        return (
            ("not looked at → " if before is None else "")
            + _month_figures(before or after)
            + (" → not looked at" if after is None else "")
        )
    return _month_figures(before, after)


def _month_figures(before: Mapping[str, Any], after: Mapping[str, Any] | None = None) -> str:
    def pair(name: str, words: Any = None) -> str:
        shown = words or (lambda v: str(v))
        if after is None or before[name] == after[name]:
            return shown(before[name])
        return f"{shown(before[name])} → {shown(after[name])}"

    def qualifies(value: bool) -> str:
        return "qualifies" if value else "does not qualify"

    return (
        f"effort group {pair('effort_group')}, counted {pair('in_activity')}, {pair('qualifies', qualifies)}"
    )


def diff_header(runs: Mapping[str, Any]) -> list[str]:
    """The two runs of a diff and what differs between them besides their results."""

    def run(r: Mapping[str, Any]) -> str:
        data = f"delivery {r['delivery']}" if r["delivery"] is not None else "no delivery"
        return f"run {r['run']} ({r['programme']} as of {r['as_of']}, {data}, {r['municipality'] or 'every municipality'})"

    return [
        f"From {run(runs['first'])} to {run(runs['second'])}",
        *(f"note: {note}" for note in runs["notes"]),
    ]


def diff_counts(summary: Mapping[str, Any]) -> str:
    return (
        f"{summary['citizen_changes']} citizens' decisions changed; {len(summary['municipalities'])} "
        f"municipalities changed, {summary['unchanged_municipalities']} unchanged"
    )


def diff_municipality(entry: Mapping[str, Any]) -> list[str]:
    """A municipality's summary in a diff, a line per change (the first line names it)."""
    lines = [f"municipality {entry['code']}: {entry['citizens']} citizens' decisions changed"]
    if "only_in" in entry:
        lines.append(f"  evaluated by run {entry['only_in']} only")
    figures = "; ".join(
        f"{f['what']} {value(f['before'])} → {value(f['after'])}" for f in entry.get("figures", ())
    )
    if figures:
        lines.append(f"  {figures}")
    for rate in entry.get("rates", ()):
        lines.append(
            f"  rate {rate['rate']}: {_rate_terms(rate['before'])} → {_rate_terms(rate['after'])}; "
            f"because of {'; '.join(rate['why'])}"
        )
    for month in entry.get("months", ()):
        lines.append(f"  {month['month']}: {_month_terms(month['before'], month['after'])} ({month['why']})")
    return lines


def diff_change(change: Mapping[str, Any]) -> str:
    """One citizen's change in a diff, with why (CPR numbers already shown as the reader may see them)."""
    why = "; ".join(f"{k}: {value(a)} → {value(b)}" for k, (a, b) in change["facts_changed"].items())
    failing = f" Failing now: {', '.join(change['failed_after'])}." if change["failed_after"] else ""
    return (
        f"{change['municipality']} {change['subject']} {change['decision']}: {change['before']} → {change['after']}."
        + failing
        + (f" Because {why}." if why else "")
    )
