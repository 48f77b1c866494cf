"""Authentication and roles: a login form with a signed session cookie for the pages, HTTP Basic
(or the same cookie) for the JSON API. Nothing but the login form is served without a user."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from engine.faces.users import User, Users
from engine.faces.web.pages import page

basic = HTTPBasic(auto_error=False, realm="fsm", description="A user of the users file (`fsm users add`)")
SESSION_USER = "user"


class Unauthorised(Exception):
    """No user, or a wrong password: 401 (or, for a page asked for without credentials, the login form)."""

    def __init__(self, *, credentials_given: bool) -> None:
        super().__init__("unauthorised")
        self.credentials_given = credentials_given


def _users(request: Request) -> Users:
    return request.app.state.users


def current_user(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)]
) -> User:
    """The user of HTTP Basic credentials, else of the session cookie; Unauthorised otherwise."""
    users = _users(request)
    if credentials is not None:
        user = users.authenticate(credentials.username, credentials.password)
        if user is None:
            raise Unauthorised(credentials_given=True)
        return user
    name = request.session.get(SESSION_USER)
    if name is not None and name in users.users:
        return users.users[name]
    raise Unauthorised(credentials_given=False)


def reader(user: Annotated[User, Depends(current_user)]) -> User:
    """A user whose role may read runs (403 otherwise)."""
    if not user.may("read"):
        raise HTTPException(403, f"forbidden: the role {user.role} may not read runs")
    return user


Reader = Annotated[User, Depends(reader)]


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_redirect(request: Request) -> RedirectResponse:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(wanted, safe='')}", status_code=303)


router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", {"next": safe_next(next)}, user=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    user = _users(request).authenticate(username, password)
    if user is None:
        context = {"next": safe_next(next), "error": "unauthorised"}
        return page(request, "login.html", context, user=None, status_code=401)
    request.session.clear()
    request.session[SESSION_USER] = user.name
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
