"""Helpers of the simulation tests: a municipality in memory as base data, scenarios written inline."""

import textwrap
from datetime import date
from pathlib import Path

from engine.faces.simulate.base import BaseData
from engine.faces.simulate.loading import LoadedScenario, Source, parse_scenario
from engine.faces.simulate.simulation import Simulation, simulate
from models.domain import CitizenTimeline, Grant
from tests.test_rate_edges import grant

RUN_AS_OF = date(2018, 3, 2)


def base_of(
    citizens: list[CitizenTimeline], the_grant: Grant | None = None, as_of: date | None = RUN_AS_OF
) -> BaseData:
    """Base data as a run would have read it (as of `as_of`), without a database."""
    return BaseData(
        origin={"test": "in memory"},
        grant=the_grant or grant(),
        grant_years=(),
        timelines=tuple(sorted(citizens, key=lambda t: t.citizen_id)),
        as_of=as_of,
    )


def scenario(text: str, name: str = "scenario.yaml") -> LoadedScenario:
    """A scenario file's text (dedented), named `name` in messages."""
    return parse_scenario(textwrap.dedent(text).lstrip("\n"), Source(name, Path.cwd()))


def header(as_of: str = "2019-08-31") -> str:
    return f'municipality: "851"\nprogramme: fsm1\nbase: latest\nas_of: {as_of}\nchanges:\n'


def simulated(changes: str, citizens: list[CitizenTimeline], as_of: str = "2019-08-31") -> Simulation:
    """Simulate `changes` (YAML list items, dedented) on `citizens`."""
    body = textwrap.indent(textwrap.dedent(changes).strip("\n"), "  ")
    return simulate(scenario(header(as_of) + body + "\n"), base_of(citizens))
