"""Helpers of the simulation tests: a municipality in memory as base data, scenarios written inline,
and a database's fingerprint (to show that a simulation writes nothing)."""

import hashlib
import textwrap
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select, text

import models.access  # noqa: F401 - every table belongs to the metadata fingerprinted
import models.runs  # noqa: F401
import models.scenarios  # noqa: F401
from engine.faces.simulate.base import BaseData
from engine.faces.simulate.loading import LoadedScenario, Source, parse_scenario
from engine.faces.simulate.simulation import Simulation, simulate
from models.db import Base
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


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows (in primary key order)."""
    found = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        version = connection.execute(text("select version_num from alembic_version")).all()
        found["alembic_version"] = (len(version), repr(version))
    return found


def on_run_1(example: Path, folder: Path) -> Path:
    """The example against the stored runs' run 1 (Aalborg as of 2018-03-02, as `./dev demo` builds
    it): `base: latest` there is run 2, as of the project's end. Lines stay where they were."""
    if "base: latest" not in example.read_text(encoding="utf-8"):
        return example
    written = folder / example.name
    written.write_text(
        example.read_text(encoding="utf-8").replace("base: latest", "base: 1"), encoding="utf-8"
    )
    return written
