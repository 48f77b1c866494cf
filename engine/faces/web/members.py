"""A municipality's members in a run: filtered by status, visitation group and "blocks rate 2",
paginated in SQL; each member links to the citizen's page by an opaque reference. Each member listed
is a row of the access log."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode, log_access, municipality_row
from engine.faces.web.schemas import PROBLEMS, MemberFilter, MembersPage
from engine.runs import results
from models import cpr
from models.runs import Run
from models.status import MunicipalityStatus

api = APIRouter(prefix="/api", tags=["members"], responses=PROBLEMS)
routers = (api,)
Filter = Annotated[MemberFilter, Query()]


def members_page(
    session: Session, run: Run, status: MunicipalityStatus, wanted: MemberFilter, user: User
) -> tuple[dict[str, Any], list[str]]:
    """One page of the members as a document, and the citizens it shows (in full, for the log)."""
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
    document = {
        "run_id": run.id,
        "municipality": status.municipality,
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
    return document, [row.citizen_id for row in found.rows if row.citizen_id]


def _query(values: dict[str, Any]) -> str:
    shown = {k: str(v).lower() if isinstance(v, bool) else v for k, v in values.items() if v is not None}
    return "?" + urlencode(shown) if shown else ""


def page_link(wanted: MemberFilter, number: int) -> str:
    """The query string of another page of the same list."""
    return _query({**wanted.model_dump(), "page": number})


def filter_query(wanted: MemberFilter) -> str:
    """The query string of the list's filter (every member it matches, not a page): for its downloads."""
    return _query(wanted.model_dump(exclude={"page", "per_page"}))


@api.get(
    "/runs/{run_id}/municipalities/{municipality}/members",
    response_model=MembersPage,
    summary="A municipality's members in a run (filtered, one page; each member listed is logged)",
)
def members_api(
    run: FoundRun, municipality: MunicipalityCode, wanted: Filter, user: Reader, session: Db
) -> dict[str, Any]:
    row = municipality_row(session, run, municipality, user)
    document, shown = members_page(session, run, MunicipalityStatus.model_validate(row.status), wanted, user)
    log_access(session, user, "members api", run, shown)
    return document
