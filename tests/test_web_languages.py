"""The web UI speaks Danish by default and English on request: the switch on every page (a form,
kept in a cookie, posted with the page's CSRF token from this site only), the browser's
Accept-Language, the setting FSM_LANG; `<html lang>` says which. Every page of tests/pages.py is
scanned for English words left on its Danish version; error pages speak the reader's language too,
and the accessibility statement is reachable from every page, filled in from the settings."""

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from engine.faces.i18n import Language
from engine.faces.web import create_app
from engine.faces.web.settings import Settings, Statement, settings_from_env
from tests.conftest import WebRuns
from tests.pages import PAGES, Page, citizen_of, listed, page_routes, resolved
from tests.web import RELAXED, client, csrf_of, logged_in, login, submit

ENGLISH_WORDS = re.compile(
    r"\b(?:the|and|of|with|is|are|not|yes|no|from|in|on|as|Runs?|runs?|Members?|members?|"
    r"[Mm]unicipalit(?:y|ies)|[Cc]itizens?|[Dd]ecisions?|triggered|page|previous|next|[Pp]assword|"
    r"[Uu]ser|[Dd]ownload|share|group|months?|active|who|what|when|Back|Show|Open|[Ss]earch|Exports?|"
    r"rules?|facts|source|amount|grant|delivery|replay(?:ed)?|verify|Verify|statement|Accessibility|"
    r"Skip|Language|account|Change|again|masked|full|shown|any|per|since|entries|Log out|Log in)\b"
)
"""Words that are English only (Danish `rate`, `status`, `data`, `to`, `at`, `for` and `by` are
Danish words too, and left out)."""
DANISH_WORDS = re.compile(
    r"\b(?:og|af|til|som|med|ikke|der|den|det|er|på|fra|eller|kørsel|kørsler|borgere?|[Hh]ent|kommuner?|"
    r"måned(?:er)?|[Dd]iagrammets|tabel|regel|regler|udløst|ja|nej|Gå|Sprog|Tilgængelighedserklæring)\b"
)
"""Words that are Danish only, on an English page (the programme's name, "Flere skal med", and the
Danish words an English note quotes, 'mindst fem år', aside)."""
SKIPPED = {"script", "style", "metadata", "code", "defs"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """What a reader sees or hears of a page in `language`: its text and the labels a screen reader
    reads (aria-label, title, alt, placeholder) — but not code, nor what is marked as another
    language (`lang="en"` on a Danish page)."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.open: list[bool] = []
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return any(self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        skip = tag in SKIPPED or not (found.get("lang") or self.language).startswith(self.language)
        if not (skip or self._skipping()):
            self.parts += [v for k, v in attrs if k in ("aria-label", "title", "alt", "placeholder") and v]
        if tag not in VOID:
            self.open.append(skip)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skipping():
            self.parts += [v for k, v in attrs if k in ("aria-label", "title", "alt") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def visible(html: str, language: str = "da") -> str:
    parser = VisibleText(language)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def readers(web_runs: WebRuns) -> Iterator[dict[str | None, TestClient]]:
    """A logged-in browser per user of the page list, and one of nobody."""
    browsers = {name: logged_in(web_runs.engine, name) for name in {p.user for p in PAGES} - {None}}
    browsers[None] = client(web_runs.engine)
    yield browsers
    for browser in browsers.values():
        browser.close()


@pytest.fixture(scope="module")
def citizen(web_runs: WebRuns) -> tuple[int, str]:
    return citizen_of(web_runs.engine)


def shown(readers: dict[str | None, TestClient], page: Page, citizen: tuple[int, str], **headers: str):
    page = resolved(page, *citizen)
    browser = readers[page.user]
    if page.form:
        return submit(browser, page.url, page.form, headers=headers)
    return browser.get(page.url, headers=headers)


def test_every_page_route_is_listed(web_runs: WebRuns):
    named = {page.route for page in PAGES}
    assert page_routes(create_app(web_runs.engine)) - named == set(), "add the page to tests/pages.py"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_is_danish_by_default(readers, citizen, page: Page):
    response = shown(readers, page, citizen)
    assert response.status_code == page.status, response.text[:300]
    assert response.text.startswith('<!doctype html>\n<html lang="da">')
    assert response.headers["content-language"] == "da"
    assert (
        'action="/language"' in response.text
        and '<button type="submit" name="lang" value="en" lang="en">English</button>' in response.text
    )
    assert '<a href="/tilgaengelighed">Tilgængelighedserklæring</a>' in response.text
    assert '<a class="skip" href="#main">Gå til indholdet</a>' in response.text


@pytest.mark.parametrize("page", listed("no-english"))
def test_no_english_is_left_on_a_danish_page(readers, citizen, page: Page):
    text = visible(shown(readers, page, citizen).text)
    assert len(text) > 100
    left = sorted({m.group(0) for m in ENGLISH_WORDS.finditer(text)})
    assert left == [], f"English on the Danish page {page.name}: {left}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_danish_is_left_on_an_english_page(readers, citizen, page: Page):
    response = shown(readers, page, citizen, **{"Accept-Language": "en"})
    text = re.sub(r"'[^']*'", "", visible(response.text, "en").replace("Flere skal med", ""))  # quoted Danish
    assert len(text) > 100
    left = sorted({m.group(0) for m in DANISH_WORDS.finditer(text)})
    assert left == [], f"Danish on the English page {page.name}: {left}"


def test_the_word_scan_finds_english_and_leaves_code_and_marked_english_alone():
    assert (
        visible('<p>Kørsler <code>run_id</code> <span lang="en">the rules</span><br>ok</p>') == "Kørsler ok"
    )
    assert ENGLISH_WORDS.findall(visible("<p>Show the members</p>")) == ["Show", "the", "members"]
    assert ENGLISH_WORDS.findall("rate 2, status, data, to kørsler") == []
    english = '<html lang="en"><p>Runs <span lang="da">og kørsler</span> <button lang="da">Dansk</button></p>'
    assert visible(english, "en") == "Runs" and DANISH_WORDS.findall(visible("<p>Hent kørsler</p>", "en"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_speaks_english_when_the_browser_asks_for_it(readers, citizen, page: Page):
    response = shown(readers, page, citizen, **{"Accept-Language": "en-GB,en;q=0.9,da;q=0.5"})
    assert response.text.startswith('<!doctype html>\n<html lang="en">')
    assert response.headers["content-language"] == "en"
    assert ">Dansk</button>" in response.text and "Accessibility statement" in response.text


@pytest.mark.parametrize(
    ("header", "default", "expected"),
    [
        ("da-DK,da;q=0.9,en;q=0.8", Language.da, "da"),
        ("en-US,en;q=0.9", Language.da, "en"),
        ("de-DE,de;q=0.9", Language.da, "da"),
        ("de-DE,de;q=0.9", Language.en, "en"),
        ("en;q=0,da;q=0.1", Language.en, "da"),
        (None, Language.en, "en"),
    ],
)
def test_accept_language_chooses_and_the_setting_is_the_default(web_runs: WebRuns, header, default, expected):
    with TestClient(create_app(web_runs.engine, Settings(language=default))) as browser:
        headers = {"Accept-Language": header} if header else {}
        page = browser.get("/login", headers=headers)
    assert page.headers["content-language"] == expected and f'<html lang="{expected}">' in page.text


def test_fsm_lang_sets_the_default_and_a_wrong_value_is_refused_by_name(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FSM_LANG", "en")
    assert settings_from_env().language is Language.en
    monkeypatch.delenv("FSM_LANG")
    assert settings_from_env().language is Language.da
    monkeypatch.setenv("FSM_LANG", "klingon")
    with pytest.raises(ValueError, match="FSM_LANG 'klingon'"):
        settings_from_env()


def test_the_switch_keeps_the_choice_against_the_browsers_wish(web_runs: WebRuns):
    with logged_in(web_runs.engine, "alice") as alice:
        page = alice.get("/runs/2/municipalities/851?group=1")
        form = {"lang": "en", "next": "/runs/2/municipalities/851?group=1", "csrf": csrf_of(page.text)}
        switched = alice.post("/language", data=form, follow_redirects=False)
        assert switched.status_code == 303 and switched.headers["location"] == form["next"]
        cookie = switched.headers["set-cookie"]
        assert (
            "fsm_lang=en" in cookie
            and "HttpOnly" in cookie
            and "SameSite=strict" in cookie.replace("Strict", "strict")
        )
        english = alice.get(form["next"], headers={"Accept-Language": "da"})
        assert '<html lang="en">' in english.text and "Members of the target group" in english.text
        back = alice.post("/language", data={**form, "lang": "da"}, follow_redirects=False)
        assert back.status_code == 303
        assert '<html lang="da">' in alice.get("/", headers={"Accept-Language": "en"}).text


def test_the_switch_works_before_logging_in_and_keeps_the_page_to_go_to(web_runs: WebRuns):
    with client(web_runs.engine) as browser:
        page = browser.get("/login?next=%2Fruns%2F2")
        assert 'name="next" value="/login?next=%2Fruns%2F2"' in page.text
        switched = browser.post(
            "/language",
            data={"lang": "en", "next": "/login?next=%2Fruns%2F2", "csrf": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert switched.status_code == 303 and switched.headers["location"] == "/login?next=%2Fruns%2F2"
        english = browser.get(switched.headers["location"])
        assert '<h1 id="login">Log in</h1>' in english.text
        assert login(browser, "alice", next="/runs/2").headers["location"] == "/runs/2"
        assert '<html lang="en">' in browser.get("/runs/2").text


def test_the_switch_is_refused_without_the_pages_token_or_from_another_site(web_runs: WebRuns):
    with logged_in(web_runs.engine, "alice") as alice:
        token = csrf_of(alice.get("/").text)
        forged = alice.post("/language", data={"lang": "en", "csrf": "forged"}, follow_redirects=False)
        assert forged.status_code == 403 and "fsm_lang" not in forged.headers.get("set-cookie", "")
        evil = alice.post(
            "/language",
            data={"lang": "en", "csrf": token},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert evil.status_code == 403
        unknown = alice.post("/language", data={"lang": "fr", "csrf": token}, follow_redirects=False)
        assert unknown.status_code == 422
        away = alice.post(
            "/language",
            data={"lang": "en", "csrf": token, "next": "//evil.example/x"},
            follow_redirects=False,
        )
        assert away.status_code == 303 and away.headers["location"] == "/"


@pytest.mark.parametrize(
    ("user", "url", "status", "danish", "english"),
    [
        ("alice", "/runs/99", 404, "der er ingen kørsel 99", "there is no run 99"),
        (
            "alice",
            "/runs/2/municipalities/123",
            404,
            "kørsel 2 har ingen kommune 123",
            "run 2 has no municipality 123",
        ),
        (
            "alice",
            "/runs/2/citizens/1",
            404,
            "kørsel 2 har ingen borger med referencen 1",
            "run 2 has no citizen with reference 1",
        ),
        (
            "otto",
            "/runs/2/municipalities/851",
            403,
            "forbudt: kommune 851 er ikke blandt dem, du må se",
            "forbidden: municipality 851",
        ),
        (
            "lars",
            "/runs/2",
            403,
            "forbudt: rollen locked må ikke læse",
            "forbidden: the role locked may not read",
        ),
        (
            "alice",
            "/runs/2/municipalities/851?page=0",
            422,
            "Ikke tilladt her: <code>page</code>",
            "Not allowed here: <code>page</code>",
        ),
        ("alice", "/nowhere", 404, "Her er ingenting.", "There is nothing here."),
    ],
)
def test_error_pages_speak_the_readers_language(web_runs: WebRuns, user, url, status, danish, english):
    with logged_in(web_runs.engine, user) as browser:
        refused = browser.get(url)
        assert refused.status_code == status and danish in refused.text and '<html lang="da">' in refused.text
        assert english in browser.get(url, headers={"Accept-Language": "en"}).text
        assert browser.get("/api" + url if url.startswith("/runs") else "/api/me").status_code in (
            200,
            status,
        )


def test_the_api_keeps_english_details(web_runs: WebRuns):
    with logged_in(web_runs.engine, "alice") as alice:
        refused = alice.get("/api/runs/99", headers={"Accept-Language": "da"})
    assert refused.json() == {"detail": "there is no run 99"} and "content-language" not in refused.headers


def test_the_accessibility_statement_is_public_and_filled_in_from_the_settings(web_runs: WebRuns):
    empty = client(web_runs.engine).get("/tilgaengelighed")
    assert empty.status_code == 200 and "[ikke udfyldt: sæt FSM_STATEMENT_CONTACT]" in empty.text
    statement = Statement(
        organisation="Aalborg Kommune",
        address="https://fsm.aalborg.dk",
        contact="Jobcenter Aalborg, fsm@aalborg.dk, 99 31 31 31",
        reply_days=10,
        prepared=date(2026, 3, 2),
        reviewed=date(2026, 9, 1),
    )
    with TestClient(create_app(web_runs.engine, Settings(statement=statement))) as browser:
        page = browser.get("/tilgaengelighed").text
        assert "<h1>Tilgængelighedserklæring for https://fsm.aalborg.dk</h1>" in page
        assert "Aalborg Kommune ønsker at gøre sine digitale løsninger tilgængelige for alle" in page
        assert (
            "kontakte Jobcenter Aalborg, fsm@aalborg.dk, 99 31 31 31. Vi svarer inden for 10 arbejdsdage"
            in page
        )
        assert "udarbejdet den 2. marts 2026 og senest revideret den 1. september 2026" in page
        assert "ikke udfyldt" not in page and "EN 301 549" in page
        english = browser.get("/tilgaengelighed", headers={"Accept-Language": "en"}).text
        assert "prepared on 2 March 2026" in english and "within 10 working days" in english
    with logged_in(web_runs.engine, "alice", RELAXED) as alice:  # a reader logged in sees their header
        assert ">alice</a>" in alice.get("/tilgaengelighed").text


def test_the_statement_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FSM_STATEMENT_ORGANISATION", "Herning Kommune")
    monkeypatch.setenv("FSM_STATEMENT_PREPARED", "2026-01-15")
    monkeypatch.setenv("FSM_STATEMENT_REPLY_DAYS", "5")
    found = settings_from_env().statement
    assert (found.organisation, found.prepared, found.reply_days) == ("Herning Kommune", date(2026, 1, 15), 5)
    monkeypatch.setenv("FSM_STATEMENT_PREPARED", "15-01-2026")
    with pytest.raises(ValueError, match="FSM_STATEMENT_PREPARED"):
        settings_from_env()
