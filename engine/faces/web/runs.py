"""Runs: the list of runs, a run's page (per municipality its rates with dates, amounts and what
blocks them, the monthly share chart against the rate-3 threshold) and the replay check."""

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.faces import render
from engine.faces.charts import ShareSeries, share_chart
from engine.faces.users import User
from engine.faces.web.auth import Reader
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode
from engine.faces.web.pages import inline_svg, page
from engine.faces.web.schemas import PROBLEMS, MunicipalityDetail, Problem, RunDetail, RunOut, VerificationOut
from engine.rules.programmes import programme_of
from engine.runs import audit, results
from models import cpr
from models.runs import Run, RunMunicipality
from models.status import MunicipalityStatus
from models.trace import Decision

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["runs"], responses=PROBLEMS)
routers = (pages, api)
Limit = Annotated[int, Query(ge=1, le=1000, description="How many differences to show at most")]


def masked_decision(decision: Decision, user: User) -> dict[str, Any]:
    """A decision as JSON, with every CPR number in it masked unless the user may see it."""
    return cpr.shown_in(decision.model_dump(mode="json"), full=user.may("full_cpr"))


def masked_status(status: MunicipalityStatus, user: User) -> dict[str, Any]:
    return render.masked_status(status, full_cpr=user.may("full_cpr"))


def municipality_row(session: Session, run: Run, municipality: str) -> RunMunicipality:
    row = session.get(RunMunicipality, (run.id, municipality))
    if row is None:
        raise results.NotFound(f"run {run.id} has no municipality {municipality}")
    return row


def thresholds(session: Session, run: Run, municipality: str) -> dict[str, Decimal]:
    """The lines the run's pack draws the monthly share against, at the values the run used."""
    pack = results.stored_pack(session, run.pack_hash)
    params = pack.typed(municipality_row(session, run, municipality).rate_parameters)
    return programme_of(pack).share_thresholds(params)


def share_svg(run: Run, status: MunicipalityStatus, lines: dict[str, Decimal]) -> str:
    """The monthly effort-group share against the threshold lines; filled markers are qualifying months."""
    svg = share_chart(
        [ShareSeries(f"run {run.id}", status.months)],
        lines,
        title=f"{status.municipality}: the share of the effort group in activity that counts, by month",
        fmt="svg",
    )
    return inline_svg(svg)


@dataclass(frozen=True)
class MunicipalityView:
    status: dict[str, Any]
    blocked: dict[int, str]
    """Per rate not triggered: what blocks it, in words."""
    decisions: list[dict[str, Any]]
    chart: str | None


def municipality_view(session: Session, run: Run, status: MunicipalityStatus, user: User) -> MunicipalityView:
    full = user.may("full_cpr")
    chart = share_svg(run, status, thresholds(session, run, status.municipality)) if status.months else None
    return MunicipalityView(
        status=masked_status(status, user),
        blocked={
            r.rate: render.blocked(r.blocked_by, full_cpr=full) for r in status.rates if not r.triggered
        },
        decisions=[
            masked_decision(d, user) for d in results.rate_decisions(session, run, status.municipality)
        ],
        chart=chart,
    )


def verification(engine: Engine, run: Run, user: User, limit: int) -> dict[str, Any]:
    """Both checks as JSON: the replay (identical or not, with the first differences, CPR numbers
    masked) and the seal (the run's digest recomputed, the chain of runs followed)."""
    found = audit.verify(engine, run.id, limit=limit)
    full = user.may("full_cpr")
    return {
        **asdict(found),
        "trusted": found.trusted,
        "first": [
            {
                "municipality": d.municipality,
                "subject": d.subject and cpr.shown(d.subject, full=full),
                "what": d.what,
                "stored": cpr.shown_in(d.stored, full=full),
                "replayed": cpr.shown_in(d.replayed, full=full),
            }
            for d in found.first
        ],
    }


@pages.get("/", response_class=HTMLResponse)
def runs_page(request: Request, user: Reader, session: Db) -> Response:
    return page(request, "runs.html", {"runs": results.runs(session)}, user=user)


@pages.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run: FoundRun, user: Reader, session: Db, verify: bool = False) -> Response:
    context = {
        "run": run,
        "municipalities": [municipality_view(session, run, s, user) for s in results.statuses(session, run)],
        "verification": verification(request.app.state.engine, run, user, 10) if verify else None,
    }
    return page(request, "run.html", context, user=user)


@api.get("/runs", response_model=list[RunOut], summary="Every run, the latest first")
def runs_api(user: Reader, session: Db) -> list[Run]:
    return results.runs(session)


@api.get("/runs/{run_id}", response_model=RunDetail, summary="A run and each municipality's status")
def run_api(run: FoundRun, user: Reader, session: Db) -> dict[str, Any]:
    statuses = [masked_status(s, user) for s in results.statuses(session, run)]
    return {"run": RunOut.model_validate(run), "municipalities": statuses}


@api.get(
    "/runs/{run_id}/municipalities/{municipality}",
    response_model=MunicipalityDetail,
    summary="A municipality's status in a run, with its rate decisions and their traces",
)
def municipality_api(
    run: FoundRun, municipality: MunicipalityCode, user: Reader, session: Db
) -> dict[str, Any]:
    row = municipality_row(session, run, municipality)
    return {
        "run_id": run.id,
        "status": masked_status(MunicipalityStatus.model_validate(row.status), user),
        "rate_parameters": row.rate_parameters,
        "rate_decisions": [
            masked_decision(d, user) for d in results.rate_decisions(session, run, municipality)
        ],
    }


@api.get(
    "/runs/{run_id}/verification",
    response_model=VerificationOut,
    summary="Replay the run from what it read and compare with what it stored",
    responses={409: {"model": Problem, "description": "The run has not finished: it cannot be replayed"}},
)
def verification_api(request: Request, run: FoundRun, user: Reader, limit: Limit = 10) -> dict[str, Any]:
    return verification(request.app.state.engine, run, user, limit)
