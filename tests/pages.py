"""Every page of the web UI, in one place: the accessibility (axe), screenshot, 375 px and no-English
tests go through this list, and `test_every_page_route_is_listed` fails when the application has a
GET page that is not in it (so a new page cannot be forgotten). A page shown in answer to a form
(a search, the access log of a citizen, a refused login) is listed with the form that shows it.

The URLs are those of the Aalborg runs (tests/conftest.py `store_aalborg_runs`); `{ref}` is a
citizen's reference and `{citizen}` their CPR number, found when the test runs (`citizen_of`)."""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.runs import StoredDecision
from tests.conftest import SAVED_KEY


@dataclass(frozen=True)
class Page:
    name: str
    """For screenshots and test ids."""
    route: str
    """The application's route (its path template)."""
    url: str
    user: str | None
    """Who reads it (tests/conftest.py WEB_USERS; None: nobody logged in)."""
    form: dict[str, str] = field(default_factory=dict)
    """For a page shown in answer to a form on `url`: the fields to fill in (by name) before sending it."""
    status: int = 200


PAGES = (
    Page("login", "/login", "/login", None),
    Page("login-refused", "/login", "/login", None, {"username": "alice", "password": "wrong"}, 401),
    Page("accessibility-statement", "/tilgaengelighed", "/tilgaengelighed", None),
    Page("runs", "/", "/", "alice"),
    Page("run", "/runs/{run_id}", "/runs/2", "alice"),
    Page("run-failed", "/runs/{run_id}", "/runs/3", "alice"),
    Page(
        "municipality", "/runs/{run_id}/municipalities/{municipality}", "/runs/2/municipalities/851", "alice"
    ),
    Page("citizen", "/runs/{run_id}/citizens/{ref}", "/runs/2/citizens/{ref}", "alice"),
    Page("search", "/runs/{run_id}/citizens", "/runs/2", "alice", {"citizen_id": "010101-1234"}),
    Page("diff", "/diff", "/diff?first=1&second=2", "alice"),
    Page("account", "/account", "/account", "alice"),
    Page("privacy", "/privacy", "/privacy", "petra"),
    Page("privacy-log", "/privacy", "/privacy", "petra", {"citizen_id": "{citizen}"}),
    Page(
        "distance",
        "/runs/{run_id}/municipalities/{municipality}/distance",
        "/runs/1/municipalities/851/distance",
        "paula",
    ),
    Page(
        "forecast",
        "/runs/{run_id}/municipalities/{municipality}/forecast",
        "/runs/1/municipalities/851/forecast",
        "paula",
    ),
    Page("scenario-new", "/municipalities/{municipality}/scenario", "/municipalities/851/scenario", "paula"),
    Page(
        "scenario-result",
        "/municipalities/{municipality}/scenario",
        "/municipalities/851/scenario?c0-op=visitate&c0-group=1&c0-only_active=true",
        "paula",
        {
            "title": "alle resten i maj",
            "c0-count": "all",
            "c0-date": "2018-05-31",
            "base": "1",
            "as_of": "2019-07-31",
        },
    ),
    Page("scenarios", "/scenarios", "/scenarios", "paula"),
    Page("scenario-saved", "/scenarios/{key}", f"/scenarios/{SAVED_KEY}", "paula"),
    Page("not-found", "/{missing}", "/runs/99", "alice", status=404),
)

KNOWN_GAPS: dict[str, tuple[str, ...]] = {}
"""The only place a page may be exempted from a test (by the test's name in `known_gap`): the
exempted test is expected to fail, and fails when it passes — remove the exemption then."""


def listed(test: str) -> list[Any]:
    """The pages as pytest parameters for `test`, a known gap marked as expected to fail."""
    return [
        pytest.param(
            page, id=page.name, marks=pytest.mark.xfail(strict=True, reason=f"a known gap: {page.name}")
        )
        if test in KNOWN_GAPS.get(page.name, ())
        else pytest.param(page, id=page.name)
        for page in PAGES
    ]


def routes(app: FastAPI) -> Iterator[tuple[str, set[str]]]:
    """Every route of the application, routers included, as its path and methods."""

    def walk(found: list[Any], prefix: str) -> Iterator[tuple[str, set[str]]]:
        for route in found:
            if isinstance(route, APIRoute):
                yield prefix + route.path, set(route.methods)
            elif hasattr(route, "original_router"):  # FastAPI includes a router lazily
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)

    return walk(app.routes, "")


def page_routes(app: FastAPI) -> set[str]:
    """The application's pages: GET routes answering HTML, not the JSON API and not downloads."""
    return {
        path
        for path, methods in routes(app)
        if "GET" in methods
        and not path.startswith("/api/")
        and path != "/openapi.json"
        and "/downloads/" not in path
    }


def download_routes(app: FastAPI) -> set[str]:
    return {path for path, methods in routes(app) if "/downloads/" in path}


def citizen_of(engine: Engine) -> tuple[int, str]:
    """A member of run 2 in visitation group 1 (with a timeline, activities and both decisions): their
    reference and CPR number."""
    with Session(engine) as session:
        row = session.scalars(
            select(StoredDecision)
            .where(
                StoredDecision.run_id == 2,
                StoredDecision.decision == "fsm1.status",
                StoredDecision.group == "1",
            )
            .order_by(StoredDecision.citizen_id)
        ).first()
        assert row is not None and row.citizen_id
        return row.id, row.citizen_id


def resolved(page: Page, ref: int, citizen: str) -> Page:
    """The page with `{ref}` and `{citizen}` filled in."""

    def fill(text: str) -> str:
        return text.replace("{ref}", str(ref)).replace("{citizen}", citizen)

    return replace(page, url=fill(page.url), form={k: fill(v) for k, v in page.form.items()})
