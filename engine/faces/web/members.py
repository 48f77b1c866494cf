"""A municipality's members in a run: filtered by status, visitation group and "blocks rate 2",
paginated in SQL; each member links to the citizen's page by an opaque reference."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode
from engine.faces.web.pages import page
from engine.faces.web.runs import municipality_row
from engine.faces.web.schemas import PROBLEMS, MemberFilter, MembersPage
from engine.runs import results
from models import cpr
from models.runs import Run
from models.status import MunicipalityStatus

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["members"], responses=PROBLEMS)
routers = (pages, api)
Filter = Annotated[MemberFilter, Query()]


def members_page(
    session: Session, run: Run, municipality: str, wanted: MemberFilter, user: User
) -> dict[str, Any]:
    status = MunicipalityStatus.model_validate(municipality_row(session, run, municipality).status)
    found = results.members(
        session,
        run,
        status,
        state=wanted.status,
        group=wanted.group,
        blocks_rate2=wanted.blocks_rate2,
        page=wanted.page,
        per_page=wanted.per_page,
    )
    waiting = results.rate2_blockers(status)
    full = user.may("full_cpr")
    return {
        "run_id": run.id,
        "municipality": municipality,
        "total": found.total,
        "page": wanted.page,
        "per_page": wanted.per_page,
        "members": [
            {
                "ref": row.id,
                "citizen": cpr.shown(row.citizen_id or "", full=full),
                "active": row.outcome,
                "exit_status": row.value,
                "group": row.group,
                "blocks_rate2": row.citizen_id in waiting,
            }
            for row in found.rows
        ],
    }


def page_link(wanted: MemberFilter, number: int) -> str:
    """The query string of another page of the same list."""
    query = {k: v for k, v in wanted.model_dump().items() if v is not None}
    query["page"] = number
    return "?" + urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()})


@pages.get("/runs/{run_id}/municipalities/{municipality}", response_class=HTMLResponse)
def members_html(
    request: Request, run: FoundRun, municipality: MunicipalityCode, wanted: Filter, user: Reader, session: Db
) -> Response:
    listing = members_page(session, run, municipality, wanted, user)
    last = max(1, -(-listing["total"] // wanted.per_page))
    status = MunicipalityStatus.model_validate(municipality_row(session, run, municipality).status)
    context = {
        "run": run,
        "status": status,
        "listing": listing,
        "wanted": wanted,
        "previous": page_link(wanted, wanted.page - 1) if wanted.page > 1 else None,
        "next": page_link(wanted, wanted.page + 1) if wanted.page < last else None,
        "last": last,
    }
    return page(request, "members.html", context, user=user)


@api.get(
    "/runs/{run_id}/municipalities/{municipality}/members",
    response_model=MembersPage,
    summary="A municipality's members in a run (filtered, one page)",
)
def members_api(
    run: FoundRun, municipality: MunicipalityCode, wanted: Filter, user: Reader, session: Db
) -> dict[str, Any]:
    return members_page(session, run, municipality, wanted, user)
