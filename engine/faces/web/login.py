"""Logging in and out, and changing one's password. Wrong passwords are throttled per user name and
per client address (web/limits.py); passwords are verified one at a time (argon2 takes ~64 MB each),
by a short queue: a burst of logins waits there, or gets 503 when it is full, and never costs more
than one hash's memory. The login form carries a CSRF token like every form (its cookie's)."""

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from engine.faces import passwords, sessions, users
from engine.faces.i18n import N_
from engine.faces.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    check_csrf,
    client_of,
    cookie,
    keep_form_token,
    settings_of,
)
from engine.faces.web.limits import failed_login, forget_failures, login_wait
from engine.faces.web.pages import page
from engine.faces.web.settings import Settings

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
BUSY = N_("Too many logins at once: try again in a few seconds.")
THROTTLED = N_("Too many wrong passwords: try again later.")
Csrf = Annotated[str, Form(max_length=64)]


class Busy(Exception):
    """The password hasher's queue is full."""


class Hashing:
    """Password checks one at a time, at most `queue` waiting (the rest: Busy). Waiting costs no thread."""

    def __init__(self, queue: int) -> None:
        self.queue = queue
        self.waiting = 0
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        if self.waiting >= self.queue:
            raise Busy()
        self.waiting += 1
        try:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(1)
            return await anyio.to_thread.run_sync(work, *args, limiter=self._limiter)
        finally:
            self.waiting -= 1


@dataclass(frozen=True)
class Attempt:
    wait: float = 0.0
    """Seconds to wait first (the password was not looked at)."""
    started: sessions.Started | None = None
    """The new session, when the password was right."""


def _attempt(engine: Engine, settings: Settings, name: str, password: str, client: str) -> Attempt:
    """Check the password (unless the name or client must wait); a right one starts a session."""
    with Session(engine) as session:
        wait = login_wait(session, name, client, settings)
        if wait > 0:
            return Attempt(wait)
        if not passwords.verify(users.password_hash(session, name), password):
            failed_login(session, name, client)
            return Attempt()
        forget_failures(session, name)
        users.logged_in(session, name)
        started = sessions.start_session(session, name, client)
        session.commit()
        return Attempt(started=started)


async def attempt(request: Request, name: str, password: str) -> Attempt:
    """A login attempt through the throttle and the hasher's queue (Busy when it is full)."""
    app, client = request.app, client_of(request)
    settings = settings_of(request)
    with Session(app.state.engine) as session:
        wait = await run_in_threadpool(login_wait, session, name, client, settings)
    if wait > 0:
        return Attempt(wait)
    return await app.state.hashing.run(_attempt, app.state.engine, settings, name, password, client)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_redirect(request: Request) -> RedirectResponse:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(wanted, safe='')}", status_code=303)


def login_page(
    request: Request, next: str, *, error: str | None = None, status: int = 200, wait: int = 0
) -> Response:
    """The login form with a fresh CSRF token, kept in a cookie of its own."""
    token = secrets.token_urlsafe(32)
    context = {"next": safe_next(next), "error": error, "wait": wait, "csrf": token}
    response = page(request, "login.html", context, user=None, status_code=status)
    if wait:
        response.headers["Retry-After"] = str(wait)
    keep_form_token(request, response, token)
    return response


def with_session(request: Request, response: Response, started: sessions.Started) -> Response:
    settings = settings_of(request)
    response.set_cookie(
        cookie(request, SESSION_COOKIE),
        started.secret,
        max_age=int(settings.sessions.absolute.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
    response.delete_cookie(cookie(request, LOGIN_COOKIE))
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return login_page(request, next)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=passwords.MAX_LENGTH)],
    csrf: Csrf = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(request, csrf)
    try:
        outcome = await attempt(request, username, password)
    except Busy:
        return login_page(request, next, error="busy", status=503, wait=5)
    if outcome.wait:
        return login_page(request, next, error="throttled", status=429, wait=math.ceil(outcome.wait))
    if outcome.started is None:
        return login_page(request, next, error="unauthorised", status=401)
    return with_session(request, RedirectResponse(safe_next(next), status_code=303), outcome.started)


@router.post("/logout")
def logout(request: Request, user: CurrentUser, csrf: Csrf = "") -> Response:
    check_csrf(request, csrf)
    with Session(request.app.state.engine) as session, session.begin():
        sessions.end_session(session, request.cookies[cookie(request, SESSION_COOKIE)])
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(cookie(request, SESSION_COOKIE))
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: CurrentUser) -> Response:
    return page(request, "account.html", {}, user=user)


@router.post("/account", response_class=HTMLResponse)
async def change_password(
    request: Request,
    user: CurrentUser,
    current: Annotated[str, Form(max_length=passwords.MAX_LENGTH)],
    new: Annotated[str, Form(max_length=passwords.MAX_LENGTH)],
    repeated: Annotated[str, Form(max_length=passwords.MAX_LENGTH)],
    csrf: Csrf = "",
) -> Response:
    """A new password (checked like any) after the current one: every session of the user ends, and
    this browser gets a new one."""
    check_csrf(request, csrf)

    def refused(error: str, status: int = 422, **values: Any) -> Response:
        context = {"error": error, "values": values}
        return page(request, "account.html", context, user=user, status_code=status)

    if user.token:
        return refused(N_("a token has no password"), 403)
    if new != repeated:
        return refused(N_("the new password and its repetition differ"))
    try:
        passwords.check(user.name, new)
    except passwords.PasswordRefused as error:
        return refused(error.message, **error.values)
    try:
        outcome = await attempt(request, user.name, current)
    except Busy:
        return refused(BUSY, 503)
    if outcome.wait:
        return refused(THROTTLED, 429)
    if outcome.started is None:
        return refused(N_("the current password is wrong"), 401)
    with Session(request.app.state.engine) as session, session.begin():
        users.set_password(session, user.name, new)
        started = sessions.start_session(session, user.name, client_of(request))
    return with_session(request, RedirectResponse("/account?changed=1", status_code=303), started)
