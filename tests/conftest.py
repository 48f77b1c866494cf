"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from TEST_DATABASE_URL (default: the development and CI server at 127.0.0.1:5432).
Each test session works in its own schema, dropped at the end, so parallel runs don't collide.
Without a reachable server the PostgreSQL variants are skipped with the reason shown (pytest -ra);
under CI (CI=true) they fail instead, because CI must test PostgreSQL for real.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from engine.faces.sessions import create_token
from engine.faces.simulate.saved import save_scenario
from engine.faces.users import add_user, define_role
from engine.input.importing import import_folder
from engine.runs.run import nightly_run
from engine.synthetic import aalborg, write_delivery
from models.database import make_engine, upgrade
from models.runs import Run
from models.scenarios import StoredScenario

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A schema of our own on the PostgreSQL server; yields a URL whose search_path is that schema."""
    schema = f"fsm_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
    except Exception as error:  # noqa: BLE001 - any connection failure means "no server here"
        admin.dispose()
        reason = f"PostgreSQL not reachable at {PG_URL}: {type(error).__name__}: {str(error).splitlines()[0]}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must test PostgreSQL)")
        pytest.skip(reason)
    yield schema
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@contextmanager
def fresh_database(request: pytest.FixtureRequest, kind: str, directory: Path) -> Iterator[Engine]:
    """An empty database, no tables: SQLite in a file in `directory`, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        db = make_engine(f"sqlite:///{directory / 'fsm.sqlite'}")
        yield db
        db.dispose()
        return
    schema = f"{request.getfixturevalue('pg_server')}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    db = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    yield db
    db.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, no tables: SQLite in a temporary file, or a fresh PostgreSQL schema."""
    with fresh_database(request, request.param, tmp_path) as db:
        yield db


@pytest.fixture
def engine(blank: Engine) -> Engine:
    """A database brought to the latest schema by the migrations."""
    upgrade(blank)
    return blank


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    """The CLI pointed at `engine` (DATABASE_URL), working in a temporary directory."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    return engine


# Stored runs and users for the web UI's tests (API, pages, schema, browser): built once per database.

FIRST_DAY, SECOND_DAY = date(2018, 3, 2), date(2019, 8, 31)
WEB_USERS = {
    "alice": "auditor",
    "carol": "auditor_cpr",
    "lars": "locked",
    "petra": "privacy",
    "otto": "auditor",
    "paula": "project_leader",
    "pia": "project_leader",
}
"""alice: auditor (CPR masked); carol: auditor_cpr (full CPR); lars: a role without any permission;
petra: privacy (the access log only); otto: an auditor of municipality 101 only; paula: a project
leader of Aalborg (851); pia: a project leader of municipality 101 only."""
SCOPES = {"otto": ["101"], "paula": ["851"], "pia": ["101"]}
PASSWORDS = {
    "alice": "Tulip-Harbour-73",
    "carol": "Quiet-Meadow-58",
    "lars": "Copper-Lantern-91",
    "petra": "Silver-Fjord-26",
    "otto": "Amber-Orchard-44",
    "paula": "Willow-Beacon-37",
    "pia": "Granite-Ferry-62",
}


SAVED_KEY = "aalborg-example"
SAVED = {
    "title": "visitér resten inden maj, 25 praktikker",
    "municipality": "851",
    "base": 1,
    "as_of": "2019-07-31",
    "changes": [
        {"op": "visitate", "count": "all", "only_active": True, "date": "2018-05-31", "group": "1"},
        {
            "op": "add_activity",
            "count": 25,
            "activity": "virksomhedspraktik",
            "from": "2018-03-01",
            "days": 90,
        },
    ],
}
"""Paula's saved scenario (the README's example on run 1), shared, under the key SAVED_KEY."""


def add_web_users(engine: Engine) -> dict[str, str]:
    """The web users (WEB_USERS) in the database, a token for each, and paula's saved scenario
    (SAVED); the tokens by user."""
    tokens = {}
    with Session(engine) as session, session.begin():
        define_role(session, "locked", [])
        for name, role in WEB_USERS.items():
            scope = SCOPES.get(name, [])
            add_user(session, name, role, PASSWORDS[name], scope)
            tokens[name] = create_token(session, f"{name}-script", role, timedelta(days=1), scope)
        saved = save_scenario(session, user="paula", municipalities={"851"}, document=SAVED, shared=True)
        row = session.scalars(select(StoredScenario).where(StoredScenario.key == saved.key)).one()
        row.key = SAVED_KEY
    return tokens


@pytest.fixture
def small(cli_env: Engine, tmp_path: Path) -> Engine:
    """A database with a small Aalborg imported and run as of 2018-03-02; the CLI points at it."""
    write_delivery(tmp_path / "delivery", [aalborg.municipality("851", members=120, non_members=20)])
    import_folder(cli_env, tmp_path / "delivery", report_dir=tmp_path / "report")
    nightly_run(cli_env, as_of=FIRST_DAY)
    return cli_env


@pytest.fixture(scope="session")
def aalborg_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic Aalborg (seed 002's figures) as a delivery folder, written once."""
    folder = tmp_path_factory.mktemp("aalborg") / "delivery"
    write_delivery(folder, [aalborg.municipality("851")])
    return folder


@pytest.fixture(scope="session")
def small_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A small Aalborg (40 members, 10 others) as a delivery folder, simulated on with no database,
    and its citizens' ids."""
    folder = tmp_path_factory.mktemp("small") / "delivery"
    place = aalborg.municipality("851", members=40, non_members=10, seed=11)
    write_delivery(folder, [place])
    return folder, sorted(t.citizen_id for t in place.citizens)


def store_aalborg_runs(engine: Engine, delivery: Path, reports: Path) -> Engine:
    """The Aalborg delivery as delivery 1; run 1 as of 2018-03-02 (851 only), run 2 as of
    2019-08-31 (every municipality), and run 3, which failed."""
    upgrade(engine)
    import_folder(engine, delivery, report_dir=reports)
    nightly_run(engine, as_of=FIRST_DAY, municipality="851")
    nightly_run(engine, as_of=SECOND_DAY)
    with Session(engine) as session, session.begin():
        first = session.get(Run, 1)
        assert first is not None
        session.add(
            Run(
                programme="fsm1",
                as_of=SECOND_DAY,
                pack_hash=first.pack_hash,
                delivery_id=1,
                started_at=datetime.now(UTC),
                finished_at=datetime.now(UTC),
                status="failed",
                error="killed",
            )
        )
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def stored_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, aalborg_delivery: Path
) -> Iterator[Engine]:
    """A database with the Aalborg runs (store_aalborg_runs), shared by the tests that only read it."""
    directory = tmp_path_factory.mktemp(f"runs-{request.param}")
    with fresh_database(request, request.param, directory) as db:
        yield store_aalborg_runs(db, aalborg_delivery, directory / "report")


@dataclass(frozen=True)
class WebRuns:
    engine: Engine
    tokens: dict[str, str]
    """A token per web user (`Authorization: Bearer …`), with the user's role and municipalities."""


@pytest.fixture(scope="session")
def web_runs(stored_runs: Engine) -> WebRuns:
    """The Aalborg runs with the web users and their tokens."""
    return WebRuns(stored_runs, add_web_users(stored_runs))
