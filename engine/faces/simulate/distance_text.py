"""The distance to each rate as a project leader reads it in a terminal (rich): the rates, who the
visitation rate still waits for, every month ahead with what it lacks for each step, the run of
months left, and this month's effort-group members without counted activity. Long lists are cut
(every row is in `--json`)."""

from rich.console import Console
from rich.table import Table

from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.distance import Distance
from engine.faces.simulate.terms import Step
from models import cpr

SHOWN = 20


def step_name(step: Step, t: Texts) -> str:
    """`rate 3 at 40.0 %`."""
    return t._("rate %(rate)s at %(share)s", rate=step.rate, share=t.percent(step.share))


def _more(shown: int, total: int, t: Texts) -> str | None:
    return (
        t._("and %(more)s more (all are in --json)", more=t.integer(total - shown)) if total > shown else None
    )


def show(console: Console, found: Distance, *, full_cpr: bool = False, t: Texts = ENGLISH) -> None:
    console.print(
        "[bold]"
        + t._("Distance to each rate: %(municipality)s", municipality=t.municipality(found.municipality))
        + "[/bold] — "
        + t._(
            "%(programme)s as of %(day)s, on the data of run %(run)s",
            programme=t.programme(found.programme),
            day=t.date(found.as_of),
            run=found.origin.get("run", "—"),
        )
    )
    rates = Table(t._("rate"), t._("triggered"), t._("date"), t._("amount"), title=t._("rates"))
    for rate in found.rates:
        rates.add_row(
            str(rate.rate),
            t.yes(rate.triggered),
            t.day(rate.date) if rate.date else "—",
            t.money(rate.amount),
        )
    console.print(rates)
    _visitation(console, found, full_cpr, t)
    _steps(console, found, t)
    _idle(console, found, full_cpr, t)
    for warning in found.warnings:
        console.print(f"[yellow]{t._('warning')}:[/yellow] {warning}")


def _visitation(console: Console, found: Distance, full_cpr: bool, t: Texts) -> None:
    visitation = found.visitation
    if visitation is None:
        console.print(t._("No rate of this programme waits for visitations."))
        return
    rate = visitation.rate
    if rate.triggered and rate.date is not None:
        console.print(t._("Rate %(rate)s was reached on %(day)s.", rate=rate.rate, day=t.date(rate.date)))
        return
    console.print(
        t.ngettext(
            "Rate %(rate)s: %(num)s member is still to be visitated, by %(deadline)s (%(days)s days left).",
            "Rate %(rate)s: %(num)s members are still to be visitated, by %(deadline)s (%(days)s days left).",
            len(visitation.waiting),
            rate=rate.rate,
            deadline=t.date(visitation.deadline),
            days=t.integer(visitation.days_left),
        )
    )
    if visitation.reason:
        console.print(f"  {visitation.reason}")
    table = Table(
        t._("citizen"),
        t._("status"),
        t._("group"),
        title=t._("still to be visitated"),
        caption=_more(SHOWN, len(visitation.waiting), t),
    )
    for waiting in visitation.waiting[:SHOWN]:
        table.add_row(
            cpr.shown(waiting.citizen_id, full=full_cpr),
            t.code("exit", waiting.status) if waiting.status else t._("active"),
            t.group(found.programme, waiting.group),
        )
    if visitation.waiting:
        console.print(table)


def _steps(console: Console, found: Distance, t: Texts) -> None:
    open_steps = [step for step in found.steps if not step.reached]
    for step in found.steps:
        pays = t.money(step.pays)
        if step.reached:
            console.print(t._("%(step)s is reached: it pays %(pays)s.", step=step_name(step, t), pays=pays))
        else:
            console.print(
                t.ngettext(
                    "%(step)s, %(num)s month: pays %(pays)s.",
                    "%(step)s, %(num)s months in a row: pays %(pays)s.",
                    step.months,
                    step=step_name(step, t),
                    pays=pays,
                )
            )
    if found.run is not None:
        run = found.run
        last = t.month(run.last_start) if run.last_start else t._("no month left")
        console.print(
            "  "
            + t._(
                "So far %(so_far)s in a row, %(needed)s more needed; %(left)s months of the project are left "
                "(a new run must begin by %(last)s): %(verdict)s.",
                so_far=t.integer(run.so_far),
                needed=t.integer(run.still_needed),
                left=t.integer(run.months_left),
                last=last,
                verdict=t._("still possible") if run.possible else t._("no longer possible"),
            )
        )
    if not open_steps or not found.months:
        return
    table = Table(
        t._("month"),
        t._("effort group"),
        t._("in activity"),
        *(t._("more for %(step)s", step=step_name(step, t)) for step in open_steps),
        title=t._("months ahead, as the data stands"),
    )
    for month in found.months:
        table.add_row(
            t.month(month.month, short=True),
            t.integer(month.effort_group),
            t.integer(month.in_activity),
            *(t.integer(need.more) for need in month.needs),
        )
    console.print(table)


def _idle(console: Console, found: Distance, full_cpr: bool, t: Texts) -> None:
    if found.month is None:
        return
    month = t.month(found.month)
    console.print(
        t.ngettext(
            "%(month)s: %(num)s effort-group member has no counted activity.",
            "%(month)s: %(num)s effort-group members have no counted activity.",
            len(found.idle),
            month=month,
        )
    )
    if not found.idle:
        return
    table = Table(
        t._("citizen"),
        t._("group"),
        t._("days in activity"),
        t._("active on %(day)s", day=t.day(found.as_of)),
        title=t._("to work from: %(month)s", month=month),
        caption=_more(SHOWN, len(found.idle), t),
    )
    for idle in found.idle[:SHOWN]:
        table.add_row(
            cpr.shown(idle.citizen_id, full=full_cpr),
            t.group(found.programme, idle.group),
            t.integer(idle.activity_days),
            t.yes(idle.active),
        )
    console.print(table)
