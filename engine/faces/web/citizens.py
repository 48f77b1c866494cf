"""A citizen in a run: every decision with its full trace (each rule's facts, parameters and source
sentence) and the timeline as a chart. URLs name the citizen by an opaque reference (a decision row
id), never by the CPR number; finding a citizen by CPR number is a form post (the number stays out
of URLs and server logs). Every view is written to the access log."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from engine.faces.charts import timeline_chart
from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, Ref, log_access
from engine.faces.web.pages import inline_svg, page
from engine.faces.web.runs import masked_decision
from engine.faces.web.schemas import CITIZEN_ID, PROBLEMS, CitizenDetail, CitizenQuery, Problem
from engine.runs import results
from models import cpr
from models.runs import Run
from models.trace import Decision

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["citizens"], responses=PROBLEMS)
routers = (pages, api)
MARGIN = timedelta(days=90)


def ref_of(session: Session, run: Run, citizen_id: str) -> int:
    """The reference of a citizen (a CPR number in any spelling, or a pseudonym) in the run."""
    normal = cpr.normalise(citizen_id.strip())
    ref = results.citizen_refs(session, run, [normal]).get(normal)
    if ref is None:
        raise results.NotFound(f"run {run.id} has no decision about {cpr.mask(normal)}")
    return ref


def citizen_detail(
    session: Session, run: Run, ref: int, user: User, action: str
) -> tuple[str, list[Decision], dict[str, Any]]:
    """The citizen, their decisions and the API document; logs the view."""
    citizen = results.citizen_of(session, run, ref)
    decisions = results.citizen_decisions(session, run, citizen)
    log_access(session, user, action, run, citizen)
    document = {
        "run_id": run.id,
        "ref": ref,
        "citizen": cpr.shown(citizen, full=user.may("full_cpr")),
        "decisions": [masked_decision(d, user) for d in decisions],
    }
    return citizen, decisions, document


def timeline_svg(
    session: Session, run: Run, citizen: str, shown: str, decisions: list[Decision]
) -> str | None:
    """The citizen's timeline as the run knew it, with the decisions' days marked."""
    timeline = results.citizen_timeline(session, citizen, run.delivery_id)
    if timeline is None:
        return None
    marks: dict[str, date] = {}
    windows = {
        str(e.facts["window_first_day"])
        for d in decisions
        for e in d.trace
        if e.facts.get("window_first_day")
    }
    if windows:
        marks["lookback from"] = date.fromisoformat(min(windows))
    for decision in decisions:
        marks.setdefault(decision.decision.rsplit(".", 1)[-1], decision.decided_on)
    if run.as_of not in marks.values():
        marks["as of"] = run.as_of
    svg = timeline_chart(
        timeline,
        marks,
        since=min(marks.values()) - MARGIN,
        until=max(marks.values()) + MARGIN,
        title=f"{shown} as known after delivery {run.delivery_id}",
    )
    return inline_svg(svg)


@pages.get("/runs/{run_id}/citizens/{ref}", response_class=HTMLResponse)
def citizen_html(request: Request, run: FoundRun, ref: Ref, user: Reader, session: Db) -> Response:
    citizen, decisions, document = citizen_detail(session, run, ref, user, "citizen page")
    context = {
        "run": run,
        "citizen": document["citizen"],
        "decisions": document["decisions"],
        "chart": timeline_svg(session, run, citizen, document["citizen"], decisions),
    }
    return page(request, "citizen.html", context, user=user)


@pages.post("/runs/{run_id}/citizens")
def find_citizen_html(
    run: FoundRun, citizen_id: Annotated[str, Form(pattern=CITIZEN_ID)], user: Reader, session: Db
) -> Response:
    return RedirectResponse(f"/runs/{run.id}/citizens/{ref_of(session, run, citizen_id)}", status_code=303)


@api.get(
    "/runs/{run_id}/citizens/{ref}",
    response_model=CitizenDetail,
    summary="A citizen's decisions in a run with their traces (the view is logged)",
)
def citizen_api(run: FoundRun, ref: Ref, user: Reader, session: Db) -> dict[str, Any]:
    return citizen_detail(session, run, ref, user, "citizen api")[2]


@api.post(
    "/runs/{run_id}/citizens/search",
    response_model=CitizenDetail,
    summary="Find a citizen in a run by CPR number or pseudonym (sent in the body, never in the URL)",
    responses={400: {"model": Problem, "description": "The body cannot be read as JSON"}},
)
def find_citizen_api(run: FoundRun, query: CitizenQuery, user: Reader, session: Db) -> dict[str, Any]:
    return citizen_detail(session, run, ref_of(session, run, query.citizen_id), user, "citizen api")[2]
