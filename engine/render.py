"""Human-readable output of decisions, traces and rules (rich), shared by the CLI commands."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from engine import cpr
from engine.pack import AllOf, AnyOf, Compare, Condition, Pack, ParamRef, Ratio, Rule
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


def decision(console: Console, found: Decision, *, full_cpr: bool = False) -> None:
    verdict = "MEMBER" if found.outcome else "NOT A MEMBER"
    style = "bold green" if found.outcome else "bold red"
    header = Text.assemble(
        (verdict, style),
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
            mapping({name: params[name] for name in rule.parameters}),
            f"{pack.sources[rule.source.ref].file or pack.sources[rule.source.ref].title}:\n“{rule.source.quote}”",
        )
    return table


def rule_detail(pack: Pack, rule: Rule) -> Panel:
    document = pack.sources[rule.source.ref]
    lines = [
        f"[bold]{rule.id}[/bold] — {rule.label}",
        f"applies from {rule.applies_from}; pack {pack.programme} {pack.version} ({pack.content_hash[:12]})",
        f"condition: {condition(rule.when)}"
        + (f" for {rule.sequence} consecutive facts" if rule.sequence else ""),
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
