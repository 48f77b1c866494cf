"""The project leaders' workbench on the web (the `simulate` permission): what its pages and
`POST /api/simulations` share — the user's municipalities as engine/faces/simulate/api.py takes them,
the base data kept by this process between simulations, the engine's refusals as HTTP errors (a
municipality the user may not see is not there for them: 404, as one that does not exist), and the
access log of the citizens a simulation shows. Nothing here writes deliveries or runs."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from engine.collector import collector_paused
from engine.faces.i18n import N_
from engine.faces.simulate.api import (
    EVERY,
    Invalid,
    Municipalities,
    Refused,
    ScenarioInput,
    run_scenario,
    scenario_data,
)
from engine.faces.simulate.document import document
from engine.faces.simulate.kept import Kept
from engine.faces.simulate.saved import NotOwner, ScenarioNotFound
from engine.faces.simulate.simulation import Simulation
from engine.faces.users import User
from engine.faces.web.auth import Simulator
from engine.faces.web.deps import Db, Refusal, log_access
from engine.faces.web.schemas import PROBLEMS, Problem, SimulationRefused
from engine.runs import results

api = APIRouter(prefix="/api", tags=["workbench"], responses=PROBLEMS)
routers = (api,)
BODY_LIMIT = 1 << 20
NOT_SEEN = N_("there is no municipality %(municipality)s you may work on")


def scope(user: User) -> Municipalities:
    """The municipalities the user may see, as the simulate api takes them."""
    return EVERY if user.municipalities is None else user.municipalities


def kept(request: Request) -> Kept:
    """This process's base data and evaluations, kept between simulations (one per application)."""
    state = request.app.state
    if getattr(state, "kept", None) is None:
        state.kept = Kept()
    return state.kept


def check_works_on(user: User, municipality: str) -> str:
    """The municipality, if the user may see it; 404 otherwise (nothing says it has data)."""
    if not user.sees(municipality):
        raise Refusal(404, NOT_SEEN, municipality=municipality)
    return municipality


@contextmanager
def refusals(municipality: str | None = None) -> Iterator[None]:
    """The saved scenarios' and the simulate api's refusals as HTTP errors: a scenario or municipality
    the user may not see 404, another user's scenario to change 403 (Invalid is the caller's)."""
    try:
        yield
    except ScenarioNotFound:
        raise Refusal(404, N_("there is no scenario by that key that you may open")) from None
    except NotOwner:
        raise Refusal(403, N_("forbidden: the scenario is another user's; copy it to change it")) from None
    except Refused:
        raise Refusal(404, NOT_SEEN, municipality=municipality or "?") from None


def shown_citizens(simulation: Simulation) -> list[str]:
    """Every citizen a simulation's document names: those each change changed, those whose decisions
    differ and those a rate waits for, baseline and scenario (once each, in order)."""
    named = [c for step in simulation.steps for c in step.citizens]
    named += [d.subject for d in simulation.differences if d.citizen]
    for result in (simulation.baseline, simulation.result):
        named += sorted(results.rate2_blockers(result.status))
    return list(dict.fromkeys(named))


def logged(session: Session, user: User, action: str, simulation: Simulation) -> None:
    """The simulation's citizens shown to `user`, in the access log (the run its data are of)."""
    run = simulation.base.origin.get("run")
    log_access(session, user, action, run, shown_citizens(simulation) or None)


def simulated(
    request: Request, session: Session, user: User, scenario: ScenarioInput, action: str
) -> Simulation:
    """The scenario document simulated for `user` on the base data this process keeps, logged;
    raises Invalid (the caller shows its problems) or a Refusal."""
    data, _ = scenario_data(scenario)
    municipality = data.get("municipality") if isinstance(data, dict) else None
    with refusals(municipality if isinstance(municipality, str) else None), collector_paused():
        found = run_scenario(
            scenario,
            database=request.app.state.engine,
            municipalities=scope(user),
            kept=kept(request),
        )
    logged(session, user, action, found)
    return found


def _answer(request: Request, session: Session, user: User, body: bytes) -> Response:
    try:
        found = simulated(request, session, user, body, "simulation api")
    except Invalid as error:
        detail = "the scenario cannot be simulated: " + "; ".join(p["text"] for p in error.problems)
        return JSONResponse({"detail": detail, "problems": error.problems}, status_code=422)
    return JSONResponse(document(found, full_cpr=user.may("full_cpr")))


@api.post(
    "/simulations",
    summary="Simulate a scenario document (the scenario file's keys as JSON): the object `fsm simulate --json` prints for it",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The scenario document: the scenario file's keys (decimals read exactly, as written)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    responses={
        404: {"model": Problem, "description": "No municipality of that code the user may work on"},
        413: {"model": Problem, "description": "The body is larger than 1 MiB"},
        422: {
            "model": SimulationRefused,
            "description": "The scenario cannot be simulated (or is not a JSON or YAML mapping): `problems` names each change, field and message",
        },
    },
)
async def simulation_api(request: Request, user: Simulator, session: Db) -> Response:
    """The body is read as it came (bytes): a JSON parser would make `0.35` a binary float."""
    body = await request.body()
    if len(body) > BODY_LIMIT:
        raise Refusal(413, N_("the body is larger than %(limit)s bytes"), limit=BODY_LIMIT)
    return await run_in_threadpool(_answer, request, session, user, body)
