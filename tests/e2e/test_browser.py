"""End to end in headless Chromium (Debian's package, driven by Playwright): `fsm serve` in a
subprocess on the Aalborg runs; log in and out, a login form posted from another site refused, open
a run and a municipality with its chart, verify a run in the background, find who blocks rate 2,
read a citizen's trace; and the run page of a national-shaped run (98 municipalities). Screenshots go to test-artifacts/e2e/ (git-ignored) and are checked to be PNGs.

The pages are read in Danish, as a browser with a Danish locale gets them (tests/e2e/conftest.py
has the shared fixtures; test_accessibility.py goes through every page in both languages)."""

import re
from collections.abc import Iterator
from datetime import date

import pytest

from engine.input.importing import import_folder
from engine.runs.run import nightly_run
from engine.synthetic.national import write_national
from models.database import make_engine, upgrade
from tests.conftest import PASSWORDS, add_web_users
from tests.e2e.conftest import log_in, screenshot
from tests.web import served


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`fsm serve` on a national-shaped run: 3,000 citizens over the 98 municipalities."""
    directory = tmp_path_factory.mktemp("national")
    database = make_engine(f"sqlite:///{directory / 'fsm.sqlite'}")
    upgrade(database)
    write_national(directory / "delivery", 3000)
    import_folder(database, directory / "delivery", report_dir=directory / "report")
    nightly_run(database, as_of=date(2019, 7, 31), workers=1)
    add_web_users(database)
    database.dispose()
    with served(directory / "fsm.sqlite") as (base, _process):
        yield base


@pytest.fixture
def national_page(browser, national: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=national, locale="da-DK")
    yield context.new_page()
    context.close()


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_runs(page):
    with page.expect_response("**/login") as refused:
        log_in(page, password="wrong")
    assert refused.value.status == 401
    assert page.locator("p.error").inner_text() == "Forkert brugernavn eller adgangskode."
    screenshot(page, "login-refused")
    log_in(page)
    assert page.locator("h1").inner_text() == "Kørsler"
    assert page.locator("table a[href='/runs/2']").count() == 1
    screenshot(page, "runs")


def test_logging_out_ends_the_session(page):
    log_in(page, start="/runs/2")
    page.wait_for_url("**/runs/2")
    page.click("header form.who button[type=submit]")
    page.wait_for_url("**/login")
    page.goto("/runs/2")
    assert "/login?next=" in page.url and page.locator("input[name=password]").is_visible()


def test_a_login_form_posted_from_another_site_is_refused(page, browser, server: str):
    """A page of another origin (a data: URL) that auto-posts the login form with the attacker's password."""
    evil = browser.new_context()
    attack = evil.new_page()
    attack.set_content(
        f'<form method="post" action="{server}/login"><input name="username" value="alice">'
        f'<input name="password" value="{PASSWORDS["alice"]}"><input name="csrf" value="forged"></form>'
    )
    with attack.expect_response(f"{server}/login") as refused:
        attack.evaluate("document.forms[0].submit()")
    assert refused.value.status == 403
    assert not [c for c in evil.cookies() if c["name"] == "fsm_session"]
    attack.wait_for_url(f"{server}/login")  # the refusal shown, not the form page it replaces
    attack.wait_for_load_state()
    screenshot(attack, "login-csrf-refused")
    evil.close()


def test_a_run_and_a_municipality_show_rates_the_share_chart_and_the_run_replays(page):
    log_in(page, start="/runs/2")
    page.wait_for_url("**/runs/2")
    assert "4.699.600,00\xa0kr." in page.locator("table.summary").inner_text()
    page.click("table.summary >> text=Aalborg (851)")
    assert "4.699.600,00\xa0kr." in page.locator("table.rates").inner_text()
    chart = page.locator("figure.chart svg").first
    assert chart.is_visible() and "rate 3: 40&nbsp;%" in chart.inner_html()
    screenshot(chart, "run-chart")
    page.goto("/runs/2")
    page.click("text=Genberegn kørsel 2")
    for _ in range(120):  # the replay runs in the background: reload until it is done
        if page.locator("section.verify p.ok").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert (
        page.locator("section.verify p.ok")
        .first.inner_text()
        .startswith("Identisk: en genberegning af kørsel 2")
    )
    assert "startet af alice" in page.locator("section.verify").inner_text()
    checks = page.locator("section.verify p.ok")
    assert checks.nth(1).inner_text().startswith("Forseglet:")
    assert checks.nth(2).inner_text().startswith("Kæden er intakt")
    screenshot(page, "run", full_page=True)


def test_the_run_page_of_a_national_run_is_a_line_per_municipality(national_page):
    log_in(national_page, start="/runs/1")
    national_page.wait_for_url("**/runs/1")
    rows = national_page.locator("table.summary tbody tr")
    assert rows.count() == 98
    assert "København (101)" in rows.first.inner_text()
    screenshot(national_page, "national-run", full_page=True)
    rows.nth(1).locator("a").first.click()
    assert re.search(r"/runs/1/municipalities/\d{3}$", national_page.url)
    assert national_page.locator("table.members tbody tr").count() > 0


def test_who_blocks_rate_2_and_a_citizens_trace_and_timeline(page):
    log_in(page, start="/runs/2/municipalities/851")
    page.click("table.rates >> text=hvem")
    assert "10 borgere i målgruppen passer" in page.locator("main").inner_text()
    screenshot(page, "members-blocking-rate-2")
    page.locator("table.members a").first.click()
    assert re.search(r"/runs/2/citizens/\d+$", page.url)
    heading = page.locator("h1").inner_text()
    assert re.match(r"Borger \d{6}-xxxx", heading)
    decisions = page.locator("details.decision")
    assert decisions.count() == 2
    assert "fsm1.five_years_on_support" in decisions.first.inner_text()
    timeline = page.locator("figure.timeline svg")
    assert timeline.is_visible() and "visitationer" in timeline.inner_html()
    screenshot(page, "citizen", full_page=True)
