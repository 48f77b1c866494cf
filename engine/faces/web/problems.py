"""Errors as the reader gets them: the JSON API answers `{"detail": "…"}` in English (scripts match on
it), a page answers with an error page in the reader's language. A refusal the web itself makes is a
`Refusal`: an English message marked for the catalogues with named values, translated when shown.
A message from deeper down (engine/runs) has no translation: the page says what the status means in
the reader's language and shows the message as written, marked as English."""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.faces.i18n import N_
from engine.faces.web import login
from engine.faces.web.auth import CrossSite, Unauthorised, optional_user
from engine.faces.web.deps import Refusal
from engine.faces.web.pages import page, texts_of
from engine.runs import audit, results

STATUS: dict[int, str] = {
    400: N_("The request cannot be read."),
    401: N_("You are not logged in."),
    403: N_("You may not see this."),
    404: N_("There is nothing here."),
    405: N_("This address cannot be used that way."),
    409: N_("This cannot be done now."),
    422: N_("The address or the form holds a value that is not allowed."),
    429: N_("Too many requests: wait a moment and try again."),
    503: N_("The server is busy: try again in a few seconds."),
}
"""What an error status means, for a page that has nothing more precise to say in the reader's language."""
CROSS_SITE = N_("forbidden: a request from another site, or a form that has expired")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


async def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    shown: Refusal | list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as JSON for the API (`detail`), else as a page: what the status means and, from
    `shown`, the refusal or the bad parameters in the reader's language — or `detail` as written."""
    if is_api(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    with Session(request.app.state.engine) as session:
        user = await run_in_threadpool(optional_user, request, session)
    context = {
        "status": status,
        "meaning": STATUS.get(status),
        "said": shown.shown(texts_of(request)) if isinstance(shown, Refusal) else None,
        "parameters": shown if isinstance(shown, list) else None,
        "detail": None if detail == HTTPStatus(status).phrase else detail,
    }
    response = page(request, "error.html", context, user=user, status_code=status)
    response.headers.update(headers or {})
    return response


async def _unauthorised(request: Request, error: Exception) -> Response:
    assert isinstance(error, Unauthorised)
    if not is_api(request) and not error.credentials_given:
        return login.login_redirect(request)
    return JSONResponse(
        {"detail": "unauthorised"}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="fsm"'}
    )


async def _cross_site(request: Request, error: Exception) -> Response:
    if request.url.path == "/login":
        return login.login_page(request, "/", error="cross-site", status=403)
    return await problem(request, 403, CROSS_SITE, shown=Refusal(403, CROSS_SITE))


async def _engine_error(request: Request, error: Exception) -> Response:
    """A run, pack or citizen engine/runs did not find (404), or a run it cannot replay (409)."""
    return await problem(request, 404 if isinstance(error, results.NotFound) else 409, str(error))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if is_api(request):
        return await http_exception_handler(request, error)
    shown = error if isinstance(error, Refusal) else None
    return await problem(request, error.status_code, str(error.detail), shown=shown, headers=error.headers)


async def _invalid(request: Request, error: Exception) -> Response:
    """422 naming each bad parameter and why, never echoing what was sent (it may be a CPR number)."""
    assert isinstance(error, RequestValidationError)
    errors = [{k: v for k, v in e.items() if k not in ("input", "url")} for e in error.errors()]
    if is_api(request):
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
    lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors]
    names = [str(e["loc"][-1]) for e in errors if e["loc"]]
    return await problem(request, 422, "; ".join(lines), shown=names)


def install(app: FastAPI) -> None:
    """The handlers of every error the application answers."""
    app.add_exception_handler(Unauthorised, _unauthorised)
    app.add_exception_handler(CrossSite, _cross_site)
    app.add_exception_handler(results.NotFound, _engine_error)
    app.add_exception_handler(audit.NotVerifiable, _engine_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
