"""What every command stands on: opening the database (missing, at head, migrated once by commands
started together) and every operational failure ending as one line with its exit status."""

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import typer
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import models.database
from engine.faces.cli import app
from engine.faces.cli.failures import Group, Status
from engine.synthetic.national import write_national
from models.database import (
    DatabaseMissing,
    UnknownSchema,
    alembic_config,
    ensure_current,
    existing_engine,
    make_engine,
    script_head,
    script_revisions,
    stored_revision,
)
from models.db import Delivery
from models.runs import StoredDecision
from tests.cli_processes import finish, fsm, needs_mount_namespaces, start
from tests.conftest import PG_URL

EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"
COMMANDS_THAT_ONLY_USE_A_DATABASE = [
    ["status"],
    ["explain", "080580-1621"],
    ["run", "--as-of", "2018-03-02"],
    ["diff", "1", "2"],
    ["export", "1", "--format", "csv"],
    ["audit", "verify", "1"],
    ["db", "downgrade", "base"],
]


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_head_read_from_the_migration_files_is_alembics_own():
    script = ScriptDirectory.from_config(alembic_config(None))
    assert script_head() == script.get_current_head()
    alembics = {r.revision: tuple(r._all_down_revisions) for r in script.walk_revisions()}
    assert script_revisions() == alembics


def test_a_database_at_head_is_checked_without_migrating_it(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    def no_migration(*_args: object) -> None:
        raise AssertionError("Alembic ran on a database already at head")

    monkeypatch.setattr(models.database, "upgrade", no_migration)
    ensure_current(engine)
    assert stored_revision(engine) == script_head()


def test_opening_a_database_at_head_does_not_even_import_alembic(engine: Engine):
    check = "import sys; from models.database import open_database; open_database(sys.argv[1]); print('alembic' in sys.modules)"
    opened = subprocess.run(
        [sys.executable, "-c", check, url_of(engine)], capture_output=True, text=True, check=True
    )
    assert opened.stdout.strip() == "False"


HEAVY = ("matplotlib", "openpyxl", "fastapi", "starlette", "jinja2", "uvicorn", "argon2", "durable")
"""Libraries only some commands use (charts, workbooks, the web, passwords, deciding)."""
NEVER = ("pandas", "duckdb", "numpy", "PIL")
"""Libraries no command imports (numpy and PIL come with matplotlib and openpyxl)."""
IMPORTED = """
import json, sys
from engine.faces.cli import app
try:
    app(sys.argv[2:], prog_name="fsm")
except SystemExit as ended:
    status = ended.code
print(json.dumps([status, sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)]))
"""
"""A command run as `fsm` runs it; then its exit status and which of the libraries it imported."""


def imported_by(args: list[str], url: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED, json.dumps(HEAVY + NEVER), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url, "CI": "true"},
        check=True,
    )
    status, modules = json.loads(done.stdout.splitlines()[-1])
    return status, modules


@pytest.mark.parametrize("command", ["--help", "status", "explain", "run --help"])
def test_commands_that_read_or_show_import_no_heavy_library(stored_runs: Engine, command: str):
    with stored_runs.connect() as connection:
        citizen = connection.scalar(
            select(StoredDecision.citizen_id).where(
                StoredDecision.run_id == 2, StoredDecision.citizen_id.is_not(None)
            )
        )
    args = command.split() + ([str(citizen), "--run", "2"] if command == "explain" else [])
    status, modules = imported_by(args, url_of(stored_runs))
    assert status in (0, None)
    assert modules == []


@pytest.mark.parametrize("command", ["--help", "run --help", "users --help"])
def test_help_imports_no_database_layer(tmp_path: Path, command: str):
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORTED,
            json.dumps(["sqlalchemy", "alembic", "engine.rules.pack"]),
            *command.split(),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite'}"},
        check=True,
    )
    assert json.loads(imported.stdout.splitlines()[-1]) == [0, []]


def test_a_command_that_decides_imports_durable_rules_and_no_other_heavy_library(tmp_path: Path):
    member = Path(__file__).parent.parent / "examples" / "citizens" / "member.json"
    status, modules = imported_by(["evaluate", str(member)], f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert status in (0, None)
    assert modules == ["durable"]


def test_an_empty_database_is_brought_to_head(blank: Engine):
    assert stored_revision(blank) is None
    ensure_current(blank)
    assert stored_revision(blank) == script_head()


def test_a_database_at_a_revision_this_product_does_not_know_is_refused(
    cli_env: Engine, monkeypatch: pytest.MonkeyPatch
):
    with cli_env.begin() as connection:
        connection.execute(text("update alembic_version set version_num = '9999'"))
    with pytest.raises(UnknownSchema, match="revision 9999"):
        ensure_current(cli_env)
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == Status.BAD_INPUT
    assert "a newer version has upgraded it" in result.output


@pytest.mark.parametrize("command", COMMANDS_THAT_ONLY_USE_A_DATABASE, ids=" ".join)
def test_a_missing_sqlite_file_is_refused_by_every_command_that_does_not_create_one(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///typo.sqlite")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == Status.UNREACHABLE, result.output
    assert result.output.count("\n") == 1
    assert "there is no database typo.sqlite" in result.output
    assert not (tmp_path / "typo.sqlite").exists()


@pytest.mark.parametrize("command", [["db", "upgrade"], ["import", str(EXAMPLE)], ["demo"]], ids=" ".join)
def test_db_upgrade_import_and_demo_create_the_sqlite_file(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///new.sqlite")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert stored_revision(make_engine("sqlite:///new.sqlite")) == script_head()


def test_a_sqlite_file_in_a_folder_that_does_not_exist_is_refused_even_when_it_may_be_created(tmp_path: Path):
    with pytest.raises(DatabaseMissing, match="there is no folder"):
        existing_engine(f"sqlite:///{tmp_path / 'nowhere' / 'fsm.sqlite'}", create=True)


def test_a_missing_postgresql_database_is_refused_and_db_upgrade_creates_it(
    pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    name = f"fsm_missing_{uuid.uuid4().hex[:8]}"
    url = make_engine(PG_URL).url.set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(app, ["status"])
    assert refused.exit_code == Status.UNREACHABLE, refused.output
    assert f'there is no database "{name}"' in refused.output and refused.output.count("\n") == 1
    try:
        created = CliRunner().invoke(app, ["db", "upgrade"])
        assert created.exit_code == 0, created.output
        assert stored_revision(make_engine(url)) == script_head()
    finally:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def test_a_server_that_cannot_be_reached_is_one_line_with_status_5(tmp_path: Path):
    ended = fsm(["status"], "postgresql+psycopg://postgres@127.0.0.1:1/test", tmp_path)
    assert ended.status == Status.UNREACHABLE
    assert (
        "cannot reach the database postgresql+psycopg://postgres@127.0.0.1:1/test" in ended.one_line_error()
    )
    assert "Connection refused" in ended.err


def imported_database(tmp_path: Path) -> Path:
    """An SQLite database with the example delivery as delivery 1."""
    database = tmp_path / "fsm.sqlite"
    assert fsm(["import", str(EXAMPLE), "--report-dir", "r0"], f"sqlite:///{database}", tmp_path).status == 0
    return database


def deliveries(database: Path) -> int:
    with Session(make_engine(f"sqlite:///{database}")) as session:
        return session.scalar(select(func.count()).select_from(Delivery)) or 0


def another_delivery(tmp_path: Path, citizens: int = 50) -> Path:
    folder = tmp_path / f"national-{citizens}"
    write_national(folder, citizens, municipalities=3)
    return folder


def test_a_sqlite_database_another_connection_keeps_locked_past_the_timeout_is_busy(tmp_path: Path):
    database = imported_database(tmp_path)
    holder = sqlite3.connect(database)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        ended = fsm(
            ["import", str(another_delivery(tmp_path)), "--report-dir", "r1"],
            f"sqlite:///{database}?timeout=0.5",
            tmp_path,
        )
    finally:
        holder.rollback()
        holder.close()
    assert ended.status == Status.BUSY
    assert "is busy: another command kept it locked longer than the timeout" in ended.one_line_error()
    assert deliveries(database) == 1 and not (tmp_path / "r1").exists()


def test_a_read_only_sqlite_file_is_one_line_with_status_7(tmp_path: Path):
    database = imported_database(tmp_path)
    ended = fsm(
        ["import", str(another_delivery(tmp_path)), "--report-dir", "r1"],
        f"sqlite:///file:{database}?mode=ro&uri=true",
        tmp_path,
    )
    assert ended.status == Status.READ_ONLY
    assert "is read-only" in ended.one_line_error()
    assert deliveries(database) == 1 and not (tmp_path / "r1").exists()


def test_a_database_on_a_read_only_file_system_is_one_line_with_status_7(tmp_path: Path):
    needs_mount_namespaces()
    database = imported_database(tmp_path)
    folder = database.parent
    ended = fsm(
        ["status"],
        f"sqlite:///{database}",
        tmp_path,
        shell=f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}",
    )
    assert ended.status == Status.READ_ONLY
    assert "is on a read-only file system or folder" in ended.one_line_error()


def size_limited(limit: int):  # noqa: ANN201 - a preexec function
    def prepare() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return prepare


def test_a_full_disk_by_a_file_size_limit_is_one_line_with_status_6_and_nothing_stored(tmp_path: Path):
    database = imported_database(tmp_path)
    limit = database.stat().st_size + 64 * 1024
    delivery = another_delivery(tmp_path, 3000)
    process = start(
        ["import", str(delivery), "--report-dir", "r1"],
        f"sqlite:///{database}",
        tmp_path,
        prepare=size_limited(limit),
    )
    ended = finish(process)
    assert ended.status == Status.DISK_FULL, ended.err
    ended.one_line_error()
    assert deliveries(database) == 1 and not (tmp_path / "r1").exists()


def test_a_full_file_system_is_one_line_with_status_6_and_nothing_stored(tmp_path: Path):
    needs_mount_namespaces()
    small = tmp_path / "small"
    small.mkdir()
    delivery = another_delivery(tmp_path, 3000)
    database = small / "fsm.sqlite"
    ended = fsm(
        ["import", str(delivery), "--report-dir", str(tmp_path / "r1")],
        f"sqlite:///{database}",
        tmp_path,
        shell=f"mount -t tmpfs -o size=1m tmpfs {small} && {Path(__file__).parent.parent}/.venv/bin/fsm db upgrade >/dev/null",
    )
    assert ended.status == Status.DISK_FULL, ended.err
    assert "full" in ended.one_line_error()
    assert not (tmp_path / "r1").exists()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_commands_started_together_on_an_empty_database_migrate_it_once(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
):
    from tests.conftest import fresh_database

    with fresh_database(request, kind, tmp_path) as blank:
        url = url_of(blank)
        commands = [
            ["db", "upgrade"],
            ["status"],
            *[["import", str(EXAMPLE), "--report-dir", f"r{i}"] for i in range(2)],
        ]
        started = [start(command, url, tmp_path) for command in commands]
        upgraded, status, *imports = [finish(process) for process in started]
        assert upgraded.status == 0, upgraded.err
        said = status.one_line_error()
        if status.status == Status.UNREACHABLE:  # it came before any command had created the file
            assert "there is no database" in said
        else:  # it found the database, migrated by another command or by itself, and read it
            assert status.status == Status.BAD_INPUT and "no run has finished yet" in said
        assert [i.status for i in imports] == [0, 0], [i.err for i in imports]
        said = sorted(i.out.splitlines()[0].split(": ", 1)[1].split(";")[0] for i in imports)
        assert said == ["already imported as delivery 1", "imported as delivery 1"]
        assert stored_revision(blank) == script_head()


def failing_app(error: BaseException) -> typer.Typer:
    """A one-command application on the `fsm` group whose command raises `error`."""
    one = typer.Typer(cls=Group)

    @one.command()
    def fail() -> None:
        raise error

    @one.command()
    def other() -> None:
        pass

    return one


def test_an_unexpected_failure_is_one_line_with_status_1_and_fsm_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch,
):
    result = CliRunner().invoke(failing_app(ZeroDivisionError("division by zero")), ["fail"])
    assert result.exit_code == Status.FAILED
    assert result.output == (
        "error: unexpected failure (ZeroDivisionError: division by zero); FSM_DEBUG=1 shows where\n"
    )
    monkeypatch.setenv("FSM_DEBUG", "1")
    shown = CliRunner().invoke(failing_app(ZeroDivisionError("division by zero")), ["fail"])
    assert isinstance(shown.exception, ZeroDivisionError)


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (KeyboardInterrupt(), Status.INTERRUPTED, "interrupted"),
        (
            OSError(28, "No space left on device", "report/rejects.csv"),
            Status.DISK_FULL,
            "report/rejects.csv: no space left",
        ),
        (OSError(30, "Read-only file system", "report"), Status.READ_ONLY, "report: Read-only file system"),
    ],
    ids=["interrupt", "no space", "read-only"],
)
def test_each_cause_has_its_status(error: BaseException, status: Status, words: str):
    result = CliRunner().invoke(failing_app(error), ["fail"])
    assert result.exit_code == status
    assert words in result.output and result.output.count("\n") == 1


def test_a_command_closes_its_sqlite_database_before_it_leaves(tmp_path: Path):
    """Its last connection folds the write-ahead log back into the file: a copy of the file
    alone holds everything the command committed."""
    url = f"sqlite:///{tmp_path / 'fsm.sqlite'}"
    assert fsm(["import", str(EXAMPLE), "--report-dir", str(tmp_path / "report")], url, tmp_path).status == 0
    assert fsm(["run", "--as-of", "2018-03-02"], url, tmp_path).status == 0
    assert sorted(p.name for p in tmp_path.glob("fsm.sqlite*")) == ["fsm.sqlite", "fsm.sqlite.run-lock"]


def test_a_command_leaves_without_the_interpreter_s_final_garbage_collections(tmp_path: Path):
    """What is left at the end is frozen out of them (they took a third of `fsm status`)."""
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))  # runs after the CLI's own\n"
        "from engine.faces.cli import app\n"
        "app(sys.argv[1:], prog_name='fsm')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite'}"},
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "frozen True"
