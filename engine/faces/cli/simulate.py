"""`fsm simulate` and `fsm forecast`: what-if scenarios for project leaders. The simulation machinery
(and with it matplotlib and openpyxl) is imported by these commands alone, not by every `fsm`."""

from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from engine.faces.cli.common import Municipality, Programme, ShowCpr, app, console, fail
from engine.input.errors import describe_validation_error

if TYPE_CHECKING:
    from engine.faces.simulate.base import BaseData
    from engine.faces.simulate.loading import LoadedScenario, ScenarioError
    from engine.faces.simulate.simulation import Simulation

AsJson = Annotated[
    bool, typer.Option("--json", help='One JSON object: {"baseline", "scenario", "differences", ...}')
]
Xlsx = Annotated[Path | None, typer.Option("--xlsx", help="Also write every table to this Excel file")]
Chart = Annotated[
    Path | None,
    typer.Option("--chart", help="Also draw the monthly shares, baseline and scenario, to a .png or .svg"),
]


def _chart() -> ModuleType:
    """engine.faces.simulate.chart, imported when a chart is asked for: matplotlib takes half a
    second to import, and every `fsm` command imports this module."""
    from engine.faces.simulate import chart

    return chart


def fail_scenario(error: "ScenarioError") -> typer.Exit:
    """Every problem of a scenario on stderr, one `error:` line each (they name their lines)."""
    return fail("\nerror: ".join(error.messages))


def simulated(loaded: "LoadedScenario", chart: Path | None, base: "BaseData | None" = None) -> "Simulation":
    """Simulate on `base` (default: the scenario's own base data); problems exit with status 2."""
    from engine.faces.simulate.base import load_base
    from engine.faces.simulate.loading import ScenarioError
    from engine.faces.simulate.simulation import simulate as run_simulation

    if chart is not None and chart.suffix.lower() not in _chart().SUFFIXES:
        raise fail(f"--chart {chart}: the file must end in .png or .svg")
    try:
        return run_simulation(loaded, base or load_base(loaded))
    except ScenarioError as error:
        raise fail_scenario(error) from None


def show_simulation(
    simulation: "Simulation", as_json: bool, xlsx: Path | None, chart: Path | None, show_cpr: bool
) -> None:
    from engine.faces.simulate import document, tables, text

    if as_json:
        typer.echo(document.dumps(simulation, full_cpr=show_cpr))
    else:
        text.show(console, simulation, full_cpr=show_cpr)
    if xlsx is not None:
        from engine.faces.simulate import workbook  # openpyxl: only for a workbook

        workbook.save(tables.sheets(simulation, full_cpr=show_cpr), xlsx)
        typer.echo(f"wrote {xlsx}", err=as_json)
    if chart is not None:
        _chart().save_chart(simulation, chart)
        typer.echo(f"wrote {chart}", err=as_json)


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="A scenario file (YAML): base data, as-of date, changes")],
    as_json: AsJson = False,
    xlsx: Xlsx = None,
    chart: Chart = None,
    show_cpr: ShowCpr = False,
) -> None:
    """Try a what-if scenario on a copy of the data: baseline and scenario side by side, the money, and
    which change made which decision differ. Nothing is written to the data or the runs.

    Example: fsm simulate examples/scenarios/visitate-and-internships.yaml --xlsx out/scenario.xlsx --chart out/shares.png
    """
    from engine.faces.simulate.loading import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as error:
        raise fail_scenario(error) from None
    show_simulation(simulated(loaded, chart), as_json, xlsx, chart, show_cpr)


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
) -> None:
    """Project the current pace (visitations per week, the activity share's trend) to the end of the
    project: whether and when rates 2 and 3 would trigger, with the assumption in words.

    Example: fsm forecast --municipality 851 --chart out/forecast.png
    """
    from engine.faces.simulate.base import load_base
    from engine.faces.simulate.loading import LoadedScenario, ScenarioError, Source
    from engine.faces.simulate.scenario import Scenario

    source = Source("forecast", Path.cwd())
    try:
        scenario = Scenario.model_validate(
            {
                "municipality": municipality,
                "programme": programme,
                "base": int(base) if base.isdigit() else base,
                "title": f"forecast of {municipality}",
                "forecast": {"from": start, "window_weeks": window_weeks, "trend_months": trend_months},
            }
        )
    except ValidationError as error:
        raise fail(describe_validation_error(error)) from None
    loaded = LoadedScenario(scenario, source)
    try:
        base = load_base(loaded)
    except ScenarioError as error:
        raise fail_scenario(error) from None
    loaded = LoadedScenario(scenario.model_copy(update={"as_of": until or base.grant.project_end}), source)
    show_simulation(simulated(loaded, chart, base), as_json, xlsx, chart, show_cpr)
