"""What the web's pages and `POST /api/simulations` call: a scenario document in, the object
`fsm simulate --json` prints out; the forecast; the distance to each rate. Plain functions: the
caller says which municipalities it may see and whether it may see full CPR numbers, and nothing
here knows of users or roles.

A scenario document is the scenario file's keys, as a mapping or as text — JSON, or YAML (JSON is
YAML, read by the same reader as `fsm simulate`: decimals exact, and a problem names its line). A
document that cannot be simulated raises `Invalid`, whose `problems` name the change (index and
operation) and the field of each, with the messages `fsm simulate` prints. Nothing is written:
the base data are read in a read-only session (base.py). The documents are made with Python's cyclic
garbage collector paused, like the simulation itself: millions of small records are made, and a
collection of them half-way would cost seconds for nothing.
"""

from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from engine.collector import collector_paused
from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.base import existing_database, from_database, load_base
from engine.faces.simulate.distance import Distance, distance, distance_json
from engine.faces.simulate.document import document
from engine.faces.simulate.evaluator import Evaluator
from engine.faces.simulate.kept import Kept
from engine.faces.simulate.loading import (
    LoadedScenario,
    Located,
    Problem,
    ScenarioError,
    Source,
    read_document,
    validated,
)
from engine.faces.simulate.scenario import BaseRef
from engine.faces.simulate.simulation import Simulation, simulate
from engine.faces.simulate.terms import terms_of
from engine.input.errors import location
from engine.rules.pack import get_pack

ScenarioInput = str | bytes | Mapping[str, Any]
"""A scenario document: its text (JSON or YAML), or its data (a mapping with the YAML's keys)."""


class Every:
    """Every municipality: the `municipalities` of a caller not limited to some."""

    def __contains__(self, code: object) -> bool:
        return True


EVERY = Every()
Municipalities = Collection[str] | Every


class Refused(PermissionError):
    """The caller may not see the municipality (nothing about its data is said)."""


class Invalid(ScenarioError):
    """A scenario that cannot be simulated, its problems as JSON for a form (`problem_json`)."""

    def __init__(self, error: ScenarioError, data: Any = None) -> None:
        super().__init__(error.found)
        self.problems = [problem_json(found, data) for found in error.found]


def problem_json(found: Located, data: Any = None, severity: str = "error") -> dict[str, Any]:
    """A problem as a form shows it beside its field: `change` (the index in `changes`) with its `op`,
    `field` (a change's key, or a key of the scenario such as `as_of` or `forecast.from`), `item`
    (a position in `citizens`), the `message` alone and the `text` `fsm simulate` prints."""
    path = found.path
    change = path[1] if len(path) > 1 and path[0] == "changes" and isinstance(path[1], int) else None
    given = _change_data(data, change)
    if change is None:
        field = ".".join(str(part) for part in path) or None
        item = None
    else:
        field = str(path[2]) if len(path) > 2 else None
        item = path[3] if len(path) > 3 and isinstance(path[3], int) else None
    return {
        "severity": severity,
        "path": list(path),
        "place": location(path) if path else None,
        "change": change,
        "op": given.get("op") if isinstance(given.get("op"), str) else None,
        "field": field,
        "item": item,
        "line": found.line,
        "message": found.message,
        "text": found.text,
    }


def _change_data(data: Any, index: int | None) -> Mapping[str, Any]:
    changes = data.get("changes") if isinstance(data, Mapping) else None
    if index is None or not isinstance(changes, list) or not 0 <= index < len(changes):
        return {}
    found = changes[index]
    return found if isinstance(found, Mapping) else {}


def warnings_json(simulation: Simulation) -> list[dict[str, Any]]:
    """The simulation's warnings about places in the scenario (e.g. a `count` larger than the members
    a change applies to), as problems of severity `warning`."""
    data = simulation.scenario.model_dump(mode="json", by_alias=True)
    return [problem_json(found, data, "warning") for found in simulation.warned]


def scenario_data(
    scenario: ScenarioInput, *, name: str = "scenario", directory: Path | None = None
) -> tuple[Any, Source]:
    """A scenario document's data and its source (the line of every place, for a text); raises
    Invalid for text that is not UTF-8 or not YAML (JSON is YAML), is empty or has a key twice."""
    source = Source(name, directory or Path.cwd())
    if isinstance(scenario, Mapping):
        return scenario, source
    try:
        return read_document(_text(scenario, source), source)
    except ScenarioError as error:
        raise Invalid(error) from None


def read_scenario(
    scenario: ScenarioInput, *, name: str = "scenario", directory: Path | None = None
) -> tuple[LoadedScenario, Any]:
    """A scenario document validated, and its data; raises Invalid. `directory`: where a delivery
    folder given as base is found (None: a folder is refused, only a run's data can be the base)."""
    data, source = scenario_data(scenario, name=name, directory=directory)
    try:
        loaded = validated(data, source)
    except ScenarioError as error:
        raise Invalid(error, data) from None
    if directory is None and loaded.scenario.base.folder is not None:
        message = "a delivery folder cannot be the base here: give latest or a run id"
        raise Invalid(source.error([Problem(("base",), message)]), data)
    return loaded, data


def _text(scenario: str | bytes, source: Source) -> str:
    if isinstance(scenario, str):
        return scenario
    try:
        return scenario.decode("utf-8")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text: {error}"
        raise ScenarioError([Located((), None, message, f"{source.name}: {message}")]) from None


def _allowed(municipality: str, municipalities: Municipalities) -> None:
    if municipality not in municipalities:
        raise Refused(f"municipality {municipality} is not among those you may see")


def _database(database: Engine | None) -> Engine:
    return database if database is not None else existing_database()


def run_scenario(
    scenario: ScenarioInput,
    *,
    database: Engine | None,
    municipalities: Municipalities,
    kept: Kept | None = None,
    name: str = "scenario",
    directory: Path | None = None,
) -> Simulation:
    """Simulate a scenario document on its base data (a run's, from `database`; None: DATABASE_URL's);
    raises Invalid (with every problem) or Refused. `kept`: base data and evaluations kept between
    calls (a web process's own)."""
    loaded, data = read_scenario(scenario, name=name, directory=directory)
    _allowed(loaded.scenario.municipality, municipalities)
    try:
        base = load_base(loaded, lambda: _database(database), kept)
        return simulate(loaded, base, kept=kept)
    except ScenarioError as error:
        raise Invalid(error, data) from None


@collector_paused()
def simulate_document(
    scenario: ScenarioInput,
    *,
    database: Engine | None,
    municipalities: Municipalities,
    full_cpr: bool = False,
    kept: Kept | None = None,
    name: str = "scenario",
    directory: Path | None = None,
) -> dict[str, Any]:
    """`POST /api/simulations`: the object `fsm simulate --json` prints for the scenario document."""
    simulation = run_scenario(
        scenario, database=database, municipalities=municipalities, kept=kept, name=name, directory=directory
    )
    return document(simulation, full_cpr=full_cpr)


def forecast_simulation(
    municipality: str,
    *,
    database: Engine | None,
    municipalities: Municipalities,
    programme: str = "fsm1",
    base: str | int = "latest",
    start: date | None = None,
    until: date | None = None,
    window_weeks: int = 8,
    trend_months: int = 3,
    kept: Kept | None = None,
    t: Texts = ENGLISH,
    directory: Path | None = None,
) -> Simulation:
    """`fsm forecast`: the current pace on `start` (default: the run's as-of date) projected to
    `until` (default: the project's end); raises Invalid or Refused. The title is in `t`'s language."""
    _allowed(municipality, municipalities)
    document = {
        "municipality": municipality,
        "programme": programme,
        "base": base,
        "title": t._("forecast of %(municipality)s", municipality=t.municipality(municipality)),
        "forecast": {"from": start, "window_weeks": window_weeks, "trend_months": trend_months},
    }
    loaded, data = read_scenario(document, name="forecast", directory=directory)
    try:
        data_of = load_base(loaded, lambda: _database(database), kept)
        scenario = loaded.scenario.model_copy(update={"as_of": until or data_of.grant.project_end})
        return simulate(LoadedScenario(scenario, loaded.source), data_of, kept=kept)
    except ScenarioError as error:
        raise Invalid(error, data) from None


@collector_paused()
def forecast_document(
    municipality: str,
    *,
    database: Engine | None,
    municipalities: Municipalities,
    full_cpr: bool = False,
    t: Texts = ENGLISH,
    **options: Any,
) -> dict[str, Any]:
    """The object `fsm forecast --json` prints, and under `words` its assumption and outlook in `t`'s
    language: `{"language": "da", "assumption": "...", "outlook": ["...", ...]}`. `options`: those
    of `forecast_simulation`."""
    simulation = forecast_simulation(
        municipality, database=database, municipalities=municipalities, t=t, **options
    )
    projection = simulation.projection
    assert projection is not None
    return {
        **document(simulation, full_cpr=full_cpr),
        "words": {
            "language": t.language.value,
            "assumption": projection.assumption_in(t),
            "outlook": simulation.outlook(t),
        },
    }


def distance_of(
    municipality: str,
    *,
    database: Engine | None,
    municipalities: Municipalities,
    programme: str = "fsm1",
    run: int | None = None,
    as_of: date | None = None,
    kept: Kept | None = None,
) -> Distance:
    """The distance to each rate on the data of a run (default: the latest finished run of the
    programme), evaluated as of `as_of` (default: the run's as-of date); raises Invalid or Refused."""
    _allowed(municipality, municipalities)
    source = Source("distance", Path.cwd())
    try:
        try:
            terms, pack = terms_of(programme), get_pack(programme)
        except ValueError as error:
            raise Problem(("programme",), str(error)) from None
        base = from_database(_database(database), BaseRef(run=run), municipality, programme, kept)
    except Problem as problem:
        raise Invalid(source.error([problem])) from None
    day = as_of or base.as_of
    assert day is not None  # a run's data have the run's as-of date
    evaluate = kept.evaluator(base, pack) if kept else Evaluator(pack, base)
    return distance(base, day, terms, evaluate)


@collector_paused()
def distance_document(
    municipality: str,
    *,
    database: Engine | None,
    municipalities: Municipalities,
    full_cpr: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """The distance as JSON (distance.py `distance_json`); `options`: those of `distance_of`."""
    found = distance_of(municipality, database=database, municipalities=municipalities, **options)
    return distance_json(found, full_cpr=full_cpr)
