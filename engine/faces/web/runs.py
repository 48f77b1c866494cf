"""Runs: the list of runs, and a run's page — its record, its replay check, and a summary with one row
per municipality (members, active, each rate and what blocks it) linking to the municipality's page.
The summary names no citizen: who blocks a rate is listed on the municipality's page."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun
from engine.faces.web.pages import page
from engine.faces.web.schemas import PROBLEMS, RunOut, RunSummary
from engine.faces.web.verification import latest_shown
from engine.runs import results
from models import municipalities
from models.runs import Run
from models.status import MunicipalityStatus

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["runs"], responses=PROBLEMS)
routers = (pages, api)


def blocked_summary(blocked_by: dict[str, Any] | None) -> dict[str, Any] | None:
    """What blocks a rate, without the citizens it names (their number stays)."""
    if not blocked_by:
        return None
    return {key: value for key, value in blocked_by.items() if key != "citizens"}


def summary_row(status: MunicipalityStatus) -> dict[str, Any]:
    """A municipality's line in a run's summary."""
    document = status.model_dump(mode="json")
    return {
        "municipality": status.municipality,
        "name": municipalities.name(status.municipality),
        "programme": status.programme,
        "members": status.members,
        "active": status.active,
        "grant": document["grant"],
        "rates": [
            {
                "rate": rate["rate"],
                "triggered": rate["triggered"],
                "date": rate["date"],
                "amount": rate["amount"],
                "blocked_by": blocked_summary(rate.get("blocked_by")),
            }
            for rate in document["rates"]
        ],
        "warnings": len(status.warnings),
    }


def run_summary(session: Session, run: Run, user: User) -> list[dict[str, Any]]:
    return [summary_row(s) for s in results.statuses(session, run) if user.sees(s.municipality)]


@pages.get("/", response_class=HTMLResponse)
def runs_page(request: Request, user: Reader, session: Db) -> Response:
    return page(request, "runs.html", {"runs": results.runs(session)}, user=user)


@pages.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run: FoundRun, user: Reader, session: Db) -> Response:
    context = {
        "run": run,
        "municipalities": run_summary(session, run, user),
        "verification": latest_shown(request, session, run, user, "verification page", 10),
    }
    return page(request, "run.html", context, user=user)


@api.get("/runs", response_model=list[RunOut], summary="Every run, the latest first")
def runs_api(user: Reader, session: Db) -> list[Run]:
    return results.runs(session)


@api.get(
    "/runs/{run_id}",
    response_model=RunSummary,
    summary="A run and a summary line per municipality (the citizens blocking a rate: see the municipality)",
)
def run_api(run: FoundRun, user: Reader, session: Db) -> dict[str, Any]:
    return {"run": RunOut.model_validate(run), "municipalities": run_summary(session, run, user)}
