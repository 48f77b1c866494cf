"""The auditors' web UI and JSON API (`fsm serve`): browse runs, read any decision's trace, prove a
run replays. Server-rendered pages and a JSON API under /api (OpenAPI at /openapi.json), all behind
authentication; the application writes nothing but the access log and the diffs it computes (once
per pair of runs, engine/runs/diff.py)."""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.faces.users import User, Users
from engine.faces.web import auth, citizens, diff, exports, members, runs
from engine.faces.web.auth import Unauthorised, current_user, login_redirect, reader
from engine.faces.web.pages import page
from engine.faces.web.schemas import PROBLEMS, Me
from engine.runs import audit, results

SESSION_HOURS = 8
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Pages hold personal data: not cached, not framed, no script, nothing loaded from elsewhere."""


class SecurityHeaders:
    """Adds HEADERS to every response (plain ASGI: streamed exports pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(HEADERS)
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _problem(request: Request, status: int, detail: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": detail}, status_code=status)
    context = {"status": status, "detail": detail}
    return page(request, "error.html", context, user=None, status_code=status)


async def _unauthorised(request: Request, error: Exception) -> Response:
    assert isinstance(error, Unauthorised)
    if not _is_api(request) and not error.credentials_given:
        return login_redirect(request)
    return JSONResponse(
        {"detail": "unauthorised"}, status_code=401, headers={"WWW-Authenticate": 'Basic realm="fsm"'}
    )


async def _not_found(request: Request, error: Exception) -> Response:
    return _problem(request, 404, str(error))


async def _not_verifiable(request: Request, error: Exception) -> Response:
    return _problem(request, 409, str(error))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if _is_api(request):
        return await http_exception_handler(request, error)
    return _problem(request, error.status_code, str(error.detail))


async def _invalid(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    if _is_api(request):
        return await request_validation_exception_handler(request, error)
    lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    return _problem(request, 422, "; ".join(lines))


def create_app(engine: Engine, users: Users) -> FastAPI:
    """The application on this database, for these users."""
    app = FastAPI(
        title="Flere skal med — auditors' API",
        summary="Runs, municipalities' statuses, members, citizens' decisions with traces, diffs, replay checks and exports.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.engine = engine
    app.state.users = users
    app.add_middleware(
        SessionMiddleware,
        secret_key=users.secret,
        session_cookie="fsm_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
    )
    app.add_middleware(SecurityHeaders)

    app.add_exception_handler(Unauthorised, _unauthorised)
    app.add_exception_handler(results.NotFound, _not_found)
    app.add_exception_handler(audit.NotVerifiable, _not_verifiable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.include_router(auth.router)
    for module in (runs, members, citizens, diff, exports):
        for router in module.routers:  # the user first, before any parameter is looked up
            app.include_router(router, dependencies=[Depends(reader)])

    @app.get(
        "/api/me", response_model=Me, tags=["auth"], responses=PROBLEMS, summary="Who you are logged in as"
    )
    def me(user: Annotated[User, Depends(current_user)]) -> dict[str, Any]:
        return {"name": user.name, "role": user.role, "permissions": sorted(user.permissions)}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: Annotated[User, Depends(current_user)]) -> JSONResponse:
        return JSONResponse(app.openapi())

    return app
