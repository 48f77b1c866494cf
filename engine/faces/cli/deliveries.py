"""`fsm import`: a data delivery into the database."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from engine.faces.cli.common import ShowCpr, app, console, database, progress_bar
from engine.faces.cli.failures import Status
from engine.input import TIMELINE_KINDS

if TYPE_CHECKING:
    from engine.input.importing import Imported


@app.command("import")
def import_command(
    folder: Annotated[Path, typer.Argument(help="A delivery: a folder of CSV files (SPEC section 3)")],
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where rejects.csv and summary.json go (default: import-reports/delivery-<id>-<time>/)"
        ),
    ] = None,
    show_cpr: ShowCpr = False,
    allow_missing: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-missing",
            metavar="KIND",
            help="Import without KIND's file although the citizens listed had such rows: they lose them "
            f"all (one of {', '.join(TIMELINE_KINDS)}; may be given more than once)",
        ),
    ] = None,
    resend: Annotated[
        bool,
        typer.Option(
            help="Import a delivery equal to an older one than the latest again, undoing later corrections"
        ),
    ] = False,
) -> None:
    """Import one data delivery; bad rows go to a rejects report, good rows are never lost.

    Citizen ids in rejects.csv are masked (DDMMYY-xxxx) unless --show-cpr is given. A delivery
    equal to the latest one (however its files are written) is not imported again: its summary is
    shown again, with its exit status.

    Exit status: 0 every row accepted, 3 some rejected, 2 the delivery cannot be read or is
    refused (nothing imported); others in docs/exit-status.md.
    Example: fsm import examples/delivery --report-dir reports/2018-03
    """
    from engine.input.delivery import DeliveryError
    from engine.input.importing import count_rows, import_folder

    allowed = [kind.removesuffix(".csv") for kind in allow_missing or ()]
    unknown = [kind for kind in allowed if kind not in TIMELINE_KINDS]
    if unknown:
        _refuse([f"--allow-missing {', '.join(unknown)}: the kinds are {', '.join(TIMELINE_KINDS)}"])
    engine = database(create=True)
    with progress_bar("reading rows") as bar:
        advance = None
        if not bar.disable:
            task = bar.add_task("rows", total=count_rows(folder) if folder.is_dir() else None)
            advance = lambda n: bar.advance(task, n)  # noqa: E731 - a callback per batch of rows
        try:
            imported = import_folder(
                engine,
                folder,
                report_dir=report_dir,
                advance=advance,
                show_cpr=show_cpr,
                allow_missing=allowed,
                resend=resend,
            )
        except DeliveryError as error:
            _refuse(error.problems)
    _show(imported)
    if imported.rejected:
        raise typer.Exit(Status.REJECTED)


def _refuse(problems: list[str]) -> None:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    typer.echo("error: nothing was imported", err=True)
    raise typer.Exit(Status.BAD_INPUT)


def _show(imported: "Imported") -> None:
    summary = imported.summary
    files = summary["files"]
    if console.is_terminal:
        table = Table("file", "rows read", "accepted", "rejected", "read as", title=str(imported))
        for f in files:
            table.add_row(
                f["name"], str(f["rows_read"]), str(f["accepted"]), str(f["rejected"]), "; ".join(f["notes"])
            )
        console.print(table)
    else:
        typer.echo(str(imported))
        for f in files:
            notes = f" ({'; '.join(f['notes'])})" if f["notes"] else ""
            typer.echo(
                f"{f['name']}: {f['rows_read']} rows read = {f['accepted']} accepted + {f['rejected']} rejected{notes}"
            )
    for kind, count in summary["lose_all_rows"].items():
        typer.echo(f"{count} of the citizens listed lose all their {kind} rows")
    for name in summary["ignored_files"]:
        typer.echo(f"ignored: {name} is not a file of a delivery")
    typer.echo(f"report: {imported.report / 'rejects.csv'} and {imported.report / 'summary.json'}")
