"""The `fsm` application and what its commands share: the console, options, failing with one line.

Nothing here imports the database layer, pydantic or a rule pack at start: `fsm --help` needs none
of them (the functions that do import them when called)."""

import atexit
import gc
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from engine.faces.cli.failures import Group, Status
from engine.faces.i18n.languages import SETTING, Language
from engine.rules.installed import programmes
from models.today import UnknownTimeZone, today

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.rules.pack import Pack
    from models.domain import CitizenTimeline

app = typer.Typer(
    name="fsm",
    help="Flere skal med payout eligibility engine: target groups, rates and payouts, with a trace per decision."
    "\n\nExample: fsm evaluate examples/citizens/member.json --programme fsm1 --municipality 851",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)


console = Console()


@atexit.register
def _leave() -> None:
    """The process ends without the interpreter's final garbage collections: its database
    connections are closed here, and everything else is frozen out of those passes, which took a
    third of `fsm status`'s time (the system takes the memory back whole)."""
    if "models.database" in sys.modules:  # never imported just to close nothing
        sys.modules["models.database"].close_all()
    gc.freeze()


Programme = Annotated[str, typer.Option("--programme", "-p", help="Rule pack: " + ", ".join(programmes()))]
Municipality = Annotated[
    str, typer.Option("--municipality", "-m", help="3-digit municipality code, e.g. 851")
]
AsOf = Annotated[
    date | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="Date the law is read at (default: fsm1 the pack's cut-off date, fsm2 today in Copenhagen)",
    ),
]
ShowCpr = Annotated[bool, typer.Option("--show-cpr", help="Show full CPR numbers (personal data)")]
Lang = Annotated[
    Language,
    typer.Option(
        "--lang",
        envvar=SETTING,
        help=f"Language of the output and its files: da or en (default: {SETTING}, else en)",
    ),
]


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(Status.BAD_INPUT)


def today_or_fail() -> date:
    """Today in Copenhagen (or in the zone FSM_TIMEZONE names): the default as-of date."""
    try:
        return today()
    except UnknownTimeZone as error:
        raise fail(str(error)) from None


def read_citizen(path: Path) -> "CitizenTimeline":
    from pydantic import ValidationError

    from engine.input.errors import describe_validation_error
    from models.domain import CitizenTimeline

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"{path}: cannot read: {error}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(
            f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    try:
        return CitizenTimeline.model_validate(raw)
    except ValidationError as error:
        raise fail(f"{path}: {describe_validation_error(error)}") from None


def pack_or_fail(programme: str) -> "Pack":
    from engine.rules.pack import PackError, get_pack

    try:
        return get_pack(programme)
    except PackError as error:
        raise fail(str(error)) from None


def database(*, create: bool = False) -> "Engine":
    """The database of `DATABASE_URL` (default: the embedded SQLite file), at the latest schema.
    One that does not exist is refused unless the command may `create` it (`fsm db upgrade`,
    `fsm import`, `fsm demo`)."""
    from models.database import open_database

    return open_database(create=create)


def database_url_shown() -> str:
    from models.database import database_url, shown

    return shown(database_url())


def progress_bar(total_label: str) -> Progress:
    """A progress bar on a terminal; silent in CI and when output is not a terminal."""
    quiet = bool(os.environ.get("CI")) or not sys.stdout.isatty()
    return Progress(
        TextColumn(total_label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=quiet,
        console=console,
    )


CORES = os.cpu_count() or 1
Workers = Annotated[int, typer.Option(min=1, help="Processes that evaluate municipalities")]
OnlyMunicipality = Annotated[str | None, typer.Option("--municipality", "-m", help="Only this municipality")]
RunId = Annotated[int | None, typer.Option("--run", help="Run id (default: the latest finished run)")]


def command_group(name: str, help: str) -> typer.Typer:
    """A group of sub-commands, `fsm NAME COMMAND`."""
    group = typer.Typer(help=help)
    app.add_typer(group, name=name)
    return group
