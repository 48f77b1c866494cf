"""The attacks of issue 14, tried as an attacker would: each one failed to be stopped before.

- a masked user enumerating the last four digits of a member's CPR number through the search;
- guessing passwords through the login form (throttled per name and per client, then 429);
- a burst of concurrent wrong logins against a real server process (memory stays bounded);
- replaying a session cookie after logout, a password change, removal, or idleness;
- a page of another site posting the login form (login CSRF) or any form;
- weak passwords; a 422 echoing a submitted CPR number."""

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces import sessions, users
from engine.faces.cli import app
from engine.faces.web.settings import Settings
from models.access import AccessLog
from models.database import make_engine, upgrade
from tests.conftest import PASSWORDS, WebRuns, add_web_users
from tests.web import ORIGIN, bearer, client, csrf_of, logged_in, login, served

CPR_IN_FULL = re.compile(r"\b\d{6}-\d{4}\b")


def fresh_token(engine: Engine, role: str = "auditor") -> tuple[str, str]:
    name = f"attacker-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session, session.begin():
        return name, sessions.create_token(session, name, role, timedelta(days=1))


def test_enumerating_a_members_cpr_number_meets_429_within_30_tries_and_learns_nothing(web_runs: WebRuns):
    name, token = fresh_token(web_runs.engine)
    with client(web_runs.engine, Settings()) as attacker:
        shown = attacker.get(
            "/api/runs/2/municipalities/851/members?per_page=1", headers=bearer(token)
        ).json()["members"][0]["citizen"]
        answers, refused = set(), None
        for tries, serial in enumerate(range(200), start=1):
            response = attacker.post(
                "/api/runs/2/citizens/search",
                json={"citizen_id": f"{shown[:6]}-{serial:04d}"},
                headers=bearer(token),
            )
            if response.status_code == 429:
                refused = (tries, response)
                break
            assert response.status_code == 200
            answers.add(response.text)
    assert refused is not None and refused[0] <= 30
    assert int(refused[1].headers["retry-after"]) > 0
    assert len(answers) == 1  # every number of that birth date answered alike: no oracle
    with Session(web_runs.engine) as session:
        logged = session.scalars(
            select(AccessLog).where(
                AccessLog.user == f"token:{name}", AccessLog.action.in_(["search", "search refused"])
            )
        ).all()
    assert len(logged) == refused[0]
    assert {r.detail for r in logged if r.action == "search"} <= {"hit", "miss"}
    assert logged[0].citizen_id == f"{shown[:6]}-0000" and logged[-1].action == "search refused"


def test_the_html_search_is_no_oracle_either(web_runs: WebRuns):
    with logged_in(web_runs.engine, "alice") as alice, logged_in(web_runs.engine, "carol") as carol:
        number = CPR_IN_FULL.search(carol.get("/runs/2/municipalities/851?per_page=1").text).group(0)
        token = csrf_of(alice.get("/runs/2").text)
        other = number[:7] + ("0000" if number[7:] != "0000" else "0001")
        answers = [
            alice.post("/runs/2/citizens", data={"citizen_id": n, "csrf": token}, follow_redirects=False)
            for n in (number, other)
        ]
    assert answers[0].status_code == answers[1].status_code
    assert answers[0].headers.get("location") == answers[1].headers.get("location")
    assert CPR_IN_FULL.search(answers[0].text) is None and CPR_IN_FULL.search(answers[1].text) is None


@pytest.fixture
def accounts(engine: Engine) -> Engine:
    """A database of its own with the web users: failed logins counted here only."""
    add_web_users(engine)
    return engine


def test_guessing_a_password_is_throttled_and_then_the_right_one_waits_too(accounts: Engine):
    with client(accounts, Settings()) as attacker:
        statuses = [login(attacker, "alice", f"guess-{n}").status_code for n in range(50)]
        assert statuses[:5] == [401] * 5 and 429 in statuses[5:7]
        refused = login(attacker, "alice")
        assert refused.status_code == 429 and "fsm_session" not in refused.cookies
        assert int(refused.headers["retry-after"]) >= 1
        assert "For mange forkerte adgangskoder" in refused.text
        with freeze_time(datetime.now(UTC) + timedelta(days=1, minutes=1)):
            assert login(attacker, "alice").status_code == 303


def test_one_client_guessing_many_names_is_throttled_by_its_address(accounts: Engine):
    with client(accounts, Settings()) as attacker:
        statuses = [login(attacker, f"name-{n}", "guess").status_code for n in range(30)]
    assert statuses[:20] == [401] * 20 and statuses[21:] == [429] * 9


def test_a_burst_of_50_concurrent_wrong_logins_adds_at_most_100_mb_to_the_server(tmp_path: Path):
    database = tmp_path / "fsm.sqlite"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    add_web_users(engine)
    engine.dispose()
    with served(database, login_free_failures="1000") as (base, process):

        def peak() -> int:
            status = Path(f"/proc/{process.pid}/status").read_text()
            return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024

        with httpx2.Client(base_url=base, headers={"Origin": base}) as warm:  # one request of each kind first
            form = {"username": "alice", "password": "wrong", "csrf": csrf_of(warm.get("/login").text)}
            assert warm.post("/login", data=form).status_code == 401
        before, answers = peak(), []

        def guess(n: int) -> None:
            with httpx2.Client(base_url=base, headers={"Origin": base}, timeout=60) as browser:
                token = csrf_of(browser.get("/login").text)
                form = {"username": "alice", "password": f"wrong-{n}", "csrf": token}
                answers.append(browser.post("/login", data=form).status_code)

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        grown = peak() - before
    assert len(answers) == 50 and set(answers) <= {401, 503} and 401 in answers
    assert grown <= 100 * 1024 * 1024, f"the server grew by {grown / 2**20:.0f} MiB"


def test_an_old_cookie_gets_401_after_logout_a_password_change_or_removal(accounts: Engine):
    settings = Settings()
    with logged_in(accounts, "alice", settings) as alice:
        cookie = alice.cookies["fsm_session"]
        alice.post("/logout", data={"csrf": csrf_of(alice.get("/account").text)})
    with client(accounts, settings) as replay:
        replay.cookies.set("fsm_session", cookie)
        assert replay.get("/api/me").status_code == 401
    with logged_in(accounts, "alice", settings) as first, logged_in(accounts, "alice", settings) as second:
        form = {
            "current": PASSWORDS["alice"],
            "new": "Lighthouse-Bergen-19",
            "repeated": "Lighthouse-Bergen-19",
            "csrf": csrf_of(first.get("/account").text),
        }
        changed = first.post("/account", data=form, follow_redirects=False)
        assert changed.status_code == 303
        assert first.get("/api/me").status_code == 200  # this browser has a new session
        assert second.get("/api/me").status_code == 401
    with logged_in(accounts, "carol", settings) as carol:
        with Session(accounts) as session, session.begin():
            users.remove_user(session, "carol")
        assert carol.get("/api/me").status_code == 401


def test_a_session_ends_when_idle_for_30_minutes_and_after_8_hours_at_most(accounts: Engine):
    with logged_in(accounts, "alice", Settings()) as alice:
        start = datetime.now(UTC)
        for minutes in (20, 40, 60):  # each request keeps it alive
            with freeze_time(start + timedelta(minutes=minutes)):
                assert alice.get("/api/me").status_code == 200
        with freeze_time(start + timedelta(minutes=95)):
            assert alice.get("/api/me").status_code == 401
    with logged_in(accounts, "alice", Settings()) as alice:
        start = datetime.now(UTC)
        for minutes in range(25, 8 * 60, 25):
            with freeze_time(start + timedelta(minutes=minutes)):
                assert alice.get("/api/me").status_code == 200
        with freeze_time(start + timedelta(hours=8, minutes=5)):
            assert alice.get("/api/me").status_code == 401


def test_a_login_form_posted_from_another_site_is_refused(accounts: Engine):
    with client(accounts) as browser:
        token = csrf_of(browser.get("/login").text)
        form = {"username": "alice", "password": PASSWORDS["alice"], "csrf": token}
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://testserver.evil"},
        ):
            refused = browser.post("/login", data=form, headers=headers, follow_redirects=False)
            assert refused.status_code == 403 and "fsm_session" not in refused.cookies
        no_token = browser.post("/login", data={**form, "csrf": ""}, follow_redirects=False)
        assert no_token.status_code == 403 and "fsm_session" not in no_token.cookies
        other_token = browser.post("/login", data={**form, "csrf": "x" * 43}, follow_redirects=False)
        assert other_token.status_code == 403 and "kom fra et andet websted" in other_token.text
        fresh = {**form, "csrf": csrf_of(other_token.text)}  # the refusal offers a fresh form
        assert browser.post("/login", data=fresh, follow_redirects=False).status_code == 303


def test_a_post_without_origin_from_a_browser_session_is_refused(accounts: Engine):
    with logged_in(accounts, "alice") as alice:
        token = csrf_of(alice.get("/account").text)
        del alice.headers["origin"]
        assert alice.post("/logout", data={"csrf": token}).status_code == 403
        assert (
            alice.post("/logout", data={"csrf": token}, headers={"Referer": f"{ORIGIN}/runs/2"}).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("x", "at least 12 characters"),
        ("kodeord12345", "too common"),
        ("Sommer2024!!", "too common"),
        ("password1234", "too common"),
        ("alice-is-my-name", "the user's name"),
    ],
)
def test_weak_passwords_are_refused(accounts: Engine, password: str, says: str):
    with Session(accounts) as session, pytest.raises(users.UsersError, match=says):
        users.add_user(session, "alice", "auditor", password)


def test_a_users_change_takes_effect_at_once_without_a_restart(cli_env: Engine):
    add_web_users(cli_env)
    with client(cli_env) as browser:
        changed = CliRunner().invoke(
            app, ["users", "add", "alice", "--role", "auditor_cpr"], input="Granite-Harbour-88\n"
        )
        assert changed.exit_code == 0, changed.output
        assert "updated user alice (auditor_cpr)" in changed.output
        assert login(browser, "alice").status_code == 401
        assert login(browser, "alice", "Granite-Harbour-88").status_code == 303
        assert browser.get("/api/me").json()["role"] == "auditor_cpr"
