"""Users, roles and tokens of the web UI as the operator manages them (`fsm users`, `fsm tokens`),
the access log read from the command line, a former users file brought over, and `fsm serve`,
which never starts without users."""

from pathlib import Path

import pytest
import tomlkit
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces import access_log, users
from engine.faces.cli import app
from tests.web import bearer, client

runner = CliRunner()


def fsm(*args: str, input: str | None = None, code: int = 0):
    result = runner.invoke(app, list(args), input=input, terminal_width=200)
    assert result.exit_code == code, result.output
    return result


def test_users_are_added_listed_and_removed_with_their_sessions(cli_env: Engine):
    assert (
        "added user alice (auditor)"
        in fsm("users", "add", "alice", "--role", "auditor", input="Harbour-Tulip-73\n").output
    )
    fsm("users", "add", "otto", "--role", "auditor", "-m", "851", "-m", "101", input="Orchard-Amber-44\n")
    with client(cli_env) as browser:
        from tests.web import login

        assert login(browser, "alice", "Harbour-Tulip-73").status_code == 303
        listed = fsm("users", "list").output
        assert "alice" in listed and "auditor" in listed and "101, 851" in listed
        row = listed.split("alice")[1].splitlines()[0]
        assert row.count("2026-") + row.count("202") >= 2 and "│ 1 " in row  # her last login, one session
        removed = fsm("users", "remove", "alice").output
        assert "removed user alice; 1 sessions ended" in removed
        assert browser.get("/api/me").status_code == 401
    assert "there is no user 'alice'" in fsm("users", "remove", "alice", code=2).stderr


@pytest.mark.parametrize(
    ("args", "password", "says"),
    [
        (["bob", "--role", "root"], "Harbour-Tulip-73", "unknown role 'root'"),
        (["a b", "--role", "auditor"], "Harbour-Tulip-73", "user name 'a b'"),
        (["bob", "--role", "auditor"], "x", "at least 12 characters"),
        (["bob", "--role", "auditor", "-m", "999"], "Harbour-Tulip-73", "not a municipality code: 999"),
    ],
)
def test_a_bad_user_is_refused_with_one_line(cli_env: Engine, args, password, says):
    assert says in fsm("users", "add", *args, input=password + "\n", code=2).stderr


def test_roles_are_data_a_new_one_is_defined_with_permissions(cli_env: Engine):
    assert "defined role viewer: read" in fsm("users", "role", "viewer", "-p", "read").output
    assert "unknown permission everything" in fsm("users", "role", "boss", "-p", "everything", code=2).stderr
    roles = fsm("users", "roles").output
    assert "viewer" in roles and "auditor_cpr" in roles and "full_cpr" in roles
    fsm("users", "add", "vera", "--role", "viewer", input="Harbour-Tulip-73\n")
    with Session(cli_env) as session:
        assert users.roles(session)["viewer"] == frozenset({"read"})


def test_a_former_users_file_is_imported_with_its_hashes_and_roles(cli_env: Engine, tmp_path: Path):
    path = tmp_path / "fsm-users.toml"
    document = {
        "secret": "x" * 40,
        "roles": {"viewer": ["read"]},
        "users": {
            "alice": {"role": "auditor", "password_hash": PasswordHasher().hash("old-pw")},
            "vera": {"role": "viewer", "password_hash": PasswordHasher().hash("vera-pw")},
        },
    }
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    assert "imported 2 users and 1 roles" in fsm("users", "import", str(path)).output
    assert "already there, left as they are: alice, vera" in fsm("users", "import", str(path)).output
    with client(cli_env) as browser:
        from tests.web import login

        assert login(browser, "alice", "old-pw").status_code == 303
    path.write_text("secret = [unclosed\n", encoding="utf-8")
    assert "cannot read the users file" in fsm("users", "import", str(path), code=2).stderr


def test_a_token_is_printed_once_kept_hashed_listed_and_revoked(cli_env: Engine):
    created = fsm("tokens", "create", "nightly", "--role", "auditor", "--expires", "90d")
    token = created.stdout.strip().splitlines()[0]
    assert token.startswith("fsm_") and len(token) > 40
    with client(cli_env) as script:
        assert script.get("/api/me", headers=bearer(token)).json()["token"] is True
        listed = fsm("tokens", "list").output
        assert "nightly" in listed and "live" in listed and token not in listed
        assert "revoked token nightly" in fsm("tokens", "revoke", "nightly").output
        assert script.get("/api/me", headers=bearer(token)).status_code == 401
    assert "revoked" in fsm("tokens", "list").output
    assert (
        "there is a token 'x' already"
        in (
            fsm("tokens", "create", "x", "--role", "auditor")
            and fsm("tokens", "create", "x", "--role", "auditor", code=2)
        ).stderr
    )
    assert (
        "give days or hours"
        in fsm("tokens", "create", "y", "--role", "auditor", "--expires", "soon", code=2).stderr
    )


def test_the_access_log_of_a_citizen_is_read_from_the_command_line_and_as_csv(
    cli_env: Engine, tmp_path: Path
):
    with Session(cli_env) as session:
        access_log.record(
            session, "alice", "citizen page", 2, ["010203-1234"], full_cpr=False, client="10.0.0.9"
        )
        access_log.record(
            session, "bob", "citizen page", 2, ["050607-1234"], full_cpr=True, client="10.0.0.8"
        )
    shown = fsm("access-log", "--citizen", "0102031234").output
    assert (
        "2 entries" in shown
        and "cli:" in shown
        and "alice" in shown
        and "10.0.0.9" in shown
        and "bob" not in shown
    )
    fsm("access-log", "--citizen", "010203-1234", "--since", "2020-01-01", "--csv", str(tmp_path / "a.csv"))
    lines = (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()
    assert (
        lines[0] == "\ufeffwhen (UTC);who;what;run;full CPR number shown;from;detail" and len(lines) == 4
    )  # and the two look-ups
    assert "access log" in lines[2] and "cli:" in lines[2]


def test_retention_deletes_older_rows_and_logs_the_deletion(engine: Engine):
    from datetime import UTC, datetime, timedelta

    from freezegun import freeze_time

    with Session(engine) as session:
        with freeze_time(datetime.now(UTC) - timedelta(days=800)):
            access_log.record(
                session, "alice", "citizen page", 1, ["010203-1234"], full_cpr=False, client="x"
            )
        access_log.record(session, "alice", "citizen page", 1, ["010203-1234"], full_cpr=False, client="x")
        assert access_log.prune(session, 730) == 1
        entries = list(access_log.for_citizen(session, "010203-1234"))
        from sqlalchemy import select

        from models.access import AccessLog

        retention = session.scalars(select(AccessLog).where(AccessLog.action == "retention")).one()
    assert len(entries) == 1 and "deleted 1 rows older than" in retention.detail


def test_fsm_serve_refuses_to_start_without_a_user(cli_env: Engine):
    result = fsm("serve", code=2)
    assert "there is no user" in result.stderr and "fsm users import" in result.stderr
    assert runner.invoke(app, ["serve", "--port", "70000"]).exit_code == 2
