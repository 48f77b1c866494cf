"""What changed between two runs, and why (the facts and failing rules), one page at a time."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import MAX_ID, Db
from engine.faces.web.pages import page
from engine.faces.web.schemas import PROBLEMS, DiffPage
from engine.runs import results
from models import cpr

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["diff"], responses=PROBLEMS)
routers = (pages, api)
RunQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=1000)]


def diff_page(
    session: Session, first: int, second: int, number: int, per_page: int, user: User
) -> dict[str, Any]:
    """One page of the changes from run `first` to run `second`; each citizen links to the later run
    (or the earlier, if the later has no decision about them)."""
    before, after = results.get_run(session, first), results.get_run(session, second)
    changes = results.diff(session, before, after)
    shown = changes[(number - 1) * per_page : number * per_page]
    subjects = [c.subject for c in shown if c.subject]
    refs = {run.id: results.citizen_refs(session, run, subjects) for run in (after, before)}
    full = user.may("full_cpr")
    documents = []
    for change in shown:
        ref_run = next((run for run in (after.id, before.id) if change.subject in refs[run]), None)
        documents.append(
            {
                **change.__dict__,
                "subject": change.subject and cpr.shown(change.subject, full=full),
                "ref": refs[ref_run][change.subject] if ref_run and change.subject else None,
                "ref_run": ref_run,
                "facts_changed": cpr.shown_in(
                    {k: list(v) for k, v in change.facts_changed.items()}, full=full
                ),
            }
        )
    return {
        "first": first,
        "second": second,
        "total": len(changes),
        "page": number,
        "per_page": per_page,
        "changes": documents,
    }


@pages.get("/diff", response_class=HTMLResponse)
def diff_html(
    request: Request, first: RunQuery, second: RunQuery, user: Reader, session: Db, number: PageNumber = 1
) -> Response:
    found = diff_page(session, first, second, number, 200, user)
    last = max(1, -(-found["total"] // 200))
    return page(request, "diff.html", {"diff": found, "last": last}, user=user)


@api.get("/diff", response_model=DiffPage, summary="What changed between two runs, and why")
def diff_api(
    first: RunQuery,
    second: RunQuery,
    user: Reader,
    session: Db,
    number: PageNumber = 1,
    per_page: PerPage = 100,
) -> dict[str, Any]:
    return diff_page(session, first, second, number, per_page, user)
