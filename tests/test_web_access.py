"""Access to the web UI and API: nothing without a user, 401 for a wrong token and nothing else, 403
for a role without the permission or a municipality out of sight, the login form and its session,
tokens, and the access log — every citizen shown, with who, when, what, from where and whether the
CPR number was shown in full — read by the privacy role."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.faces import sessions
from models.access import AccessLog
from tests.conftest import WebRuns
from tests.web import bearer, csrf_of, logged_in, login
from tests.web import client as web_client

API = [
    "/api/me",
    "/api/runs",
    "/api/runs/2",
    "/api/runs/2/municipalities/851",
    "/api/runs/2/municipalities/851/members",
    "/api/runs/2/citizens/1",
    "/api/diff?first=1&second=2",
    "/api/runs/2/verification",
    "/api/runs/2/export",
    "/openapi.json",
]
PAGES = ["/", "/runs/2", "/runs/2/municipalities/851", "/runs/2/citizens/1", "/diff?first=1&second=2"]


@pytest.fixture
def client(web_runs: WebRuns) -> Iterator[TestClient]:
    with web_client(web_runs.engine) as client:
        yield client


def new_rows(web_runs: WebRuns, after: int) -> list[AccessLog]:
    with Session(web_runs.engine) as session:
        return list(session.scalars(select(AccessLog).where(AccessLog.id > after).order_by(AccessLog.id)))


def last_row(web_runs: WebRuns) -> int:
    with Session(web_runs.engine) as session:
        return max(session.scalars(select(AccessLog.id)), default=0)


@pytest.mark.parametrize("url", API)
def test_the_api_answers_401_unauthorised_without_credentials_and_says_nothing_else(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "unauthorised"}
    assert response.headers["www-authenticate"] == 'Bearer realm="fsm"'


@pytest.mark.parametrize("url", ["/runs/99", "/runs/0", "/runs/2/municipalities/9?page=0", "/diff?first=x"])
def test_nothing_about_runs_or_parameters_is_said_before_the_user_is_known(client, url):
    response = client.get("/api" + url)
    assert (response.status_code, response.json()) == (401, {"detail": "unauthorised"})
    assert client.get(url, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("credentials", ["Bearer fsm_wrong", "Bearer ", "Basic YWxpY2U6eA==", "fsm_x"])
def test_a_wrong_token_a_password_or_nonsense_gets_the_same_401(client, credentials):
    for url in ("/api/runs", "/runs/2"):
        response = client.get(url, headers={"Authorization": credentials}, follow_redirects=False)
        assert response.status_code in (401, 303)
        if url.startswith("/api"):
            assert response.json() == {"detail": "unauthorised"}


@pytest.mark.parametrize("url", PAGES)
def test_a_page_without_a_user_sends_the_browser_to_the_login_form_and_shows_nothing(client, url):
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2F")
    assert response.content == b""


def test_logging_in_gives_a_session_that_reaches_pages_and_api_and_logging_out_ends_it(client):
    wrong = login(client, "alice", "not-her-password")
    assert wrong.status_code == 401 and "Forkert brugernavn eller adgangskode." in wrong.text
    assert "fsm_session" not in wrong.cookies
    assert client.get("/api/me").status_code == 401
    right = login(client, "alice", next="/runs/2")
    assert (right.status_code, right.headers["location"]) == (303, "/runs/2")
    cookie = right.cookies["fsm_session"]
    assert (
        "httponly" in right.headers["set-cookie"].lower()
        and "samesite=strict" in right.headers["set-cookie"].lower()
    )
    assert client.get("/runs/2").status_code == 200
    assert client.get("/api/me").json() == {
        "name": "alice",
        "role": "auditor",
        "permissions": ["read", "verify"],
        "municipalities": None,
        "token": False,
    }
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    replayed = TestClient(client.app, cookies={"fsm_session": cookie})
    assert replayed.get("/api/me").status_code == 401
    assert replayed.get("/runs/2", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_sends_the_browser_to_another_site(client, target):
    assert login(client, "alice", next=target).headers["location"] == "/"


def test_the_login_form_is_the_one_page_served_without_a_user_and_it_shows_no_data(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.text and "run" not in response.text.lower().replace("runs", "")
    assert 'name="csrf"' in response.text


def test_a_role_without_read_gets_403_everywhere(client, web_runs):
    auth = bearer(web_runs.tokens["lars"])
    for url in [u for u in API if u not in ("/api/me", "/openapi.json")]:
        assert client.get(url, headers=auth).status_code == 403, url
    assert client.get("/api/runs", headers=auth).json() == {
        "detail": "forbidden: the role locked may not read"
    }
    assert client.get("/api/me", headers=auth).json()["permissions"] == []
    with logged_in(web_runs.engine, "lars") as lars:
        for url in PAGES:
            assert lars.get(url).status_code == 403, url


def test_a_user_of_some_municipalities_sees_nothing_of_others(client, web_runs):
    auth = bearer(web_runs.tokens["otto"])
    assert client.get("/api/runs/2", headers=auth).json()["municipalities"] == []
    for url in ("/api/runs/2/municipalities/851", "/api/runs/2/municipalities/851/members"):
        assert client.get(url, headers=auth).status_code == 403
    ref = client.get(
        "/api/runs/2/municipalities/851/members", headers=bearer(web_runs.tokens["alice"])
    ).json()
    assert client.get(f"/api/runs/2/citizens/{ref['members'][0]['ref']}", headers=auth).status_code == 404
    export = client.get("/api/runs/2/export", headers=auth)
    assert export.status_code == 200 and export.text == ""


def test_an_auditor_may_not_export_full_cpr_numbers_but_an_auditor_cpr_may(client, web_runs):
    url = "/api/runs/2/export?format=csv&show_cpr=true"
    assert client.get(url, headers=bearer(web_runs.tokens["alice"])).status_code == 403
    assert client.get(url, headers=bearer(web_runs.tokens["carol"])).status_code == 200


def test_a_revoked_or_expired_token_gets_401_at_once(web_runs, client):
    with Session(web_runs.engine) as session, session.begin():
        revoked = sessions.create_token(session, "revoked-soon", "auditor", timedelta(days=1))
        expired = sessions.create_token(session, "expired", "auditor", timedelta(hours=1))
    assert client.get("/api/runs", headers=bearer(revoked)).status_code == 200
    with Session(web_runs.engine) as session, session.begin():
        sessions.revoke_token(session, "revoked-soon")
    assert client.get("/api/runs", headers=bearer(revoked)).status_code == 401
    from freezegun import freeze_time

    with freeze_time(datetime.now(UTC) + timedelta(hours=2)):
        assert client.get("/api/runs", headers=bearer(expired)).status_code == 401


def test_every_response_forbids_caching_framing_and_outside_assets(client):
    response = client.get("/login")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "<link" not in response.text and "<script" not in response.text


def test_every_citizen_shown_is_logged_with_who_when_what_from_where_and_full_or_masked(client, web_runs):
    before = datetime.now(UTC) - timedelta(seconds=1)
    alice = bearer(web_runs.tokens["alice"])
    start = last_row(web_runs)
    listed = client.get("/api/runs/2/municipalities/851/members?per_page=3", headers=alice).json()["members"]
    member = listed[0]
    assert client.get(f"/api/runs/2/citizens/{member['ref']}", headers=alice).status_code == 200
    blockers = client.get("/api/runs/2/municipalities/851", headers=alice).json()["status"]["rates"][1]
    with logged_in(web_runs.engine, "carol") as carol:
        assert carol.get(f"/runs/2/citizens/{member['ref']}").status_code == 200
        assert carol.get("/api/runs/2/export?format=jsonl&show_cpr=true").status_code == 200
        assert carol.get("/api/runs/2/export?format=csv").status_code == 200
    rows = [r for r in new_rows(web_runs, start) if r.action != "token"]
    actions = [(r.user, r.action) for r in rows]
    assert actions[:3] == [("token:alice-script", "members api")] * 3
    full = rows[0].citizen_id
    assert full is not None and full[:6] + "-xxxx" == member["citizen"] and not rows[0].full_cpr
    assert ("token:alice-script", "citizen api") in actions
    assert (
        actions.count(("token:alice-script", "municipality api"))
        == len(blockers["blocked_by"]["citizens"])
        == 10
    )
    page = next(r for r in rows if r.action == "citizen page")
    assert (page.user, page.citizen_id, page.full_cpr, page.client) == ("carol", full, True, "testclient")
    exports = [(r.action, r.full_cpr, r.citizen_id, r.detail) for r in rows if r.action.startswith("export")]
    assert exports == [
        ("export jsonl", True, None, "municipalities: all"),
        ("export csv", False, None, "municipalities: all"),
    ]
    assert all(before <= r.at.replace(tzinfo=r.at.tzinfo or UTC) <= datetime.now(UTC) for r in rows)
    uses = [r for r in new_rows(web_runs, start) if r.action == "token"]
    assert uses and {r.detail.split()[0] for r in uses} == {"GET"} and uses[0].user == "token:alice-script"


def test_the_privacy_role_reads_everything_shown_of_a_citizen_including_exports(client, web_runs):
    alice = bearer(web_runs.tokens["alice"])
    member = client.get("/api/runs/2/municipalities/851/members?per_page=1", headers=alice).json()["members"][
        0
    ]
    assert client.get(f"/api/runs/2/citizens/{member['ref']}", headers=alice).status_code == 200
    assert client.get("/api/runs/2/export", headers=alice).status_code == 200
    with logged_in(web_runs.engine, "carol") as carol:
        number = carol.get(f"/api/runs/2/citizens/{member['ref']}").json()["citizen"]
    with logged_in(web_runs.engine, "petra") as petra:
        assert petra.get("/runs/2").status_code == 403
        form = {"citizen_id": number, "csrf": csrf_of(petra.get("/privacy").text)}
        page = petra.post("/privacy", data=form)
        assert page.status_code == 200
        assert "citizen api" in page.text and "members api" in page.text and "export jsonl" in page.text
        assert "token:alice-script" in page.text and "testclient" in page.text
        assert number not in page.text.split("</title>")[0]
        exported = petra.post("/privacy", data={**form, "format": "csv"})
        assert exported.headers["content-type"].startswith("text/csv")
        header = "\ufeffhvornår (UTC);hvem;hvad;kørsel;fuldt CPR-nummer vist;fra;detaljer"
        assert exported.text.splitlines()[0] == header
    with Session(web_runs.engine) as session:
        looked = session.scalars(select(AccessLog).where(AccessLog.action == "access log")).all()
    assert looked and looked[-1].user == "petra" and looked[-1].citizen_id == number
