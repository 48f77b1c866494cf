"""What anyone may use without logging in: the language switch of every page and the accessibility
statement (tilgængelighedserklæringen, linked from every page).

The switch is a form (no script): it posts the language, with the page's CSRF token — the session's,
or for a reader not logged in the login cookie's — from this site only (the Origin check of every
POST), and the choice is kept in a cookie for a year."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.faces.i18n import Language
from engine.faces.web.auth import check_csrf, cookie, optional_user, settings_of
from engine.faces.web.deps import Db
from engine.faces.web.login import safe_next
from engine.faces.web.pages import LANGUAGE_COOKIE, page

router = APIRouter(include_in_schema=False)
routers = (router,)
YEAR = 365 * 24 * 3600
STATEMENT = "/tilgaengelighed"


@router.post("/language")
def choose_language(
    request: Request,
    session: Db,
    lang: Annotated[Language, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    optional_user(request, session)  # a live session's token is the one its pages' forms carry
    check_csrf(request, csrf, either=True)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        cookie(request, LANGUAGE_COOKIE),
        lang.value,
        max_age=YEAR,
        httponly=True,
        samesite="strict",
        secure=settings_of(request).secure_cookies,
    )
    return response


@router.get(STATEMENT, response_class=HTMLResponse)
def accessibility_statement(request: Request, session: Db) -> Response:
    """docs/accessibility-statement.md as the municipality filled it in (FSM_STATEMENT_*)."""
    user = optional_user(request, session)
    return page(request, "accessibility.html", {"statement": settings_of(request).statement}, user=user)
