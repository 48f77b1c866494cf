"""Who is asking, and may they: a server-side session (the browser's cookie) or a script's token
(`Authorization: Bearer …`); permissions asked by name; forms and POSTs only from this site (a CSRF
token in every form, the Origin of every POST). Nothing but the login form is served without a user."""

import hmac
import secrets
from collections.abc import Callable
from functools import cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from engine.faces import access_log, sessions
from engine.faces.i18n import N_
from engine.faces.users import User
from engine.faces.web.deps import Db, Refusal, Term
from engine.faces.web.settings import Settings

bearer = HTTPBearer(
    auto_error=False, description="A token of `fsm tokens create NAME --role ROLE` (every use is logged)"
)
SESSION_COOKIE, LOGIN_COOKIE = "fsm_session", "fsm_login"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PERMISSIONS = {
    "read": N_("read"),
    "verify": N_("verify"),
    "full_cpr": N_("full cpr"),
    "access_log": N_("access log"),
    "simulate": N_("simulate"),
}
"""What a permission lets one do, as a refusal names it ("the role … may not read")."""


class Unauthorised(Exception):
    """No user, or a wrong token: 401 (or, for a page asked for without credentials, the login form)."""

    def __init__(self, *, credentials_given: bool) -> None:
        super().__init__("unauthorised")
        self.credentials_given = credentials_given


class CrossSite(Exception):
    """A POST from another site, or a form without this session's token: refused (403)."""


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def cookie(request: Request, name: str) -> str:
    """A cookie's name as sent: with the `__Host-` prefix when cookies are Secure."""
    return f"__Host-{name}" if settings_of(request).secure_cookies else name


def client_of(request: Request) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client else "unknown"


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: Db,
) -> User:
    """The user of a Bearer token (its use logged), else of the session cookie; Unauthorised otherwise."""
    client = client_of(request)
    if credentials is not None:
        user = sessions.token_user(session, credentials.credentials, client)
        if user is None:
            raise Unauthorised(credentials_given=True)
        access_log.record(
            session,
            user.who,
            "token",
            None,
            [None],
            full_cpr=None,
            client=client,
            detail=f"{request.method} {request.url.path}",
        )
        return user
    user = optional_user(request, session)
    if user is None:
        raise Unauthorised(credentials_given=False)
    return user


def optional_user(request: Request, session: Session) -> User | None:
    """The user of the session cookie, if it names a live session (its CSRF token then is the forms'),
    else None: for the pages anyone may read, and error pages."""
    secret = request.cookies.get(cookie(request, SESSION_COOKIE))
    found = (
        sessions.session_user(session, secret, settings_of(request).sessions, client_of(request))
        if secret
        else None
    )
    if found is None:
        return None
    user, row = found
    request.state.csrf = row.csrf
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@cache
def requires(permission: str) -> Callable[[User], User]:
    """A dependency: the user, if their role has the permission (403 otherwise)."""

    def permitted(user: CurrentUser) -> User:
        if not user.may(permission):
            raise Refusal(
                403,
                N_("forbidden: the role %(role)s may not %(permission)s"),
                role=user.role,
                permission=Term(PERMISSIONS.get(permission, permission)),
            )
        return user

    return permitted


Reader = Annotated[User, Depends(requires("read"))]
Verifier = Annotated[User, Depends(requires("verify"))]
PrivacyOfficer = Annotated[User, Depends(requires("access_log"))]
Simulator = Annotated[User, Depends(requires("simulate"))]


def origin_of(request: Request) -> str:
    """This site's origin as browsers see it."""
    configured = settings_of(request).public_origin
    return (
        configured.rstrip("/") if configured else f"{request.url.scheme}://{request.headers.get('host', '')}"
    )


def same_origin(request: Request) -> None:
    """Every POST comes from this site: its Origin (or, lacking one, its Referer) must be ours. A script
    with a token (and no cookie) sends neither, and needs none: no browser adds a token by itself."""
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("origin")
    if sent is None and (referer := request.headers.get("referer")):
        sent = "/".join(referer.split("/", 3)[:3])
    if (
        sent is None
        and request.headers.get("authorization", "").lower().startswith("bearer ")
        and not request.cookies
    ):
        return
    if sent is None or not hmac.compare_digest(sent.rstrip("/"), origin_of(request)):
        raise CrossSite()


def form_token(request: Request) -> tuple[str, bool]:
    """The CSRF token a page's forms carry: the session's, else the one of this browser's login cookie
    (a new one when it has none); and whether the token is new (to be set as that cookie)."""
    kept = getattr(request.state, "csrf", None) or request.cookies.get(cookie(request, LOGIN_COOKIE))
    return (kept, False) if kept else (secrets.token_urlsafe(32), True)


def keep_form_token(request: Request, response: Response, token: str) -> None:
    """The login cookie: the CSRF token of the forms of a browser without a session."""
    response.set_cookie(
        cookie(request, LOGIN_COOKIE),
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings_of(request).secure_cookies,
    )


def check_csrf(request: Request, submitted: str | None, *, either: bool = False) -> None:
    """The form carries this session's token (or, for the login form, the token of its cookie; with
    `either`, one of the two: a form any page has, whether it was shown in a session or not)."""
    session_token = getattr(request.state, "csrf", None)
    login_token = request.cookies.get(cookie(request, LOGIN_COOKIE))
    expected = [session_token, login_token] if either else [session_token or login_token]
    if not submitted or not any(token and hmac.compare_digest(token, submitted) for token in expected):
        raise CrossSite()
