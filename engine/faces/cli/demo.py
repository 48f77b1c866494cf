"""`fsm demo`: a synthetic municipality imported, run and shown."""

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from engine.faces.cli.common import CORES, Programme, Workers, app, console, database, fail
from engine.faces.cli.runs import run_command, status

if TYPE_CHECKING:
    from engine.synthetic import Municipality

DEMOS = {"fsm1": "Aalborg, FSM1, as in seed 002", "fsm2": "Herning, FSM2, as in seed 003"}


def _demo(programme: str) -> tuple["Municipality", date]:
    """The demo's municipality and its status day (the generators are imported by `fsm demo` only)."""
    from engine.synthetic import aalborg, herning

    if programme == "fsm1":
        return aalborg.municipality("851"), aalborg.STATUS_DAY
    return herning.municipality(), herning.STATUS_DAY


@app.command()
def demo(
    programme: Programme = "fsm1",
    as_of: Annotated[
        date | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="The status date (default: fsm1 2018-03-02, fsm2 2021-12-31)"
        ),
    ] = None,
    workers: Workers = CORES,
) -> None:
    """Build a synthetic municipality — Aalborg's FSM1 project in 2018 (seed 002), or Herning's FSM2
    project (seed 003) with --programme fsm2 — import it, run, and print the status.

    Example: fsm demo --programme fsm2
    """
    from engine.input.importing import import_folder
    from engine.synthetic import write_delivery

    if programme not in DEMOS:
        raise fail(f"no demo for {programme!r}; known: {', '.join(DEMOS)}")
    place, status_day = _demo(programme)
    engine = database(create=True)
    with tempfile.TemporaryDirectory() as folder:
        delivery = Path(folder) / f"{programme}-demo"
        write_delivery(delivery, [place])
        imported = import_folder(engine, delivery)
    console.print(f"demo delivery ({DEMOS[programme]}) imported: {imported}")
    run_command(as_of=as_of or status_day, programme=programme, municipality=place.code, workers=workers)
    status(run=None, municipality=place.code, as_json=False, show_cpr=False)
