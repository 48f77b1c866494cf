"""Human-readable output of decisions, traces and rules (rich), shared by the CLI commands."""

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from engine.faces.i18n import ENGLISH, N_, Texts
from engine.rules.pack import AllOf, AnyOf, Compare, Condition, Pack, ParamRef, Ratio, Rule
from engine.runs import diff as diffs
from models import cpr
from models.status import MunicipalityStatus
from models.trace import Decision

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in"}


def value(item: Any, t: Texts = ENGLISH) -> str:
    """A fact's or parameter's value as text: codes as the data has them, dates as tables show them."""
    if item is None:
        return "—"
    if isinstance(item, bool):
        return t.yes(item)
    if isinstance(item, date):
        return t.day(item)
    if isinstance(item, str) and ISO_DATE.fullmatch(item):  # a stored trace's dates are ISO text
        return t.day(date.fromisoformat(item))
    if isinstance(item, Decimal):
        return t.decimal(item)
    if isinstance(item, list | tuple):
        return ", ".join(value(i, t) for i in item)
    return t.rules_words(item) if isinstance(item, str) else str(item)


def shown(item: Any, t: Texts = ENGLISH) -> str:
    """A fact's, parameter's or detail's value as text: what blocks a rate in words, another mapping
    as `key: value` pairs, the rest as `value` has it. (CPR numbers in it are already shown as the
    reader may see them.)"""
    if isinstance(item, Mapping) and item.keys() & {"not_visitated", "months", "not_yet_decidable"}:
        return blocked(item, full_cpr=True, t=t)
    if isinstance(item, Mapping):
        return "; ".join(f"{key}: {shown(v, t)}" for key, v in item.items())
    return value(item, t)


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


def decision(console: Console, found: Decision, *, full_cpr: bool = False, t: Texts = ENGLISH) -> None:
    """A decision with its trace: every rule, passed or failed, its facts, parameters and source."""
    style = "bold green" if found.outcome else "bold red"
    about = t._(
        "%(label)s — citizen %(citizen)s, municipality %(municipality)s, decided on %(day)s by %(programme)s "
        "pack %(version)s (%(hash)s)",
        label=t._(found.label),
        citizen=cpr.shown(found.subject, full=full_cpr),
        municipality=t.municipality(found.municipality),
        day=t.day(found.decided_on),
        programme=found.programme,
        version=found.pack_version,
        hash=found.pack_hash[:12],
    )
    console.print(Text.assemble((t._(found.verdict), style), f"  {about}"))
    for entry in found.trace:
        passed, failed = t._("passed"), t._("FAILED")
        mark = f"[green]✓ {passed}[/green]" if entry.passed else f"[red]✗ {failed}[/red]"
        subject = f" [{entry.subject}]" if entry.subject else ""
        label = t._(entry.label)
        console.print(f"\n{mark}  [bold]{entry.rule}[/bold]{subject} — {label}")
        for title, items in ((t._("facts"), entry.facts), (t._("parameters"), entry.parameters)):
            if items:
                console.print(f"    {title}: " + "; ".join(f"{k} = {value(v, t)}" for k, v in items.items()))
        document, source = entry.source.document or entry.source.title, t._("source")
        console.print(f"    {source}: {document}: “{entry.source.quote}”")
    if found.failed_rules:
        console.print("\n" + t._("Failing rules: %(rules)s", rules=", ".join(found.failed_rules)))


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


def municipality_status(
    console: Console, status: MunicipalityStatus, *, full_cpr: bool = False, t: Texts = ENGLISH
) -> None:
    """A municipality's status as a project leader reads it: members, exits, visitation, rates, months."""
    console.print(
        "[bold]"
        + t._("Municipality %(municipality)s", municipality=t.municipality(status.municipality))
        + "[/bold] — "
        + t._(
            "%(programme)s, as of %(day)s: %(members)s members, %(active)s active, grant %(grant)s",
            programme=t.programme(status.programme),
            day=t.date(status.as_of),
            members=t.integer(status.members),
            active=t.integer(status.active),
            grant=t.money(status.grant),
        )
    )
    if status.exits:
        exits = ", ".join(f"{t.code('exit', k)} {t.integer(v)}" for k, v in status.exits.items())
        console.print("  " + t._("exits: %(exits)s", exits=exits))
    groups = "; ".join(
        f"{t.group(status.programme, k)}: {t.integer(v)}" for k, v in status.visitation.items()
    )
    console.print("  " + t._("visitation of active members: %(groups)s", groups=groups))
    rates = Table(
        t._("rate"), t._("triggered"), t._("date"), t._("amount"), t._("what blocks it"), title=t._("rates")
    )
    for rate in status.rates:
        rates.add_row(
            str(rate.rate),
            f"[green]{t.yes(True)}[/green]" if rate.triggered else f"[red]{t.yes(False)}[/red]",
            value(rate.date, t),
            t.money(rate.amount),
            blocked(rate.blocked_by, full_cpr=full_cpr, t=t),
        )
    console.print(rates)
    if status.grant_years:
        budgeted = ", ".join(f"{y.year}: {t.money(y.amount)}" for y in status.grant_years)
        total = t.money(sum(y.amount for y in status.grant_years))
        console.print(
            "  " + t._("grant by year: %(years)s (together %(total)s)", years=budgeted, total=total)
        )
    if status.months:
        console.print(months_table(status, t))
    warnings(console, status.warnings, t)


def warnings(console: Console, found: Iterable[str], t: Texts = ENGLISH) -> None:
    """Each warning on a line of its own, marked."""
    word = t._("warning")
    for warning in found:
        console.print(f"[yellow]{word}:[/yellow] {t.rules_words(warning)}")


def months_table(status: MunicipalityStatus, t: Texts = ENGLISH) -> Table:
    """The effort group month by month: its size, how many counted, the share, whether it qualifies."""
    months = Table(
        t._("month"),
        t._("effort group"),
        t._("counted"),
        t._("share"),
        t._("qualifies"),
        t._("more needed"),
        title=t._("the effort group month by month (counted: in activity that counts)"),
    )
    for month in status.months:
        months.add_row(
            t.month(month.month, short=True),
            t.integer(month.effort_group),
            t.integer(month.in_activity),
            t.percent(Fraction(month.in_activity, month.effort_group)) if month.effort_group else "—",
            f"[green]{t.yes(True)}[/green]" if month.qualifies else t.yes(False),
            t._("cannot qualify")
            if month.needed is None
            else t.integer(month.needed)
            if month.needed
            else "",
        )
    return months


def blocked(blocked_by: Mapping[str, Any] | None, *, full_cpr: bool = False, t: Texts = ENGLISH) -> str:
    """What keeps a rate from triggering, in words: who is not visitated (how many only, when the
    citizens are left out), or the activity short per month."""
    if not blocked_by:
        return ""
    if "not_visitated" in blocked_by:
        reason = f" ({t.rules_words(blocked_by['reason'])})" if "reason" in blocked_by else ""
        count = t.integer(blocked_by["not_visitated"])
        day = t.day(date.fromisoformat(blocked_by["day"]))
        if "citizens" not in blocked_by:  # a summary: who they are is told elsewhere
            return t._("%(count)s not visitated on %(day)s%(reason)s", count=count, day=day, reason=reason)
        people = [cpr.shown(c, full=full_cpr) for c in blocked_by["citizens"]]
        shown = ", ".join(people[:5])
        if len(people) > 5:
            shown += " " + t._("and %(more)s more", more=t.integer(len(people) - 5))
        return t._(
            "%(count)s not visitated on %(day)s%(reason)s: %(citizens)s",
            count=count,
            day=day,
            reason=reason,
            citizens=shown,
        )
    if "not_yet_decidable" in blocked_by:
        return t.rules_words(str(blocked_by["not_yet_decidable"]))
    if "months" in blocked_by:
        short = [m for m in blocked_by["months"] if m.get("needed") or "cannot_qualify" in m]
        needed = "; ".join(_month_needs(m, t) for m in short[-6:])
        needed = needed or t._("no qualifying run yet")
        steps = [s["step"] for s in blocked_by.get("steps", ()) if s["reached_in"] is None]
        reached = t._("not yet reached: %(steps)s", steps=", ".join(steps)) + "; " if steps else ""
        return reached + needed
    return ", ".join(f"{k} {v}" for k, v in blocked_by.items())


def _month_needs(month: Mapping[str, Any], t: Texts) -> str:
    shown = t.month(month["month"], short=True)
    if "cannot_qualify" in month:
        return t._(
            "%(month)s: cannot qualify (%(why)s)", month=shown, why=t.rules_words(month["cannot_qualify"])
        )
    return t._("%(month)s: %(more)s more", month=shown, more=t.integer(month["needed"]))


def masked_status(status: MunicipalityStatus, *, full_cpr: bool = False) -> dict[str, Any]:
    """`fsm status --json` of one municipality: CPR numbers masked unless asked for."""
    document = status.model_dump(mode="json")
    for rate in document["rates"]:
        blocked_by = rate.get("blocked_by") or {}
        if "citizens" in blocked_by:
            blocked_by["citizens"] = [cpr.shown(c, full=full_cpr) for c in blocked_by["citizens"]]
    return document


def _rate_terms(terms: Mapping[str, Any] | None, t: Texts) -> str:
    if terms is None:
        return t._("no such rate")
    amount = t.money(Decimal(terms["amount"]))
    if not terms["triggered"]:
        return t._("not triggered (%(amount)s)", amount=amount)
    return t._(
        "triggered on %(day)s, %(amount)s", day=t.day(date.fromisoformat(terms["date"])), amount=amount
    )


def _month_terms(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, t: Texts) -> str:
    """A month's figures, each `before → after` where it changed."""
    if before is None or after is None:
        unseen = t._("not looked at")
        figures = _month_figures(before or after, None, t)  # type: ignore[arg-type]
        return f"{unseen} → {figures}" if before is None else f"{figures} → {unseen}"
    return _month_figures(before, after, t)


def _month_figures(before: Mapping[str, Any], after: Mapping[str, Any] | None, t: Texts) -> str:
    def pair(name: str, words: Any = str) -> str:
        if after is None or before[name] == after[name]:
            return words(before[name])
        return f"{words(before[name])} → {words(after[name])}"

    def qualifies(value: bool) -> str:
        return t._("qualifies") if value else t._("does not qualify")

    return t._(
        "effort group %(group)s, counted %(counted)s, %(qualifies)s",
        group=pair("effort_group", t.integer),
        counted=pair("in_activity", t.integer),
        qualifies=pair("qualifies", qualifies),
    )


FIGURES = {"members": N_("members"), "active": N_("active"), "grant": N_("grant")}


def _figure(what: str, t: Texts) -> str:
    """A municipality's figure in a diff: members, active, the grant, `exits.<status>`, `visitation.<group>`."""
    kind, _, key = what.partition(".")
    if kind == "exits":
        return t._("exits %(status)s", status=t.code("exit", key))
    if kind == "visitation":
        return t._("visitation %(group)s", group=key)
    return t._(FIGURES[what])


def outcome(words: str, decision: str, t: Texts = ENGLISH) -> str:
    """A decision's outcome as a diff stores it (`passed, exit <status>, group <key>`), in words."""
    verdict, exit_status, group = diffs.outcome_parts(words)
    shown = [t._(verdict)]
    if exit_status is not None:
        shown.append(t._("exit %(status)s", status=t.code("exit", exit_status)))
    if group is not None:
        shown.append(t.group(decision.partition(".")[0], group))
    return ", ".join(shown)


def diff_run(r: Mapping[str, Any], t: Texts = ENGLISH) -> str:
    """A run of a diff in words: its number, programme, as-of date, delivery and scope."""
    return t._(
        "run %(run)s (%(programme)s as of %(day)s, %(data)s, %(scope)s)",
        run=r["run"],
        programme=r["programme"],
        day=t.day(date.fromisoformat(r["as_of"])),
        data=t._("delivery %(delivery)s", delivery=r["delivery"])
        if r["delivery"] is not None
        else t._("no delivery"),
        scope=t.municipality(r["municipality"]) if r["municipality"] else t._("every municipality"),
    )


def diff_header(runs: Mapping[str, Any], t: Texts = ENGLISH) -> list[str]:
    """The two runs of a diff and what differs between them besides their results (each note a line
    starting `note:`, in the reader's language)."""
    return [
        t._(
            "From %(first)s to %(second)s",
            first=diff_run(runs["first"], t),
            second=diff_run(runs["second"], t),
        ),
        *(t._("note: %(note)s", note=text) for text in t.worded(runs["notes"])),
    ]


def diff_counts(summary: Mapping[str, Any], t: Texts = ENGLISH) -> str:
    return t._(
        "%(citizens)s citizens' decisions changed; %(changed)s municipalities changed, %(unchanged)s unchanged",
        citizens=t.integer(summary["citizen_changes"]),
        changed=t.integer(len(summary["municipalities"])),
        unchanged=t.integer(summary["unchanged_municipalities"]),
    )


def diff_municipality(entry: Mapping[str, Any], t: Texts = ENGLISH) -> list[str]:
    """A municipality's summary in a diff, a line per change (the first line names it)."""
    lines = [
        t._(
            "municipality %(municipality)s: %(citizens)s citizens' decisions changed",
            municipality=t.municipality(entry["code"]),
            citizens=t.integer(entry["citizens"]),
        )
    ]
    if "only_in" in entry:
        lines.append("  " + t._("evaluated by run %(run)s only", run=entry["only_in"]))
    figures = "; ".join(
        f"{_figure(f['what'], t)} {value(f['before'], t)} → {value(f['after'], t)}"
        for f in entry.get("figures", ())
    )
    if figures:
        lines.append(f"  {figures}")
    for rate in entry.get("rates", ()):
        lines.append(
            "  "
            + t._(
                "rate %(rate)s: %(before)s → %(after)s; because of %(why)s",
                rate=rate["rate"],
                before=_rate_terms(rate["before"], t),
                after=_rate_terms(rate["after"], t),
                why="; ".join(t.worded(rate["why"])),
            )
        )
    for month in entry.get("months", ()):
        lines.append(
            f"  {t.month(month['month'])}: {_month_terms(month['before'], month['after'], t)} "
            f"({t.worded(month['why'])})"
        )
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
