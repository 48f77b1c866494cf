"""End to end in headless Chromium (Debian's package, driven by Playwright): `fsm serve` in a
subprocess on the Aalborg runs; log in, open a run and its chart, find who blocks rate 2, read a
citizen's trace. Screenshots go to test-artifacts/e2e/ (git-ignored) and are checked to be PNGs.

Without /usr/bin/chromium or the playwright package these tests skip with the reason; under CI
(CI=true) they fail instead: CI installs Debian's chromium (.ci/run)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.database import make_engine
from tests.conftest import PASSWORDS, store_aalborg_runs

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
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PNG = b"\x89PNG\r\n\x1a\n"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run the browser tests)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, aalborg_delivery: Path, users_file: Path
) -> Iterator[str]:
    """`fsm serve` on an SQLite database with the Aalborg runs; its base URL."""
    directory = tmp_path_factory.mktemp("e2e")
    database = make_engine(f"sqlite:///{directory / 'fsm.sqlite'}")
    store_aalborg_runs(database, aalborg_delivery, directory / "report")
    database.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'fsm.sqlite'}",
        "FSM_USERS": str(users_file),
    }
    log = (directory / "serve.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "fsm"), "serve", "--port", str(port)],
        env=env,
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, (directory / "serve.log").read_text()
            assert time.monotonic() < deadline, "fsm serve did not answer within 30 s"
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
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
    page.click("button[type=submit]")


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_runs(page):
    with page.expect_response("**/login") as refused:
        log_in(page, password="wrong")
    assert refused.value.status == 401
    assert page.locator("p.error").inner_text() == "unauthorised"
    screenshot(page, "login-refused")
    log_in(page)
    assert page.locator("h1").inner_text() == "Runs"
    assert page.locator("table a[href='/runs/2']").count() == 1
    screenshot(page, "runs")


def test_a_run_shows_rates_the_share_chart_and_replays_identically(page):
    log_in(page, start="/runs/2")
    page.wait_for_url("**/runs/2")
    assert "4,699,600.00" in page.locator("table.rates").inner_text()
    chart = page.locator("figure.chart svg").first
    assert chart.is_visible() and "rate 3: 40 %" in chart.inner_html()
    screenshot(chart, "run-chart")
    page.click("text=Verify run 2")
    checks = page.locator("section.verify p.ok")
    assert checks.first.inner_text().startswith("Identical: replaying run 2")
    assert (
        checks.nth(1).inner_text().startswith("Sealed: what run 2 stores gives the digest it was sealed with")
    )
    assert checks.nth(2).inner_text().startswith("Chain intact")
    screenshot(page, "run", full_page=True)


def test_who_blocks_rate_2_and_a_citizens_trace_and_timeline(page):
    log_in(page, start="/runs/2")
    page.click("text=who blocks rate 2")
    assert "10 members match" in page.locator("main").inner_text()
    screenshot(page, "members-blocking-rate-2")
    page.locator("main table a").first.click()
    assert re.search(r"/runs/2/citizens/\d+$", page.url)
    heading = page.locator("h1").inner_text()
    assert re.match(r"Citizen \d{6}-xxxx", heading)
    decisions = page.locator("details.decision")
    assert decisions.count() == 2
    assert "fsm1.five_years_on_support" in decisions.first.inner_text()
    timeline = page.locator("figure.timeline svg")
    assert timeline.is_visible() and "visitations" in timeline.inner_html()
    screenshot(page, "citizen", full_page=True)
