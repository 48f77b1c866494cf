"""What changed between two runs, and why: the municipalities' summary first, then the citizens,
one page at a time. The comparison is computed once per pair of runs and stored (engine/runs/diff.py):
every page reads it. A user limited to some municipalities sees only theirs. Runs of different programmes are refused
(400) unless `cross_programme` is asked for; a run that has not finished cannot be compared (409). Every page logs the citizens it shows."""

from collections.abc import Collection
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces import render
from engine.faces.downloads import Column, Table
from engine.faces.i18n import ENGLISH, N_, Texts
from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, check_sees, log_access
from engine.faces.web.pages import page, texts_of
from engine.faces.web.schemas import PROBLEMS, DiffPage, DiffQuery, Problem
from engine.faces.web.tables import Download
from engine.runs import diff as diffs
from engine.runs import results
from models import cpr
from models.runs import Run

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


def _compared(
    session: Session, wanted: DiffQuery, user: User
) -> tuple[Run, Run, diffs.Diff, Collection[str] | None]:
    """The two runs, their stored comparison and the municipalities of it the user is shown."""
    before, after = results.get_run(session, wanted.first), results.get_run(session, wanted.second)
    try:
        found = diffs.compare(session, before, after, cross_programme=wanted.cross_programme)
    except diffs.OtherProgrammes as error:
        raise HTTPException(400, str(error)) from None
    except diffs.NotComparable as error:
        raise HTTPException(409, str(error)) from None
    scope = {check_sees(user, wanted.municipality)} if wanted.municipality else user.municipalities
    return before, after, found, scope


def _documents(shown: list[diffs.Change], user: User, t: Texts) -> list[dict[str, Any]]:
    """The changes as the reader may see them, in `t`'s language."""
    full = user.may("full_cpr")
    return [
        {
            **change.__dict__,
            "before": render.outcome(change.before, change.decision, t),
            "after": render.outcome(change.after, change.decision, t),
            "subject": cpr.shown(change.subject, full=full),
            "facts_changed": cpr.shown_in({k: list(v) for k, v in change.facts_changed.items()}, full=full),
        }
        for change in shown
    ]


def _linked(
    session: Session, shown: list[diffs.Change], runs: tuple[Run, Run], user: User, t: Texts
) -> list[dict[str, Any]]:
    """The documents of the changes, each citizen linked to the later run (or the earlier, if the
    later has no decision about them)."""
    subjects = [c.subject for c in shown]
    refs = {run.id: results.citizen_refs(session, run, subjects) for run in reversed(runs)}
    documents = _documents(shown, user, t)
    for change, document in zip(shown, documents, strict=True):
        ref_run = next((run for run in refs if change.subject in refs[run]), None)
        document.update(ref=refs[ref_run][change.subject] if ref_run else None, ref_run=ref_run)
    return documents


def diff_page(
    session: Session, wanted: DiffQuery, per_page: int, user: User, action: str, t: Texts = ENGLISH
) -> dict[str, Any]:
    """One page of the changes from run `first` to run `second` (the summary with the first page),
    its words in `t`'s language. Logs the citizens shown, one row each."""
    before, after, found, scope = _compared(session, wanted, user)
    shown = diffs.changes(
        session, found, municipalities=scope, offset=(wanted.page - 1) * per_page, limit=per_page
    )
    log_access(session, user, f"diff {before.id}→{after.id} {action}", after, [c.subject for c in shown])
    return {
        "first": before.id,
        "second": after.id,
        "municipality": wanted.municipality,
        "runs": t.worded(found.runs),
        "summary": t.worded(found.summary_of(scope)) if wanted.page == 1 else None,
        "total": found.citizens_in(scope),
        "page": wanted.page,
        "per_page": per_page,
        "changes": _linked(session, shown, (before, after), user, t),
    }


def changes_table(documents: list[dict[str, Any]], t: Texts) -> Table:
    """The citizens whose decisions differ, as the page lists them."""
    columns = tuple(
        Column(t._(title))
        for title in (
            N_("municipality"),
            N_("citizen"),
            N_("decision"),
            N_("before"),
            N_("after"),
            N_("failing now"),
            N_("because"),
        )
    )
    rows = [
        (
            t.municipality(c["municipality"]),
            c["subject"],
            c["decision"],
            c["before"],
            c["after"],
            ", ".join(c["failed_after"]),
            "; ".join(
                f"{name}: {render.shown(pair[0], t)} → {render.shown(pair[1], t)}"
                for name, pair in c["facts_changed"].items()
            ),
        )
        for c in documents
    ]
    return Table(t._("Citizens whose decisions differ"), columns, rows)


def _link(wanted: DiffQuery, **changes: Any) -> str:
    query = {**wanted.model_dump(), **changes}
    query["cross_programme"] = "true" if query["cross_programme"] else None
    return "/diff?" + urlencode({k: v for k, v in query.items() if v is not None})


@pages.get("/diff", response_class=HTMLResponse)
def diff_html(request: Request, wanted: Wanted, user: Reader, session: Db) -> Response:
    t = texts_of(request)
    found = diff_page(session, wanted, PAGE_SIZE, user, "page", t)
    last = max(1, -(-found["total"] // PAGE_SIZE))
    context = {
        "diff": found,
        "last": last,
        "header": render.diff_header(found["runs"], t),
        "counts": render.diff_counts(found["summary"], t) if found["summary"] else None,
        "municipalities": [
            {
                "code": m["code"],
                "lines": render.diff_municipality(m, t),
                "link": _link(wanted, municipality=m["code"], page=1),
            }
            for m in (found["summary"] or {}).get("municipalities", [])
        ],
        "previous": _link(wanted, page=wanted.page - 1) if wanted.page > 1 else None,
        "next": _link(wanted, page=wanted.page + 1) if wanted.page < last else None,
        "everywhere": _link(wanted, municipality=None, page=1) if wanted.municipality else None,
        "download_query": "?" + _link(wanted, page=None).partition("?")[2],
    }
    return page(request, "diff.html", context, user=user)


@pages.get("/diff/downloads/citizens.{fmt}")
def diff_download(wanted: Wanted, user: Reader, session: Db, asked: Download) -> Response:
    """Every citizen whose decisions differ (all pages, in the user's municipalities), for download."""
    before, after, found, scope = _compared(session, wanted, user)
    shown = diffs.changes(session, found, municipalities=scope, limit=found.citizens_in(scope))
    table = changes_table(_documents(shown, user, asked.t), asked.t)
    name = asked.t._("runs %(first)s to %(second)s differences", first=before.id, second=after.id)
    citizens = [c.subject for c in shown]
    return asked.send(table, name, what="diff", run=after, citizens=citizens, detail=f"from run {before.id}")


@api.get(
    "/diff",
    response_model=DiffPage,
    summary="What changed between two runs, and why: the summary (on page 1), then the citizens",
    responses=REFUSED,
)
def diff_api(wanted: Wanted, user: Reader, session: Db, per_page: PerPage = 100) -> dict[str, Any]:
    return diff_page(session, wanted, per_page, user, "api")
