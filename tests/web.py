"""What the web UI's tests share: a test client that sends this site's Origin, logging in through the
form (with its CSRF token), settings that leave rate limits out of tests that are not about them."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(database: Path, **settings: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`fsm serve` in a process of its own on an SQLite database (FSM_* settings as keyword
    arguments); its base URL and process."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        **{f"FSM_{k.upper()}": v for k, v in settings.items()},
    }
    log = (database.parent / "serve.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "fsm"), "serve", "--port", str(port)],
        env=env,
        cwd=database.parent,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/login", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (database.parent / "serve.log").read_text()
                assert time.monotonic() < deadline, "fsm serve did not answer within 30 s"
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


class _Forms(HTMLParser):
    """The forms of a page: each one's method, action and fields with the values a browser would send
    (hidden ones too; a select's selected option, else its first; a checkbox only when checked)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"method": found.get("method", "get"), "action": found.get("action"), "fields": {}}
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "option" and self.select is not None:
            if self.select not in fields or "selected" in found:
                fields[self.select] = found.get("value") or ""
            return
        if (
            tag not in ("input", "select", "textarea")
            or not found.get("name")
            or found.get("type") == "submit"
        ):
            return
        if found.get("type") in ("checkbox", "radio") and "checked" not in found:
            return
        if tag == "select":
            self.select = found["name"]
            return
        fields.setdefault(found["name"], found.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def submit(client: TestClient, url: str, fields: dict[str, str], **options) -> Response:
    """Fill in and send the form of the page at `url` that has every one of `fields` (its hidden
    fields, the CSRF token among them, as the page has them)."""
    parser = _Forms()
    parser.feed(client.get(url).text)
    form = next(f for f in parser.forms if set(fields) <= set(f["fields"]))
    data = {**form["fields"], **fields}
    if form["method"].lower() == "post":
        return client.post(form["action"] or url, data=data, **options)
    return client.get(form["action"] or url, params=data, **options)


def verified(browser: TestClient, run: int) -> dict:
    """Start a replay check of `run` and wait for the background job's outcome."""
    assert browser.post(f"/api/runs/{run}/verification").status_code == 202
    for _ in range(600):  # the replay runs in a process of its own
        found = browser.get(f"/api/runs/{run}/verification").json()
        if found["state"] not in ("queued", "running"):
            return found
        time.sleep(0.1)
    raise AssertionError(f"the replay check of run {run} did not end")
