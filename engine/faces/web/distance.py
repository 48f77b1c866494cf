"""The distance to each rate of a municipality, on a run's data as of the run's day or a chosen one
(`?as_of=`): who the visitation rate still waits for (masked unless the role allows) and by when;
the steps of the rate paid for the monthly share with what each month left lacks for them and the
run of months still possible; this month's effort-group members without counted activity. Each list
is a table with Excel and CSV downloads; every citizen shown is logged."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces.downloads import Column, Table
from engine.faces.i18n import Texts
from engine.faces.simulate.api import Invalid, distance_of
from engine.faces.simulate.distance import Distance
from engine.faces.simulate.distance_text import step_name
from engine.faces.users import User
from engine.faces.web.auth import Simulator
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode, Refusal, log_access, municipality_row
from engine.faces.web.pages import page, texts_of
from engine.faces.web.tables import Download
from engine.faces.web.workbench import check_works_on, kept, refusals, scope
from models import cpr
from models.runs import Run

pages = APIRouter(include_in_schema=False)
routers = (pages,)
SHOWN = 50
"""Rows of a long list a page shows (the download has every one)."""
AsOf = Annotated[date | None, Query(description="Evaluate as of this day (default: the run's as-of date)")]


class DistanceTable(StrEnum):
    waiting = "waiting"
    steps = "steps"
    months = "months"
    idle = "idle"


@dataclass(frozen=True)
class Tables:
    waiting: Table
    steps: Table
    months: Table
    idle: Table


def tables(found: Distance, user: User, t: Texts) -> Tables:
    full, programme = user.may("full_cpr"), found.programme
    waiting = found.visitation.waiting if found.visitation else ()
    open_steps = [step for step in found.steps if not step.reached]
    return Tables(
        waiting=Table(
            t._("still to be visitated"),
            (Column(t._("citizen")), Column(t._("status")), Column(t._("group"))),
            [
                (
                    cpr.shown(w.citizen_id, full=full),
                    t.code("exit", w.status) if w.status else t._("active"),
                    t.group(programme, w.group),
                )
                for w in waiting
            ],
        ),
        steps=Table(
            t._("steps"),
            (
                Column(t._("step")),
                Column(t._("share"), "share"),
                Column(t._("months in a row"), "int"),
                Column(t._("pays"), "money"),
                Column(t._("reached"), "bool"),
            ),
            [(step_name(s, t), s.share, s.months, s.pays, s.reached) for s in found.steps],
        ),
        months=Table(
            t._("months ahead, as the data stands"),
            (
                Column(t._("month"), "month"),
                Column(t._("effort group"), "int"),
                Column(t._("in activity"), "int"),
                *(Column(t._("more for %(step)s", step=step_name(s, t)), "int") for s in open_steps),
            ),
            [
                (m.month, m.effort_group, m.in_activity, *(need.more for need in m.needs))
                for m in found.months
            ],
        ),
        idle=Table(
            t._("to work from: %(month)s", month=t.month(found.month))
            if found.month
            else t._("to work from"),
            (
                Column(t._("citizen")),
                Column(t._("group")),
                Column(t._("days in activity"), "int"),
                Column(t._("active on %(day)s", day=t.day(found.as_of)), "bool"),
            ),
            [
                (
                    cpr.shown(i.citizen_id, full=full),
                    t.group(programme, i.group) if i.group else None,
                    i.activity_days,
                    i.active,
                )
                for i in found.idle
            ],
        ),
    )


def measured(
    request: Request, session: Session, run: Run, municipality: str, as_of: date | None, user: User
) -> Distance:
    """The distance of the municipality on the run's data (404 for one the user may not see)."""
    check_works_on(user, municipality)
    municipality_row(session, run, municipality, user)
    with refusals(municipality):
        try:
            return distance_of(
                municipality,
                database=request.app.state.engine,
                municipalities=scope(user),
                programme=run.programme,
                run=run.id,
                as_of=as_of,
                kept=kept(request),
            )
        except Invalid as error:
            raise Refusal(422, "; ".join(p["text"] for p in error.problems)) from None


@pages.get("/runs/{run_id}/municipalities/{municipality}/distance", response_class=HTMLResponse)
def distance_html(
    request: Request,
    run: FoundRun,
    municipality: MunicipalityCode,
    user: Simulator,
    session: Db,
    as_of: AsOf = None,
) -> Response:
    found = measured(request, session, run, municipality, as_of, user)
    made = tables(found, user, texts_of(request))
    shown = [w.citizen_id for w in (found.visitation.waiting if found.visitation else ())][:SHOWN]
    shown += [i.citizen_id for i in found.idle][:SHOWN]
    log_access(session, user, "distance page", run, shown or None, detail=f"municipality {municipality}")
    query = f"?as_of={as_of.isoformat()}" if as_of else ""
    context: dict[str, Any] = {"run": run, "found": found, "tables": made, "shown": SHOWN, "query": query}
    return page(request, "distance.html", context, user=user)


@pages.get("/runs/{run_id}/municipalities/{municipality}/distance/downloads/{table}.{fmt}")
def distance_download(
    request: Request,
    run: FoundRun,
    municipality: MunicipalityCode,
    table: DistanceTable,
    user: Simulator,
    session: Db,
    asked: Download,
    as_of: AsOf = None,
) -> Response:
    found = measured(request, session, run, municipality, as_of, user)
    made = tables(found, user, asked.t)
    chosen: Table = getattr(made, table.value)
    citizens = (
        [w.citizen_id for w in found.visitation.waiting]
        if table is DistanceTable.waiting and found.visitation
        else [i.citizen_id for i in found.idle]
        if table is DistanceTable.idle
        else None
    )
    name = asked.t._(
        "run %(run)s %(municipality)s %(table)s", run=run.id, municipality=municipality, table=chosen.name
    )
    return asked.send(
        chosen,
        name.lower(),
        what=f"distance {table}",
        run=run,
        citizens=citizens,
        detail=f"municipality {municipality}",
    )
