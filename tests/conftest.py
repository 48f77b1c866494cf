"""Database fixtures: every database test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from TEST_DATABASE_URL (default: the development and CI server at 127.0.0.1:5432).
Each test session works in its own schema, dropped at the end, so parallel runs don't collide.
Without a reachable server the PostgreSQL variants are skipped with the reason shown (pytest -ra);
under CI (CI=true) they fail instead, because CI must test PostgreSQL for real.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from models.database import make_engine, upgrade

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


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, no tables: SQLite in a temporary file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'fsm.sqlite'}")
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
