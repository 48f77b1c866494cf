"""Who is asking, and may they: a server-side session (the browser's cookie) or a script's token
(`Authorization: Bearer …`); permissions asked by name; forms and POSTs only from this site (a CSRF
token in every form, the Origin of every POST). Nothing but the login form is served without a user."""

import hmac
from collections.abc import Callable
from functools import cache
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.faces import access_log, sessions
from engine.faces.users import User
from engine.faces.web.deps import Db
from engine.faces.web.settings import Settings

bearer = HTTPBearer(
    auto_error=False, description="A token of `fsm tokens create NAME --role ROLE` (every use is logged)"
)
SESSION_COOKIE, LOGIN_COOKIE = "fsm_session", "fsm_login"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
    secret = request.cookies.get(cookie(request, SESSION_COOKIE))
    found = sessions.session_user(session, secret, settings_of(request).sessions, client) if secret else None
    if found is None:
        raise Unauthorised(credentials_given=False)
    user, row = found
    request.state.csrf = row.csrf
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@cache
def requires(permission: str) -> Callable[[User], User]:
    """A dependency: the user, if their role has the permission (403 otherwise)."""

    def permitted(user: CurrentUser) -> User:
        if not user.may(permission):
            raise HTTPException(
                403, f"forbidden: the role {user.role} may not {permission.replace('_', ' ')}"
            )
        return user

    return permitted


Reader = Annotated[User, Depends(requires("read"))]
Verifier = Annotated[User, Depends(requires("verify"))]
PrivacyOfficer = Annotated[User, Depends(requires("access_log"))]


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


def check_csrf(request: Request, submitted: str | None) -> None:
    """The form carries this session's token (or, for the login form, the token of its cookie)."""
    expected = getattr(request.state, "csrf", None) or request.cookies.get(cookie(request, LOGIN_COOKIE))
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CrossSite()
