"""The auditors' web UI and JSON API (`fsm serve`): browse runs, read any decision's trace, prove a
run replays, download every table. Server-rendered pages in Danish or English (the reader's choice,
else Accept-Language, else FSM_LANG; no script) and a JSON API under /api (OpenAPI at
/openapi.json), all behind authentication (users, sessions and tokens in the database) but the login
form, the language switch and the accessibility statement. The application changes nothing but
sessions, the access log, the replay checks it is asked to run and the diffs it computes (once per
pair of runs, engine/runs/diff.py)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from engine.faces import access_log
from engine.faces.web import (
    citizens,
    distance,
    exports,
    forecast,
    login,
    members,
    municipalities,
    privacy,
    problems,
    public,
    runs,
    scenarios,
    tables,
    verification,
    workbench,
)
from engine.faces.web import diff as diff_pages
from engine.faces.web.auth import CurrentUser, requires, same_origin
from engine.faces.web.schemas import PROBLEMS, Me
from engine.faces.web.settings import Settings

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""Pages hold personal data: not cached, not framed, no script, nothing loaded from elsewhere, no
address sent to another site (`same-origin`: with `no-referrer` browsers send `Origin: null`, which
the Origin check refuses)."""
DAY = 24 * 3600


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


def _prune(engine: Engine, days: int) -> None:
    with Session(engine) as session:
        access_log.prune(session, days)


def create_app(engine: Engine, settings: Settings | None = None) -> FastAPI:
    """The application on this database (its users, sessions and tokens), with these settings."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """The access log's retention: older rows deleted at start and once a day."""
        async with anyio.create_task_group() as tasks:

            async def daily() -> None:
                while True:
                    await run_in_threadpool(_prune, engine, settings.access_log_days)
                    await anyio.sleep(DAY)

            tasks.start_soon(daily)
            yield
            tasks.cancel_scope.cancel()

    app = FastAPI(
        title="Flere skal med — auditors' API",
        summary="Runs, municipalities' statuses, members, citizens' decisions with traces, diffs, replay checks and exports.",
        version="2",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        dependencies=[Depends(same_origin)],
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.hashing = login.Hashing(settings.hashing_queue)
    app.state.worker = None
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))

    problems.install(app)
    app.include_router(login.router)
    for router in public.routers:
        app.include_router(router)
    for module in (runs, municipalities, members, citizens, diff_pages, verification, exports, tables):
        for router in module.routers:  # the user first, before any parameter is looked up
            app.include_router(router, dependencies=[Depends(requires("read"))])
    for module in (workbench, distance, forecast, scenarios):
        for router in module.routers:
            app.include_router(router, dependencies=[Depends(requires("simulate"))])
    for router in privacy.routers:
        app.include_router(router, dependencies=[Depends(requires("access_log"))])

    @app.get(
        "/api/me", response_model=Me, tags=["auth"], responses=PROBLEMS, summary="Who you are logged in as"
    )
    def me(user: CurrentUser) -> dict[str, Any]:
        return {
            "name": user.name,
            "role": user.role,
            "permissions": sorted(user.permissions),
            "municipalities": None if user.municipalities is None else sorted(user.municipalities),
            "token": user.token,
        }

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: CurrentUser) -> JSONResponse:
        return JSONResponse(app.openapi())

    return app
