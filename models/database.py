"""Connecting to the database and keeping its schema current.

`DATABASE_URL` chooses the database (e.g. `postgresql+psycopg://user@host/db`); without it the
product uses the embedded SQLite file `fsm.sqlite` in the current directory. Alembic migrations
ship inside the package (`migrations/`), so `fsm db upgrade` works from an installed product.

Every command opens the database with `open_database`: a database that does not exist is refused
(`DatabaseMissing`) unless the command may create it, and the schema is brought to the head
revision. That check is cheap when the database is already there — one query of `alembic_version`
against the head read from the migration files' text; Alembic itself is imported only to migrate —
and migrating is serialised (`lock_schema`), so commands started together on an empty database
migrate it once.
"""

import ast
import os
import re
import weakref
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json, to_json
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    pass

DEFAULT_URL = "sqlite:///fsm.sqlite"
SQLITE_BUSY_SECONDS = 30
"""How long an SQLite command waits for another one's write to finish (`?timeout=` in the URL overrides it)."""
SQLITE_CACHE_KIB = 32 * 1024
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SCHEMA_LOCK = 0x46534D00
"""PostgreSQL advisory lock ("FSM" 0, per schema): one migration at a time."""


class DatabaseMissing(Exception):
    """The database that DATABASE_URL names does not exist, and the command may not create it."""


class UnknownSchema(Exception):
    """The database's schema revision is not one of this product's migrations (a newer product migrated it)."""


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def shown(url: str | URL) -> str:
    """A database URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _json(value: object) -> str:
    return to_json(value).decode()


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine; JSON columns use pydantic-core's fast encoder; SQLite gets foreign keys, WAL, a
    busy timeout and a page cache of 32 MB per connection (SQLite's default 2 MB makes a run's
    insert of its decisions spill index pages to the log again and again, and a worker re-read
    them from disk for every chunk: a national run takes ~12 % less CPU with it)."""
    options.setdefault("json_serializer", _json)
    options.setdefault("json_deserializer", from_json)
    url = make_url(url)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and "timeout" not in url.query:
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_SECONDS)
    engine = create_engine(url, **options)
    _MADE.add(engine)
    if sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # noqa: ANN001 - DBAPI connection
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cursor.close()

    return engine


_MADE: "weakref.WeakSet[Engine]" = weakref.WeakSet()
"""Every engine the process made and still has (see `close_all`)."""


def close_all() -> None:
    """Close the pooled connections of every engine the process made, as a process that leaves
    without the interpreter's clean-up must (an SQLite database's last connection folds its
    write-ahead log back into the file as it closes)."""
    for engine in list(_MADE):
        engine.dispose()


def engine_from_env() -> Engine:
    return make_engine(database_url())


def sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite URL (`sqlite:///fsm.sqlite`, `sqlite:///file:fsm.sqlite?uri=true`); None in memory."""
    name = url.database or ""
    if url.query.get("uri") and name.startswith("file:"):
        name = name.removeprefix("file:")
    return None if name in ("", ":memory:") or url.query.get("mode") == "memory" else Path(name)


def in_memory(engine: Engine) -> bool:
    """An SQLite database in memory, which no other connection (a thread's, a process's) can open."""
    return engine.dialect.name == "sqlite" and sqlite_file(engine.url) is None


def existing_engine(url: str | None = None, *, create: bool = False) -> Engine:
    """The engine of `url` (default DATABASE_URL's). A database that does not exist — an SQLite
    file that is not there, a database the PostgreSQL server does not have — is created when
    `create` is asked for, else refused with DatabaseMissing."""
    engine = make_engine(url or database_url())
    if engine.dialect.name == "sqlite":
        _sqlite_exists(engine.url, create)
    else:
        _postgresql_exists(engine, create)
    return engine


def open_database(url: str | None = None, *, create: bool = False) -> Engine:
    """`existing_engine`, its schema brought to the head revision."""
    engine = existing_engine(url, create=create)
    ensure_current(engine)
    return engine


def _sqlite_exists(url: URL, create: bool) -> None:
    path = sqlite_file(url)
    if path is None or path.exists():
        return
    if not create:
        raise DatabaseMissing(
            f"there is no database {path} (DATABASE_URL {shown(url)}): create it with `fsm db upgrade` "
            "or `fsm import DIR`, or check DATABASE_URL"
        )
    if not path.parent.is_dir():
        raise DatabaseMissing(f"cannot create the database {path}: there is no folder {path.parent}")


def _postgresql_exists(engine: Engine, create: bool) -> None:
    try:
        engine.connect().close()
        return
    except OperationalError:
        if not _postgresql_missing(engine.url):
            raise  # the server cannot be reached, or refuses us: the failure says why
    if not create:
        raise DatabaseMissing(
            f'there is no database "{engine.url.database}" on the server of DATABASE_URL '
            f"{shown(engine.url)}: create it with `fsm db upgrade`, or check DATABASE_URL"
        )
    name = (engine.url.database or "").replace('"', '""')
    with _maintenance(engine.url) as connection:
        try:
            connection.exec_driver_sql(f'create database "{name}"')
        except ProgrammingError as error:  # another command may have created it at the same moment
            if getattr(error.orig, "sqlstate", None) != DUPLICATE_DATABASE:
                raise


DUPLICATE_DATABASE = "42P04"


def _maintenance(url: URL) -> Connection:
    """A connection to the server's `postgres` database, outside any transaction."""
    server = make_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    return server.connect()


def _postgresql_missing(url: URL) -> bool:
    """Whether the server is there and says it has no database of that name."""
    try:
        with _maintenance(url) as connection:
            found = connection.scalar(
                text("select 1 from pg_database where datname = :n"), {"n": url.database}
            )
    except OperationalError:
        return False
    return found is None


@cache
def script_revisions() -> dict[str, tuple[str, ...]]:
    """Each migration's revision id and the ids it revises, read from the files' text (cheap:
    Alembic's own script directory imports every migration)."""
    assignment = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.MULTILINE)
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS / "versions").glob("[!_]*.py")):
        found = dict(assignment.findall(path.read_text(encoding="utf-8")))
        down = ast.literal_eval(found["down_revision"])
        revisions[ast.literal_eval(found["revision"])] = (
            (down,) if isinstance(down, str) else tuple(down or ())
        )
    return revisions


def script_head() -> str:
    """The head revision: the one no other migration revises."""
    revisions = script_revisions()
    revised = {down for downs in revisions.values() for down in downs}
    (head,) = set(revisions) - revised
    return head


def stored_revision(engine: Engine) -> str | None:
    """The database's schema revision; None for an empty database."""
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "alembic_version"):
            return None
        return connection.scalar(text("select version_num from alembic_version"))


def ensure_current(engine: Engine) -> None:
    """Bring the database to the head revision, unless it is there already (a few milliseconds)."""
    stored = stored_revision(engine)
    if stored == script_head():
        return
    if stored is not None and stored not in script_revisions():
        raise UnknownSchema(
            f"the database {shown(engine.url)} is at schema revision {stored}, which this version of "
            "fsm does not know: a newer version has upgraded it"
        )
    upgrade(engine)


def lock_schema(connection: Connection) -> None:
    """Begin a migration's transaction holding the schema lock, which it keeps until it commits:
    on PostgreSQL an advisory lock per schema, on SQLite an immediate transaction (the database's
    write lock). A migration that waited finds the schema current and does nothing."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("select pg_advisory_xact_lock(:key, hashtext(current_schema()))"), {"key": SCHEMA_LOCK}
        )
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine | None):  # noqa: ANN201 - alembic.config.Config, imported only to migrate
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)
