"""A citizen in a run: every decision with its full trace (each rule's facts, parameters and source
sentence) and the timeline as a chart. URLs name the citizen by an opaque reference (a decision row
id), never by the CPR number. Every view is written to the access log.

Finding a citizen by CPR number is a form post (the number stays out of URLs and server logs), and
no oracle: a user who sees CPR numbers masked learns from a search no more than the masked lists
already tell — the answer names every citizen of the run shown as the number's `DDMMYY-xxxx`, the
same answer for a number that is in the run and for one that is not. A user who may see CPR numbers
in full gets the citizen, or nothing. Every search is logged (the number, hit or miss) and limited
per user (a minute's and a day's allowance, then 429 with Retry-After)."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.faces.charts import timeline_chart, timeline_rows, timeline_table
from engine.faces.i18n import N_, Texts
from engine.faces.users import User
from engine.faces.web.auth import Reader, check_csrf, settings_of
from engine.faces.web.deps import Db, FoundRun, Ref, Refusal, log_access
from engine.faces.web.limits import search_wait
from engine.faces.web.municipalities import masked_decision
from engine.faces.web.pages import inline_svg, page, texts_of
from engine.faces.web.schemas import CITIZEN_ID, PROBLEMS, CitizenDetail, CitizenQuery, Problem, SearchResult
from engine.runs import results
from models import cpr
from models.domain import CitizenTimeline
from models.runs import Run, StoredDecision
from models.trace import Decision

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["citizens"], responses=PROBLEMS)
routers = (pages, api)
MARGIN = timedelta(days=90)
SEARCH = "search"


def visible_decisions(session: Session, run: Run, ref: int, user: User) -> tuple[str, list[Decision]]:
    """The citizen a reference names and their decisions in the municipalities the user may see."""
    try:
        citizen = results.citizen_of(session, run, ref)
    except results.NotFound:
        citizen, decisions = "", []
    else:
        decisions = [d for d in results.citizen_decisions(session, run, citizen) if user.sees(d.municipality)]
    if not decisions:
        raise Refusal(404, N_("run %(run)s has no citizen with reference %(ref)s"), run=run.id, ref=ref)
    return citizen, decisions


def citizen_detail(
    session: Session, run: Run, ref: int, user: User, action: str
) -> tuple[str, list[Decision], dict[str, Any]]:
    """The citizen, their decisions and the API document; logs the view."""
    citizen, decisions = visible_decisions(session, run, ref, user)
    log_access(session, user, action, run, citizen)
    document = {
        "run_id": run.id,
        "ref": ref,
        "citizen": cpr.shown(citizen, full=user.may("full_cpr")),
        "decisions": [masked_decision(d, user) for d in decisions],
    }
    return citizen, decisions, document


def timeline_marks(run: Run, decisions: list[Decision], t: Texts) -> dict[str, date]:
    """The days a citizen's timeline marks: where the lookback window starts, each decision's day (named
    by its verdict) and the as-of date, in `t`'s language."""
    marks: dict[str, date] = {}
    windows = {
        str(e.facts["window_first_day"])
        for d in decisions
        for e in d.trace
        if e.facts.get("window_first_day")
    }
    if windows:
        marks[t._("lookback from")] = date.fromisoformat(min(windows))
    for decision in decisions:
        marks.setdefault(t._(decision.verdict), decision.decided_on)
    if run.as_of not in marks.values():
        marks[t._("as of")] = run.as_of
    return marks


@dataclass(frozen=True)
class Drawn:
    """A citizen's timeline as the run knew it, the days it marks and the span it is drawn over."""

    timeline: CitizenTimeline
    marks: dict[str, date]
    since: date
    until: date

    def rows(self, t: Texts) -> list[tuple[str, str, date, date]]:
        return timeline_rows(self.timeline, self.marks, since=self.since, until=self.until, t=t)


def drawn(session: Session, run: Run, citizen: str, decisions: list[Decision], t: Texts) -> Drawn | None:
    """The citizen's timeline with the decisions' days marked (None when no timeline is stored)."""
    found = results.citizen_timeline(session, citizen, run.delivery_id)
    if found is None:
        return None
    marks = timeline_marks(run, decisions, t)
    return Drawn(found, marks, min(marks.values()) - MARGIN, max(marks.values()) + MARGIN)


def timeline(
    session: Session, run: Run, citizen: str, shown: str, decisions: list[Decision], t: Texts
) -> dict[str, Any] | None:
    """The citizen's timeline as an SVG and its data as a table (None when no timeline is stored)."""
    found = drawn(session, run, citizen, decisions, t)
    if found is None:
        return None
    span = {"since": found.since, "until": found.until}
    title = t._("%(citizen)s as known after delivery %(delivery)s", citizen=shown, delivery=run.delivery_id)
    return {
        "svg": inline_svg(
            timeline_chart(found.timeline, found.marks, **span, title=title, fmt="svg", t=t), title
        ),
        "table": timeline_table(found.timeline, found.marks, **span, title=title, t=t),
    }


@dataclass(frozen=True)
class Found:
    query: str
    """The number searched for as the user may see it."""
    matches: list[dict[str, Any]]
    """Each citizen of the answer: its reference and id as shown."""


def matching(session: Session, run: Run, searched: str, user: User) -> dict[str, int]:
    """The citizens of the run a search for `searched` answers with (by reference): the one citizen,
    for a pseudonym or a user who sees CPR numbers in full; for a masked user every citizen whose CPR
    number is shown as the searched one's (its birth date), so a hit and a miss answer alike."""
    key = StoredDecision.citizen_id
    if user.may("full_cpr") or not cpr.is_cpr(searched):
        wanted = key == searched
    else:
        wanted = key.between(searched[:7] + "0000", searched[:7] + "9999")
    query = (
        select(key, func.min(StoredDecision.id))
        .where(StoredDecision.run_id == run.id, wanted)
        .group_by(key)
        .order_by(key)
    )
    if user.municipalities is not None:
        query = query.where(StoredDecision.municipality.in_(sorted(user.municipalities)))
    return {
        citizen: ref for citizen, ref in session.execute(query) if citizen == searched or cpr.is_cpr(citizen)
    }


def search(request: Request, session: Session, run: Run, citizen_id: str, user: User) -> Found:
    """A logged, rate-limited search (429 with Retry-After when the user has searched too much)."""
    searched = cpr.normalise(citizen_id.strip())
    wait = search_wait(session, user.who, SEARCH, settings_of(request))
    if wait > 0:
        log_access(session, user, "search refused", run, searched)
        raise Refusal(429, N_("too many searches: try again later"), {"Retry-After": str(math.ceil(wait))})
    found = matching(session, run, searched, user)
    log_access(session, user, SEARCH, run, searched, detail="hit" if searched in found else "miss")
    log_access(session, user, "search result", run, list(found))
    full = user.may("full_cpr")
    return Found(
        cpr.shown(searched, full=full),
        [{"ref": ref, "citizen": cpr.shown(citizen, full=full)} for citizen, ref in found.items()],
    )


@pages.get("/runs/{run_id}/citizens/{ref}", response_class=HTMLResponse)
def citizen_html(request: Request, run: FoundRun, ref: Ref, user: Reader, session: Db) -> Response:
    citizen, decisions, document = citizen_detail(session, run, ref, user, "citizen page")
    context = {
        "run": run,
        "ref": ref,
        "citizen": document["citizen"],
        "masked": cpr.mask(citizen),
        "decisions": document["decisions"],
        "chart": timeline(session, run, citizen, document["citizen"], decisions, texts_of(request)),
    }
    return page(request, "citizen.html", context, user=user)


@pages.post("/runs/{run_id}/citizens", response_class=HTMLResponse)
def find_citizen_html(
    request: Request,
    run: FoundRun,
    citizen_id: Annotated[str, Form(pattern=CITIZEN_ID)],
    user: Reader,
    session: Db,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    found = search(request, session, run, citizen_id, user)
    if len(found.matches) == 1:
        return RedirectResponse(f"/runs/{run.id}/citizens/{found.matches[0]['ref']}", status_code=303)
    context = {"run": run, "found": found, "here": f"/runs/{run.id}"}
    return page(request, "search.html", context, user=user)


@api.get(
    "/runs/{run_id}/citizens/{ref}",
    response_model=CitizenDetail,
    summary="A citizen's decisions in a run with their traces (the view is logged)",
)
def citizen_api(run: FoundRun, ref: Ref, user: Reader, session: Db) -> dict[str, Any]:
    return citizen_detail(session, run, ref, user, "citizen api")[2]


@api.post(
    "/runs/{run_id}/citizens/search",
    response_model=SearchResult,
    summary="Find a citizen in a run by CPR number or pseudonym, sent in the body (logged, rate-limited; "
    "for a role that sees CPR numbers masked, every citizen shown alike)",
    responses={
        400: {"model": Problem, "description": "The body cannot be read as JSON"},
        429: {"model": Problem, "description": "Too many searches: wait the Retry-After seconds"},
    },
)
def find_citizen_api(
    request: Request, run: FoundRun, query: CitizenQuery, user: Reader, session: Db
) -> dict[str, Any]:
    found = search(request, session, run, query.citizen_id, user)
    return {"run_id": run.id, "query": found.query, "matches": found.matches}
