"""How every `fsm` command ends: its exit status, and any failure as one line, never a traceback.

`Group` is the application's command group: it runs the command and turns what escapes it into
one line on standard error and a documented status (docs/exit-status.md). Operational failures are
told by their cause — the database busy past its timeout, unreachable or missing, the disk full,
a read-only file or file system — whatever raised them (SQLite, PostgreSQL or the file system).
The command's transactions have been rolled back by then: nothing is left half-written.
`FSM_DEBUG=1` shows the traceback of an unexpected failure (a bug) instead. The database layer
is imported when a failure is explained, not at every command's start.
"""

import errno
import os
import sqlite3
from enum import IntEnum

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException


class Status(IntEnum):
    """The exit statuses of every command (docs/exit-status.md)."""

    OK = 0
    FAILED = 1
    """An unexpected failure: a bug, or an operating-system error of no other kind."""
    BAD_INPUT = 2
    REJECTED = 3
    """`fsm import`: the delivery was imported, and some of its rows were rejected."""
    BUSY = 4
    UNREACHABLE = 5
    """The database cannot be reached: the server is down or refuses us, or the database does not exist."""
    DISK_FULL = 6
    READ_ONLY = 7
    RUN_LOCKED = 75
    """`fsm run`: another run holds the run lock; try again when it has finished (sysexits' EX_TEMPFAIL)."""
    INTERRUPTED = 130
    STOPPED = 143
    """Stopped by SIGTERM (128 + 15): `fsm run` marks its run failed."""


PASSED_ON = (typer.Exit, typer.Abort, TyperException)
"""How a command ends on purpose (an exit status, a usage error): not a failure."""


class Group(TyperGroup):
    """The `fsm` command group: a command's failure ends it with one line and its status."""

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except PASSED_ON:
            raise
        except KeyboardInterrupt:
            failed = (Status.INTERRUPTED, "interrupted; nothing half-written was kept")
        except Exception as error:  # noqa: BLE001 - this is where every failure ends
            failed = explained(error)
            if failed[0] == Status.FAILED and os.environ.get("FSM_DEBUG"):
                raise
        typer.echo(f"error: {failed[1]}", err=True)
        raise typer.Exit(failed[0])


def explained(error: BaseException) -> tuple[Status, str]:
    """A failure's exit status and its one line, in the words of whoever runs the command."""
    from sqlalchemy.exc import ArgumentError

    from models.database import DatabaseMissing, UnknownSchema

    if isinstance(error, DatabaseMissing):
        return Status.UNREACHABLE, str(error)
    if isinstance(error, UnknownSchema):
        return Status.BAD_INPUT, str(error)
    if isinstance(error, ArgumentError):  # not a URL, or no such database kind
        return Status.BAD_INPUT, f"DATABASE_URL is not a database URL SQLAlchemy knows: {_first_line(error)}"
    cause = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    if isinstance(cause, sqlite3.Error):
        return _sqlite(cause)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None or type(cause).__module__.startswith("psycopg"):
        return _postgresql(cause, sqlstate)
    if isinstance(error, OSError):
        return _os(error)
    if isinstance(error, MemoryError):
        return Status.FAILED, "out of memory"
    return (
        Status.FAILED,
        f"unexpected failure ({type(error).__name__}: {_first_line(error)}); FSM_DEBUG=1 shows where",
    )


def _database() -> str:
    from models.database import database_url, shown

    return shown(database_url())


def _sqlite(error: sqlite3.Error) -> tuple[Status, str]:
    from models.database import SQLITE_BUSY_SECONDS

    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary result code
    name = _database()
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return Status.BUSY, (
            f"the database {name} is busy: another command kept it locked longer than the timeout "
            f"({SQLITE_BUSY_SECONDS} s unless ?timeout= says otherwise): try again later"
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return Status.READ_ONLY, f"the database {name} is read-only ({error})"
    if code == sqlite3.SQLITE_FULL:
        return Status.DISK_FULL, f"the disk of the database {name} is full"
    if code == sqlite3.SQLITE_IOERR:
        return (
            Status.DISK_FULL,
            f"the database {name} could not be written ({error}: the disk is full or failing)",
        )
    if code == sqlite3.SQLITE_CANTOPEN:
        if _unwritable_sqlite_file():
            return Status.READ_ONLY, (
                f"the database {name} is on a read-only file system or folder: SQLite must write "
                "beside it (its -wal and -shm files)"
            )
        return Status.UNREACHABLE, f"cannot open the database {name} ({error})"
    return Status.FAILED, f"the database {name} failed: {error}"


def _unwritable_sqlite_file() -> bool:
    from sqlalchemy.engine import make_url

    from models.database import database_url, sqlite_file

    path = sqlite_file(make_url(database_url()))
    return (
        path is not None
        and path.exists()
        and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
    )


DISK_FULL_STATES = ("53100", "53400")  # disk_full, configuration_limit_exceeded (e.g. temp_file_limit)
READ_ONLY_STATES = ("25006",)  # read_only_sql_transaction (a standby, default_transaction_read_only)
BUSY_STATES = ("55P03", "40P01", "57014")  # lock_not_available, deadlock_detected, query_canceled (timeouts)


def _postgresql(error: BaseException, sqlstate: str | None) -> tuple[Status, str]:
    name, message = _database(), _first_line(error).removeprefix("connection failed: ")
    if sqlstate in DISK_FULL_STATES:
        return Status.DISK_FULL, f"the database server of {name} has no space left ({message})"
    if sqlstate in READ_ONLY_STATES:
        return Status.READ_ONLY, f"the database {name} is read-only ({message})"
    if sqlstate in BUSY_STATES:
        return Status.BUSY, f"the database {name} is busy ({message}): try again later"
    if sqlstate is None or sqlstate.startswith(("08", "28", "3D", "57P")):
        return Status.UNREACHABLE, f"cannot reach the database {name}: {message}"
    return Status.FAILED, f"the database {name} failed: {message}"


def _os(error: OSError) -> tuple[Status, str]:
    where = f"{error.filename}: " if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return Status.DISK_FULL, f"{where}no space left to write ({error.strerror})"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Status.READ_ONLY, f"{where}{error.strerror}"
    return Status.FAILED, f"{where}{error.strerror or error}"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__
