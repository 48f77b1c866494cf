"""`fsm distance`: how far a municipality is from each rate, and who to work with."""

import json
from datetime import date
from typing import Annotated

import typer

from engine.faces.cli.common import Lang, Municipality, Programme, RunId, ShowCpr, app, console, fail
from engine.faces.i18n.languages import Language


@app.command()
def distance(
    municipality: Municipality,
    programme: Programme = "fsm1",
    run: RunId = None,
    as_of: Annotated[
        date | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Evaluate the run's data as of this day (default: the run's)"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: rates, visitation, months, idle")
    ] = False,
    show_cpr: ShowCpr = False,
    lang: Lang = Language.en,
) -> None:
    """The distance to each rate on a run's data: who is still to be visitated by the project's end,
    how many more effort-group members in counted activity each month ahead needs for the next step
    and what it pays, and this month's effort-group members with no counted activity. Nothing is written.

    Example: fsm distance --municipality 851 --as-of 2018-06-30
    """
    from engine.faces.i18n import texts
    from engine.faces.simulate import distance_text
    from engine.faces.simulate.api import EVERY, distance_of
    from engine.faces.simulate.distance import distance_json
    from engine.faces.simulate.loading import ScenarioError

    try:
        found = distance_of(
            municipality, database=None, municipalities=EVERY, programme=programme, run=run, as_of=as_of
        )
    except ScenarioError as error:
        raise fail("\nerror: ".join(error.messages)) from None
    if as_json:
        typer.echo(json.dumps(distance_json(found, full_cpr=show_cpr), ensure_ascii=False, indent=2))
    else:
        distance_text.show(console, found, full_cpr=show_cpr, t=texts(lang))
