"""Accessible by law (the web accessibility act: EN 301 549, WCAG 2.1 AA), checked in Chromium over
every page of tests/pages.py in Danish and in English:

- axe-core (npm, pinned in tests/e2e/package-lock.json, injected into the page — no CDN) finds no
  violation of WCAG 2.0/2.1 A and AA, nor of its best practices, with every `<details>` opened;
- at 375 px the page never scrolls sideways (a wide table scrolls inside its own frame);
- a screenshot of each, 1280 px and 375 px wide, goes to test-artifacts/e2e/;
- the keyboard alone logs in, skips to the content, reaches every control of a page with a visible
  focus, filters the members and switches the language."""

import json
import re
from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORDS
from tests.e2e.conftest import LOCALES, screenshot
from tests.pages import PAGES, Page, listed, resolved

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 375, "height": 740}
BEYOND = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.scroll'))
    .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
        + ' ' + Math.round(e.getBoundingClientRect().right))"""
"""What reaches beyond the screen's right edge (outside the frames that scroll), for the message."""


@pytest.fixture(scope="module")
def sessions(browser, aalborg_site: dict) -> Iterator[dict[tuple[str | None, str], object]]:
    """A browser context per user of the page list and language, logged in through the form."""
    contexts = {}
    for user in {p.user for p in PAGES}:
        for language, locale in LOCALES.items():
            context = browser.new_context(base_url=aalborg_site["base"], locale=locale)
            if user:
                tab = context.new_page()
                tab.goto("/login")
                tab.fill("input[name=username]", user)
                tab.fill("input[name=password]", PASSWORDS[user])
                tab.click("main button[type=submit]")
                tab.wait_for_url(re.compile(r"^(?!.*/login)"))
                tab.close()
            contexts[user, language] = context
    yield contexts
    for context in contexts.values():
        context.close()


def opened(sessions, site: dict, page: Page, language: str, viewport: dict[str, int]):
    """The page in a tab of the user's context, shown (a form filled in and sent), every `<details>` open."""
    page = resolved(page, site["ref"], site["citizen"])
    tab = sessions[page.user, language].new_page()
    tab.set_viewport_size(viewport)
    response = tab.goto(page.url)
    if page.form:
        for name, value in page.form.items():
            tab.fill(f"[name={name}]", value)
        with tab.expect_navigation() as sent:
            tab.locator(f"[name={next(iter(page.form))}]").press("Enter")
        response = sent.value
    assert response.status == page.status, (page.name, response.status)
    assert tab.evaluate("document.documentElement.lang") == language
    tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    return tab


@pytest.mark.parametrize("language", list(LOCALES))
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_axe_finds_no_violation(sessions, aalborg_site, axe_source: str, page: Page, language: str):
    tab = opened(sessions, aalborg_site, page, language, {"width": 1280, "height": 900})
    tab.evaluate(axe_source)  # DevTools' evaluation: the page's own CSP allows no script
    found = tab.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    tab.close()
    assert found["testEngine"]["version"].startswith("4.")
    problems = [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "where": [n["target"] for n in v["nodes"][:5]],
        }
        for v in found["violations"]
    ]
    assert problems == [], json.dumps(problems, indent=1, ensure_ascii=False)
    assert len(found["passes"]) > 20  # axe did look


@pytest.mark.parametrize("language", list(LOCALES))
@pytest.mark.parametrize("page", listed("375px"))
def test_no_sideways_scrolling_at_375_px_and_screenshots(sessions, aalborg_site, page: Page, language: str):
    for viewport, suffix in (({"width": 1280, "height": 900}, ""), (PHONE, "-375")):
        tab = opened(sessions, aalborg_site, page, language, viewport)
        screenshot(tab, f"{page.name}-{language}{suffix}", full_page=True)
        width = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        beyond = tab.evaluate(BEYOND)
        tab.close()
    assert width[0] <= width[1], f"{page.name} is {width[0]} px wide at {width[1]} px: {beyond}"


def focus_shown(tab) -> dict:
    """The focused element and whether it shows that it has the focus (an outline of its own)."""
    return tab.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), name: e.getAttribute('name'), text: e.innerText || e.value || '',
                href: e.getAttribute('href'), outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
                visible: e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().height > 0}; }"""
    )


def test_the_keyboard_alone_logs_in_skips_to_the_content_and_reaches_every_control(
    browser, aalborg_site: dict
):
    context = browser.new_context(base_url=aalborg_site["base"], locale="da-DK")
    tab = context.new_page()
    tab.goto("/login?next=%2Fruns%2F2%2Fmunicipalities%2F851")
    assert focus_shown(tab)["name"] == "username"  # the form starts with the focus in it
    tab.keyboard.type("alice")
    tab.keyboard.press("Tab")
    assert focus_shown(tab)["name"] == "password"
    tab.keyboard.type(PASSWORDS["alice"])
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/runs/2/municipalities/851")
    tab.keyboard.press("Tab")
    skip = focus_shown(tab)
    assert skip["href"] == "#main" and skip["visible"] and skip["outline"], (
        skip
    )  # shown when it has the focus
    screenshot(tab, "keyboard-skip-link")
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.id") == "main"
    seen = []
    for _ in range(400):
        tab.keyboard.press("Tab")
        shown = focus_shown(tab)
        if shown["tag"] == "body" or (shown["href"] == "#main" and seen):
            break
        seen.append(shown)
    assert len(seen) > 30 and all(s["outline"] and s["visible"] for s in seen), [
        s for s in seen if not s["outline"]
    ]
    names = {s["name"] for s in seen}
    assert {"status", "group", "blocks_rate2", "per_page"} <= names
    assert any(s["tag"] == "summary" for s in seen) and any(s["text"] == "Filtrér" for s in seen)
    tab.focus("select[name=group]")
    tab.keyboard.press("ArrowDown")  # the first group after "any"
    tab.keyboard.press("Tab")
    assert focus_shown(tab)["name"] == "blocks_rate2"
    tab.focus("form.filters button[type=submit]")
    with tab.expect_navigation(url="**group=1**"):
        tab.keyboard.press("Enter")
    assert "491 borgere i målgruppen passer" in tab.locator("main").inner_text()
    tab.focus("form.language button")
    assert focus_shown(tab)["outline"]
    with tab.expect_navigation(url="**group=1**"):
        tab.keyboard.press("Enter")  # posted with the page's CSRF token, from this site
    assert tab.evaluate("document.documentElement.lang") == "en"
    assert "491 members match" in tab.locator("main").inner_text()
    screenshot(tab, "keyboard-switched-to-english")
    context.close()
