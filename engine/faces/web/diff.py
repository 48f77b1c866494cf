"""What changed between two runs, and why: the municipalities' summary first, then the citizens,
one page at a time. The comparison is computed once per pair of runs and stored (engine/runs/diff.py):
every page reads it. A user limited to some municipalities sees only theirs. Runs of different programmes are refused
(400) unless `cross_programme` is asked for; a run that has not finished cannot be compared (409). Every page logs the citizens it shows."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces import render
from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, check_sees, log_access
from engine.faces.web.pages import page
from engine.faces.web.schemas import PROBLEMS, DiffPage, DiffQuery, Problem
from engine.runs import diff as diffs
from engine.runs import results
from models import cpr

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["diff"], responses=PROBLEMS)
routers = (pages, api)
Wanted = Annotated[DiffQuery, Query()]
PerPage = Annotated[int, Query(ge=1, le=1000)]
PAGE_SIZE = 200
REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The runs are of different programmes (ask cross_programme)"},
    409: {"model": Problem, "description": "A run has not finished: it cannot be compared"},
}


def diff_page(session: Session, wanted: DiffQuery, per_page: int, user: User, action: str) -> dict[str, Any]:
    """One page of the changes from run `first` to run `second` (the summary with the first page);
    each citizen links to the later run (or the earlier, if the later has no decision about them).
    Logs the citizens shown, one row each."""
    before, after = results.get_run(session, wanted.first), results.get_run(session, wanted.second)
    try:
        found = diffs.compare(session, before, after, cross_programme=wanted.cross_programme)
    except diffs.OtherProgrammes as error:
        raise HTTPException(400, str(error)) from None
    except diffs.NotComparable as error:
        raise HTTPException(409, str(error)) from None
    scope = {check_sees(user, wanted.municipality)} if wanted.municipality else user.municipalities
    shown = diffs.changes(
        session, found, municipalities=scope, offset=(wanted.page - 1) * per_page, limit=per_page
    )
    subjects = [c.subject for c in shown]
    log_access(session, user, f"diff {before.id}→{after.id} {action}", after, subjects)
    refs = {run.id: results.citizen_refs(session, run, subjects) for run in (after, before)}
    full = user.may("full_cpr")
    documents = []
    for change in shown:
        ref_run = next((run for run in (after.id, before.id) if change.subject in refs[run]), None)
        documents.append(
            {
                **change.__dict__,
                "subject": cpr.shown(change.subject, full=full),
                "ref": refs[ref_run][change.subject] if ref_run else None,
                "ref_run": ref_run,
                "facts_changed": cpr.shown_in(
                    {k: list(v) for k, v in change.facts_changed.items()}, full=full
                ),
            }
        )
    return {
        "first": before.id,
        "second": after.id,
        "municipality": wanted.municipality,
        "runs": found.runs,
        "summary": found.summary_of(scope) if wanted.page == 1 else None,
        "total": found.citizens_in(scope),
        "page": wanted.page,
        "per_page": per_page,
        "changes": documents,
    }


def _link(wanted: DiffQuery, **changes: Any) -> str:
    query = {**wanted.model_dump(), **changes}
    query["cross_programme"] = "true" if query["cross_programme"] else None
    return "/diff?" + urlencode({k: v for k, v in query.items() if v is not None})


@pages.get("/diff", response_class=HTMLResponse)
def diff_html(request: Request, wanted: Wanted, user: Reader, session: Db) -> Response:
    found = diff_page(session, wanted, PAGE_SIZE, user, "page")
    last = max(1, -(-found["total"] // PAGE_SIZE))
    context = {
        "diff": found,
        "last": last,
        "header": render.diff_header(found["runs"]),
        "counts": render.diff_counts(found["summary"]) if found["summary"] else None,
        "municipalities": [
            {
                "code": m["code"],
                "lines": render.diff_municipality(m),
                "link": _link(wanted, municipality=m["code"], page=1),
            }
            for m in (found["summary"] or {}).get("municipalities", [])
        ],
        "previous": _link(wanted, page=wanted.page - 1) if wanted.page > 1 else None,
        "next": _link(wanted, page=wanted.page + 1) if wanted.page < last else None,
        "everywhere": _link(wanted, municipality=None, page=1) if wanted.municipality else None,
    }
    return page(request, "diff.html", context, user=user)


@api.get(
    "/diff",
    response_model=DiffPage,
    summary="What changed between two runs, and why: the summary (on page 1), then the citizens",
    responses=REFUSED,
)
def diff_api(wanted: Wanted, user: Reader, session: Db, per_page: PerPage = 100) -> dict[str, Any]:
    return diff_page(session, wanted, per_page, user, "api")
