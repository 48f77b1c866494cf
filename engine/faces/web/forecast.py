"""The forecast of a municipality (`fsm forecast`) on a run's data: the pace of the weeks before the
run's day (visitations) and the trend of the activity share, continued to the project's end, its
assumption in words, and baseline and forecast side by side as the scenario builder shows them."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from engine.collector import collector_paused
from engine.faces.simulate.api import Invalid, forecast_simulation
from engine.faces.web.auth import Simulator
from engine.faces.web.deps import Db, FoundRun, MunicipalityCode, Refusal, municipality_row
from engine.faces.web.pages import page, texts_of
from engine.faces.web.simulation_view import result_of
from engine.faces.web.workbench import check_works_on, kept, logged, refusals, scope

pages = APIRouter(include_in_schema=False)
routers = (pages,)


@pages.get("/runs/{run_id}/municipalities/{municipality}/forecast", response_class=HTMLResponse)
def forecast_html(
    request: Request, run: FoundRun, municipality: MunicipalityCode, user: Simulator, session: Db
) -> Response:
    check_works_on(user, municipality)
    municipality_row(session, run, municipality, user)
    t = texts_of(request)
    with refusals(municipality), collector_paused():
        try:
            simulation = forecast_simulation(
                municipality,
                database=request.app.state.engine,
                municipalities=scope(user),
                programme=run.programme,
                base=run.id,
                kept=kept(request),
                t=t,
            )
        except Invalid as error:
            raise Refusal(422, "; ".join(p["text"] for p in error.problems)) from None
    logged(session, user, "forecast page", simulation)
    projection = simulation.projection
    assert projection is not None  # a forecast has one
    context = {
        "run": run,
        "municipality": municipality,
        "assumption": projection.assumption_in(t),
        "result": result_of(simulation, user, t),
    }
    return page(request, "forecast.html", context, user=user)
