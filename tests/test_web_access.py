"""Access to the web UI and API: nothing without a user, 401 for a wrong password and nothing else,
403 for a role without the permission, login form and session cookie, the access log."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.faces.users import Users
from engine.faces.web import create_app
from models.access import AccessLog
from tests.conftest import PASSWORDS

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
def client(stored_runs: Engine, users: Users) -> Iterator[TestClient]:
    with TestClient(create_app(stored_runs, users)) as client:
        yield client


def login(client: TestClient, name: str, password: str | None = None, next: str = "/"):
    return client.post(
        "/login",
        data={"username": name, "password": password or PASSWORDS[name], "next": next},
        follow_redirects=False,
    )


@pytest.mark.parametrize("url", API)
def test_the_api_answers_401_unauthorised_without_credentials_and_says_nothing_else(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "unauthorised"}
    assert response.headers["www-authenticate"] == 'Basic realm="fsm"'


@pytest.mark.parametrize("url", ["/runs/99", "/runs/0", "/runs/2/municipalities/9?page=0", "/diff?first=x"])
def test_nothing_about_runs_or_parameters_is_said_before_the_user_is_known(client, url):
    response = client.get("/api" + url)
    assert (response.status_code, response.json()) == (401, {"detail": "unauthorised"})
    assert client.get(url, follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("name", "password"), [("alice", "wrong"), ("nobody", "alice-pw-1"), ("", "")])
def test_a_wrong_password_or_an_unknown_user_gets_the_same_401(client, name, password):
    for url in ("/api/runs", "/runs/2"):
        response = client.get(url, auth=(name, password))
        assert (response.status_code, response.json()) == (401, {"detail": "unauthorised"})


@pytest.mark.parametrize("url", PAGES)
def test_a_page_without_a_user_sends_the_browser_to_the_login_form_and_shows_nothing(client, url):
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2F")
    assert response.content == b""


def test_logging_in_with_the_form_gives_a_session_that_reaches_the_pages_and_the_api(client):
    wrong = login(client, "alice", "not-her-password")
    assert wrong.status_code == 401 and "unauthorised" in wrong.text
    assert "fsm_session" not in wrong.cookies
    assert client.get("/api/me").status_code == 401
    right = login(client, "alice", next="/runs/2")
    assert (right.status_code, right.headers["location"]) == (303, "/runs/2")
    assert client.get("/runs/2").status_code == 200
    assert client.get("/api/me").json() == {"name": "alice", "role": "auditor", "permissions": ["read"]}
    assert client.post("/logout", follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_sends_the_browser_to_another_site(client, target):
    assert login(client, "alice", next=target).headers["location"] == "/"


def test_the_login_form_is_the_one_page_served_without_a_user_and_it_shows_no_data(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.text and "run" not in response.text.lower().replace("runs", "")


def test_a_role_without_read_gets_403_everywhere(client):
    auth = ("lars", PASSWORDS["lars"])
    for url in [u for u in API if u not in ("/api/me", "/openapi.json")] + PAGES:
        response = client.get(url, auth=auth)
        assert response.status_code == 403, url
    assert client.get("/api/runs", auth=auth).json() == {
        "detail": "forbidden: the role locked may not read runs"
    }
    assert client.get("/api/me", auth=auth).json()["permissions"] == []


def test_an_auditor_may_not_export_full_cpr_numbers_but_an_auditor_cpr_may(client):
    url = "/api/runs/2/export?format=csv&show_cpr=true"
    assert client.get(url, auth=("alice", PASSWORDS["alice"])).status_code == 403
    assert client.get(url, auth=("carol", PASSWORDS["carol"])).status_code == 200


def test_every_response_forbids_caching_framing_and_outside_assets(client):
    response = client.get("/login")
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "<link" not in response.text and "<script" not in response.text


def test_every_view_of_a_citizen_is_logged_with_user_time_run_and_full_citizen_id(client, stored_runs):
    before = datetime.now(UTC) - timedelta(seconds=1)
    member = client.get(
        "/api/runs/2/municipalities/851/members?per_page=1", auth=("alice", PASSWORDS["alice"])
    ).json()["members"][0]
    with Session(stored_runs) as session:
        known = set(session.scalars(select(AccessLog.id)))
    assert (
        client.get(f"/api/runs/2/citizens/{member['ref']}", auth=("alice", PASSWORDS["alice"])).status_code
        == 200
    )
    login(client, "carol")
    assert client.get(f"/runs/2/citizens/{member['ref']}").status_code == 200
    assert client.get("/api/runs/2/export?format=jsonl").status_code == 200
    with Session(stored_runs) as session:
        rows = [
            row for row in session.scalars(select(AccessLog).order_by(AccessLog.id)) if row.id not in known
        ]
    assert [(r.user, r.action, r.run_id) for r in rows] == [
        ("alice", "citizen api", 2),
        ("carol", "citizen page", 2),
        ("carol", "export jsonl", 2),
    ]
    full = rows[0].citizen_id
    assert full is not None and not full.endswith("xxxx") and full[:6] + "-xxxx" == member["citizen"]
    assert rows[1].citizen_id == full and rows[2].citizen_id is None
    assert all(before <= r.at.replace(tzinfo=r.at.tzinfo or UTC) <= datetime.now(UTC) for r in rows)
