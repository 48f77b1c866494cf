"""What the web UI's tests share: a test client that sends this site's Origin, logging in through the
form (with its CSRF token), settings that leave rate limits out of tests that are not about them."""

import re

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine

from engine.faces.web import create_app
from engine.faces.web.settings import Settings
from tests.conftest import PASSWORDS

ORIGIN = "http://testserver"
RELAXED = Settings(searches_per_minute=100_000, searches_per_day=100_000, login_free_failures=100_000)
"""For tests about something else than throttling."""
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def client(engine: Engine, settings: Settings = RELAXED) -> TestClient:
    return TestClient(create_app(engine, settings), headers={"Origin": ORIGIN})


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def login(client: TestClient, name: str, password: str | None = None, next: str = "/") -> Response:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": name, "password": password or PASSWORDS[name], "next": next, "csrf": token},
        follow_redirects=False,
    )


def logged_in(engine: Engine, name: str, settings: Settings = RELAXED) -> TestClient:
    browser = client(engine, settings)
    response = login(browser, name)
    assert response.status_code == 303, response.text[:300]
    return browser


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
