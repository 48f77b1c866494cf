"""What the browser tests share: headless Debian Chromium driven by Playwright (never a downloaded
browser), `fsm serve` on the Aalborg runs, logging in through the form, screenshots saved to
test-artifacts/e2e/ (git-ignored), and axe-core from npm (tests/e2e/package.json, installed by
`npm ci` into tests/e2e/node_modules when it is missing; no CDN).

Without /usr/bin/chromium or the playwright package — or, for axe, node and npm — these tests skip
with the reason; under CI (CI=true) they fail instead: .ci/run installs Debian's chromium, nodejs
and npm."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.database import make_engine
from tests.conftest import PASSWORDS, add_web_users, store_aalborg_runs
from tests.pages import citizen_of
from tests.web import served

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = HERE.parents[1] / "test-artifacts" / "e2e"
PNG = b"\x89PNG\r\n\x1a\n"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
LOCALES = {"da": "da-DK", "en": "en-GB"}
"""The browser's locale (its Accept-Language) for each language of the pages."""


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must run the browser tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js of the pinned axe-core (package-lock.json), `npm ci` first when it is not installed."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            unavailable(
                "node and npm are missing: install Debian's nodejs and npm (apt-get install nodejs npm)"
            )
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0 and AXE.exists(), f"npm ci in {HERE} failed: {done.stderr[-2000:]}"
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def aalborg_site(tmp_path_factory: pytest.TempPathFactory, aalborg_delivery: Path) -> Iterator[dict]:
    """`fsm serve` on an SQLite database with the Aalborg runs and the web users: its base URL, a
    citizen's reference and CPR number (tests/pages.py) and the database's URL."""
    directory = tmp_path_factory.mktemp("e2e")
    database = make_engine(f"sqlite:///{directory / 'fsm.sqlite'}")
    store_aalborg_runs(database, aalborg_delivery, directory / "report")
    add_web_users(database)
    ref, citizen = citizen_of(database)
    database.dispose()
    with served(directory / "fsm.sqlite", login_free_failures="1000") as (
        base,
        _process,
    ):  # pages refuse logins
        yield {
            "base": base,
            "ref": ref,
            "citizen": citizen,
            "database": f"sqlite:///{directory / 'fsm.sqlite'}",
        }


@pytest.fixture(scope="session")
def server(aalborg_site: dict) -> str:
    return aalborg_site["base"]


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server, locale="da-DK")
    yield context.new_page()
    context.close()


def screenshot(target, name: str, **options: object) -> Path:
    """Save a screenshot and check that it is a non-empty PNG."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    target.screenshot(path=str(path), **options)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 5000, f"{path} is not a PNG worth looking at"
    return path


def log_in(page, user: str = "alice", password: str | None = None, *, start: str = "/") -> None:
    page.goto(start)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password or PASSWORDS[user])
    page.click("main button[type=submit]")
