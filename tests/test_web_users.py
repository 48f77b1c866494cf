"""Users and roles of the web UI: the users file `fsm users add` writes, what a wrong file says, and
`fsm serve`, which never starts without users."""

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.users import UsersError, add_user, load_users


def test_adding_users_writes_a_private_file_with_a_secret_and_argon2_hashes(tmp_path: Path):
    path = tmp_path / "users.toml"
    assert add_user(path, "alice", "auditor", "s3cret-alice") is True
    assert add_user(path, "carol", "auditor_cpr", "s3cret-carol") is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text and text.count("$argon2id$") == 2
    users = load_users(path)
    assert len(users.secret) >= 32
    assert users.users["alice"].permissions == frozenset({"read"})
    assert users.users["carol"].may("full_cpr") and not users.users["alice"].may("full_cpr")


def test_adding_an_existing_user_replaces_role_and_password(tmp_path: Path):
    path = tmp_path / "users.toml"
    add_user(path, "alice", "auditor", "first")
    secret = load_users(path).secret
    assert add_user(path, "alice", "auditor_cpr", "second") is False
    users = load_users(path)
    assert users.secret == secret and users.users["alice"].role == "auditor_cpr"
    assert users.authenticate("alice", "first") is None and users.authenticate("alice", "second") is not None


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("alice", "admin", "pw", "unknown role 'admin'"),
        ("a b", "auditor", "pw", "user name 'a b'"),
        ("alice", "auditor", "", "the password is empty"),
    ],
)
def test_adding_a_bad_user_is_refused(tmp_path: Path, name, role, password, message):
    with pytest.raises(UsersError, match=message):
        add_user(tmp_path / "users.toml", name, role, password)


def test_authentication_accepts_only_the_right_password_of_a_known_user(tmp_path: Path):
    path = tmp_path / "users.toml"
    add_user(path, "alice", "auditor", "right")
    users = load_users(path)
    for _ in range(2):  # the second time from the verified-password cache
        assert users.authenticate("alice", "right") == users.users["alice"]
    assert users.authenticate("alice", "wrong") is None
    assert users.authenticate("bob", "right") is None
    assert users.authenticate("alice", "right ") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('secret = "' + "x" * 40 + '"\n', "has no users"),
        ('secret = "short"\n[users.a]\nrole = "auditor"\npassword_hash = "h"\n', "shorter than 32"),
        ('secret = "' + "x" * 40 + '"\n[users.a]\nrole = "boss"\npassword_hash = "h"\n', "known roles"),
        ('secret = "' + "x" * 40 + '"\n[users.a]\nrole = "auditor"\n', "no password_hash"),
        ('secret = "' + "x" * 40 + '"\n[roles]\nboss = ["everything"]\n', "list of permissions"),
        ("secret = [unclosed\n", "cannot read the users file"),
    ],
)
def test_a_wrong_users_file_says_what_is_wrong(tmp_path: Path, content: str, message: str):
    path = tmp_path / "users.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsersError, match=message):
        load_users(path)


def test_roles_of_the_file_add_to_the_built_in_ones(tmp_path: Path):
    path = tmp_path / "users.toml"
    add_user(path, "alice", "auditor", "pw")
    path.write_text(path.read_text(encoding="utf-8") + '\n[roles]\nviewer = ["read"]\n', encoding="utf-8")
    add_user(path, "vera", "viewer", "pw")
    users = load_users(path)
    assert users.users["vera"].permissions == frozenset({"read"}) and users.users["alice"].role == "auditor"


def test_fsm_users_add_reads_the_password_from_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FSM_USERS", str(tmp_path / "web-users.toml"))
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "alice", "--role", "auditor"], input="pw-of-alice\n")
    assert added.exit_code == 0 and "added user alice (auditor)" in added.output
    assert load_users(tmp_path / "web-users.toml").authenticate("alice", "pw-of-alice") is not None
    refused = runner.invoke(app, ["users", "add", "bob", "--role", "root"], input="pw\n")
    assert refused.exit_code == 2 and "unknown role 'root'" in refused.stderr


def test_fsm_serve_refuses_to_start_without_a_users_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FSM_USERS", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "no users file at fsm-users.toml" in result.stderr and "fsm users add" in result.stderr
    assert CliRunner().invoke(app, ["serve", "--port", "70000"]).exit_code == 2
