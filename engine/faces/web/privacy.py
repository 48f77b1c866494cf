"""The access log for the data protection officer (a role with `access_log`): everything shown of
one citizen — when, by whom, what, of which run, from where, whether the CPR number was shown in full
— on a page or as CSV. The citizen's number is posted (never in a URL); reading the log is logged."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from engine.faces import access_log
from engine.faces.downloads import Separator
from engine.faces.web.auth import PrivacyOfficer, check_csrf
from engine.faces.web.deps import Db, log_access
from engine.faces.web.pages import page, texts_of
from engine.faces.web.schemas import CITIZEN_ID
from engine.faces.web.tables import FileFormat, send
from models import cpr

pages = APIRouter(include_in_schema=False)
routers = (pages,)
SHOWN = 1000
"""Rows on the page (a download has every one)."""
DOWNLOADS = {
    "xlsx": (FileFormat.xlsx, Separator.semicolon),
    "csv": (FileFormat.csv, Separator.semicolon),
    "csv-comma": (FileFormat.csv, Separator.comma),
}


@pages.get("/privacy", response_class=HTMLResponse)
def privacy_form(request: Request, user: PrivacyOfficer) -> Response:
    return page(request, "privacy.html", {"entries": None}, user=user)


@pages.post("/privacy", response_class=HTMLResponse)
def privacy_log(
    request: Request,
    user: PrivacyOfficer,
    session: Db,
    citizen_id: Annotated[str, Form(pattern=CITIZEN_ID)],
    since: Annotated[date | None, Form()] = None,
    format: Annotated[Literal["html", "xlsx", "csv", "csv-comma"], Form()] = "html",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    citizen = cpr.normalise(citizen_id.strip())
    log_access(session, user, "access log", None, citizen, full_cpr=True, detail=f"since {since or 'ever'}")
    entries = access_log.for_citizen(session, citizen, since)
    if format != "html":
        t = texts_of(request)
        return send(access_log.table(entries, t), *DOWNLOADS[format], t, t._("Access log"))
    listed = [e for _, e in zip(range(SHOWN + 1), entries, strict=False)]
    context = {"citizen": citizen, "since": since, "entries": listed[:SHOWN], "more": len(listed) > SHOWN}
    return page(request, "privacy.html", context, user=user)
