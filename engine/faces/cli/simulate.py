"""`fsm simulate` and `fsm forecast`: what-if scenarios for project leaders (the same functions as
the web's, engine/faces/simulate/api.py). The simulation, its workbook (openpyxl) and its chart
(matplotlib) are imported by the commands that use them, not by every command."""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from engine.collector import collector_paused
from engine.faces.cli.common import Lang, Municipality, Programme, ShowCpr, app, console, fail
from engine.faces.i18n.languages import Language

if TYPE_CHECKING:
    from engine.faces.i18n import Texts
    from engine.faces.simulate.loading import ScenarioError
    from engine.faces.simulate.simulation import Simulation

AsJson = Annotated[
    bool, typer.Option("--json", help='One JSON object: {"baseline", "scenario", "differences", ...}')
]
Xlsx = Annotated[Path | None, typer.Option("--xlsx", help="Also write every table to this Excel file")]
Chart = Annotated[
    Path | None,
    typer.Option("--chart", help="Also draw the monthly shares, baseline and scenario, to a .png or .svg"),
]


def fail_scenario(error: "ScenarioError") -> typer.Exit:
    """Every problem of a scenario on stderr, one `error:` line each (they name their lines)."""
    return fail("\nerror: ".join(error.messages))


def check_chart(chart: Path | None) -> None:
    if chart is None:
        return
    from engine.faces.simulate.chart import SUFFIXES

    if chart.suffix.lower() not in SUFFIXES:
        raise fail(f"--chart {chart}: the file must end in .png or .svg")


def show_simulation(
    simulation: "Simulation", as_json: bool, xlsx: Path | None, chart: Path | None, show_cpr: bool, t: "Texts"
) -> None:
    """The simulation in words, or as JSON (its keys and codes the same in every language), and its files."""
    from engine.faces.simulate import document, text

    if as_json:
        typer.echo(document.dumps(simulation, full_cpr=show_cpr))
    else:
        text.show(console, simulation, full_cpr=show_cpr, t=t)
    if xlsx is not None:
        from engine.faces.simulate import tables, workbook

        workbook.save(tables.sheets(simulation, full_cpr=show_cpr, t=t), xlsx, t)
        typer.echo(t._("wrote %(file)s", file=xlsx), err=as_json)
    if chart is not None:
        from engine.faces.simulate import chart as simulation_chart

        simulation_chart.save_chart(simulation, chart, t)
        typer.echo(t._("wrote %(file)s", file=chart), err=as_json)


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="A scenario file (YAML): base data, as-of date, changes")],
    as_json: AsJson = False,
    xlsx: Xlsx = None,
    chart: Chart = None,
    show_cpr: ShowCpr = False,
    lang: Lang = Language.en,
) -> None:
    """Try a what-if scenario on a copy of the data: baseline and scenario side by side, the money, and
    which change made which decision differ. Nothing is written to the data or the runs.

    Example: fsm simulate examples/scenarios/visitate-and-internships.yaml --xlsx out/scenario.xlsx --chart out/shares.png
    """
    from engine.faces.i18n import texts
    from engine.faces.simulate.api import EVERY, run_scenario
    from engine.faces.simulate.loading import ScenarioError, read_file

    with collector_paused():
        try:
            given = read_file(scenario)
            check_chart(chart)
            simulation = run_scenario(
                given, database=None, municipalities=EVERY, name=str(scenario), directory=scenario.parent
            )
        except ScenarioError as error:
            raise fail_scenario(error) from None
        show_simulation(simulation, as_json, xlsx, chart, show_cpr, texts(lang))


@app.command()
def forecast(
    municipality: Municipality,
    programme: Programme = "fsm1",
    base: Annotated[
        str, typer.Option(help="latest (the latest run's data), a run id, or a delivery folder")
    ] = "latest",
    start: Annotated[
        date | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            help="Measure the pace on this day (default: the run's as-of date)",
        ),
    ] = None,
    until: Annotated[
        date | None,
        typer.Option(
            "--until", formats=["%Y-%m-%d"], help="Evaluate as of this day (default: the project's end)"
        ),
    ] = None,
    window_weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks of visitation pace measured")] = 8,
    trend_months: Annotated[
        int, typer.Option(min=1, max=24, help="Months the activity trend is drawn through")
    ] = 3,
    as_json: AsJson = False,
    xlsx: Xlsx = None,
    chart: Chart = None,
    show_cpr: ShowCpr = False,
    lang: Lang = Language.en,
) -> None:
    """Project the current pace (visitations per week, the activity share's trend) to the end of the
    project: whether and when rates 2 and 3 would trigger, with the assumption in words.

    Example: fsm forecast --municipality 851 --chart out/forecast.png
    """
    from engine.faces.i18n import texts
    from engine.faces.simulate.api import EVERY, forecast_simulation
    from engine.faces.simulate.loading import ScenarioError

    t = texts(lang)
    check_chart(chart)
    with collector_paused():
        try:
            simulation = forecast_simulation(
                municipality,
                database=None,
                municipalities=EVERY,
                programme=programme,
                base=int(base) if base.isdigit() else base,
                start=start,
                until=until,
                window_weeks=window_weeks,
                trend_months=trend_months,
                t=t,
                directory=Path.cwd(),
            )
        except ScenarioError as error:
            raise fail_scenario(error) from None
        show_simulation(simulation, as_json, xlsx, chart, show_cpr, t)
