"""A municipality in a run: its rates with dates, amounts and what blocks them, the monthly share chart
against the lines of the run's pack, the rate decisions' traces, and its members (filtered, one page
at a time). Every citizen shown — a member listed, one blocking a rate — is logged."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces import render
from engine.faces.charts import ShareSeries, share_chart, share_table, share_thresholds
from engine.faces.i18n import Texts
from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode, log_access, municipality_row
from engine.faces.web.members import Filter, filter_query, members_page, page_link
from engine.faces.web.pages import inline_svg, page, texts_of
from engine.faces.web.runs import blocked_summary
from engine.faces.web.schemas import PROBLEMS, MunicipalityDetail
from engine.runs import results
from models import cpr
from models.runs import Run, RunMunicipality
from models.status import MunicipalityStatus
from models.trace import Decision

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["municipalities"], responses=PROBLEMS)
routers = (pages, api)


def masked_decision(decision: Decision, user: User) -> dict[str, Any]:
    """A decision as JSON, with every CPR number in it masked unless the user may see it."""
    return cpr.shown_in(decision.model_dump(mode="json"), full=user.may("full_cpr"))


def share(
    session: Session, run: Run, row: RunMunicipality, status: MunicipalityStatus, t: Texts
) -> dict[str, Any]:
    """The monthly effort-group share against the lines the run's pack draws, at the values the run used
    (filled markers are qualifying months), as an SVG and its data as a table."""
    pack = results.stored_pack(session, run.pack_hash)
    params = pack.typed(row.rate_parameters)
    lines: dict[str, Decimal] = share_thresholds(pack.programme, params, t)
    series = [ShareSeries(t._("run %(run)s", run=run.id), status.months)]
    title = t._(
        "%(municipality)s: the share of the effort group in activity that counts, by month",
        municipality=t.municipality(status.municipality),
    )
    return {
        "svg": inline_svg(share_chart(series, lines, title=title, fmt="svg", t=t), title),
        "table": share_table(series, lines, title=title, t=t),
    }


@pages.get("/runs/{run_id}/municipalities/{municipality}", response_class=HTMLResponse)
def municipality_html(
    request: Request, run: FoundRun, municipality: MunicipalityCode, wanted: Filter, user: Reader, session: Db
) -> Response:
    row = municipality_row(session, run, municipality, user)
    status = MunicipalityStatus.model_validate(row.status)
    listing, shown = members_page(session, run, status, wanted, user)
    log_access(session, user, "members page", run, shown)
    last = max(1, -(-listing["total"] // wanted.per_page))
    context = {
        "run": run,
        "status": render.masked_status(status, full_cpr=user.may("full_cpr")),
        "blocked": {r.rate: blocked_summary(r.blocked_by) for r in status.rates if not r.triggered},
        "chart": share(session, run, row, status, texts_of(request)) if status.months else None,
        "filter_query": filter_query(wanted),
        "decisions": [masked_decision(d, user) for d in results.rate_decisions(session, run, municipality)],
        "listing": listing,
        "wanted": wanted,
        "previous": page_link(wanted, wanted.page - 1) if wanted.page > 1 else None,
        "next": page_link(wanted, wanted.page + 1) if wanted.page < last else None,
        "last": last,
    }
    return page(request, "municipality.html", context, user=user)


@api.get(
    "/runs/{run_id}/municipalities/{municipality}",
    response_model=MunicipalityDetail,
    summary="A municipality's status in a run, with its rate decisions and their traces (the citizens named are logged)",
)
def municipality_api(
    run: FoundRun, municipality: MunicipalityCode, user: Reader, session: Db
) -> dict[str, Any]:
    row = municipality_row(session, run, municipality, user)
    status = MunicipalityStatus.model_validate(row.status)
    log_access(session, user, "municipality api", run, sorted(results.rate2_blockers(status)))
    return {
        "run_id": run.id,
        "status": render.masked_status(status, full_cpr=user.may("full_cpr")),
        "rate_parameters": row.rate_parameters,
        "rate_decisions": [
            masked_decision(d, user) for d in results.rate_decisions(session, run, municipality)
        ],
    }
