"""The access log for the data protection officer (a role with `access_log`): everything shown of
one citizen — when, by whom, what, of which run, from where, whether the CPR number was shown in full
— on a page or as CSV. The citizen's number is posted (never in a URL); reading the log is logged."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from engine.faces import access_log
from engine.faces.web.auth import PrivacyOfficer, check_csrf
from engine.faces.web.deps import Db, log_access
from engine.faces.web.pages import page
from engine.faces.web.schemas import CITIZEN_ID
from models import cpr

pages = APIRouter(include_in_schema=False)
routers = (pages,)
SHOWN = 1000
"""Rows on the page (the CSV has every one)."""


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
    format: Annotated[str, Form(pattern="^(html|csv)$")] = "html",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    citizen = cpr.normalise(citizen_id.strip())
    log_access(session, user, "access log", None, citizen, full_cpr=True, detail=f"since {since or 'ever'}")
    entries = access_log.for_citizen(session, citizen, since)
    if format == "csv":
        return StreamingResponse(
            access_log.csv_lines(entries),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
        )
    listed = [e for _, e in zip(range(SHOWN + 1), entries, strict=False)]
    context = {"citizen": citizen, "since": since, "entries": listed[:SHOWN], "more": len(listed) > SHOWN}
    return page(request, "privacy.html", context, user=user)
