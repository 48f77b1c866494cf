"""`fsm import`: a data delivery into the database."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.faces.cli.common import ShowCpr, app, console, database, fail, progress_bar
from engine.input.delivery import DeliveryError
from engine.input.importing import count_rows, import_folder

SOME_REJECTED = 3


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
) -> None:
    """Import one data delivery; bad rows go to a rejects report, good rows are never lost.

    Citizen ids in rejects.csv are masked (DDMMYY-xxxx) unless --show-cpr is given.

    Exit status: 0 all rows accepted (or the same delivery was imported before: nothing changes),
    3 some rejected, 2 the delivery cannot be read (nothing imported).
    Example: fsm import examples/delivery --report-dir reports/2018-03
    """
    engine = database(create=True)
    with progress_bar("reading rows") as bar:
        task = bar.add_task("rows", total=count_rows(folder) if folder.is_dir() else None)
        try:
            imported = import_folder(
                engine,
                folder,
                report_dir=report_dir,
                advance=lambda n: bar.advance(task, n),
                show_cpr=show_cpr,
            )
        except DeliveryError as error:
            raise fail(f"{error}; nothing was imported") from None
    counts = [(f.name, f.rows_read, f.accepted, f.rejected) for f in imported.content.files]
    if console.is_terminal:
        table = Table("file", "rows read", "accepted", "rejected", title=str(imported))
        for name, *numbers in counts:
            table.add_row(name, *map(str, numbers))
        console.print(table)
    else:
        typer.echo(str(imported))
        for name, read, accepted, rejected in counts:
            typer.echo(f"{name}: {read} rows read = {accepted} accepted + {rejected} rejected")
    for name in imported.content.ignored:
        typer.echo(f"ignored: {name} is not a file of a delivery")
    typer.echo(f"report: {imported.report / 'rejects.csv'} and {imported.report / 'summary.json'}")
    if imported.content.rejects and imported.stored.new:
        raise typer.Exit(SOME_REJECTED)
