"""A scenario between the form and the file: a scenario document (a form's JSON) written as a
scenario file that `fsm simulate` runs to the same result, and an uploaded file read into the
document that fills the form.

The file is written as the examples are: the keys in the order of a scenario file, dates and
decimals unquoted (`value: 0.35` is read back as an exact decimal), groups and municipality codes
quoted, `count` a number or text (`all`, `25%`), defaults left out. The form's document is the same
values as JSON: dates and decimals as text (`"2018-05-31"`, `"0.35"`), which the checks read exactly.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic_core import to_jsonable_python

from engine.faces.simulate.api import Invalid, ScenarioInput, scenario_data
from engine.faces.simulate.checks import parameter_value
from engine.faces.simulate.loading import Problem, ScenarioError, validated
from engine.faces.simulate.scenario import Change, Scenario, Selected, SetParameter
from engine.rules.pack import PackError, get_pack

ORDER = ("title", "municipality", "programme", "base", "as_of", "changes", "forecast")


class _Dumper(yaml.SafeDumper):
    """YAML as the scenario files are written: codes as text, decimals as plain numbers."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    """`0.35` plain; a decimal YAML would not read as one by itself (`10`, `1E+2`) tagged `!!float`."""
    return dumper.represent_scalar("tag:yaml.org,2002:float", str(value))


_Dumper.add_representer(Decimal, _decimal)
_Dumper.add_multi_representer(StrEnum, lambda dumper, code: dumper.represent_str(str(code)))


def scenario_values(scenario: Scenario) -> dict[str, Any]:
    """A scenario's values as a scenario file has them (dates as dates, decimals as Decimal), in the
    file's order, without what is left to its default."""
    values: dict[str, Any] = {
        "title": scenario.title,
        "municipality": scenario.municipality,
        "programme": scenario.programme,
        "base": scenario.base.run if scenario.base.run is not None else str(scenario.base),
        "as_of": scenario.as_of,
        "changes": [_change(change, scenario.programme) for change in scenario.changes],
        "forecast": scenario.forecast.model_dump(by_alias=True, exclude_none=True)
        if scenario.forecast
        else None,
    }
    if not values["changes"] and scenario.forecast is not None:
        del values["changes"]
    return {key: values[key] for key in ORDER if values.get(key) is not None}


def _change(change: Change, programme: str) -> dict[str, Any]:
    given = change.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    given = {"op": change.op, **given}
    if isinstance(change, Selected):
        if change.count is not None:
            given["count"] = change.count.number if change.count.number is not None else str(change.count)
        if change.citizens is not None:
            given["citizens"] = list(change.citizens)
    if isinstance(change, SetParameter):
        given["value"] = _typed(programme, change.name, change.value)
    return given


def _typed(programme: str, name: str, value: Any) -> Any:
    """A reform's value given as text (as JSON gives a decimal or a date) as the parameter's type has
    it, when that is the same text (`"0.35"` is 0.35, `"2016-06-30"` a date); anything else as it was
    given (a value the checks refuse is theirs to refuse again)."""
    if not isinstance(value, str):
        return value
    try:
        typed = parameter_value(get_pack(programme), name, value)
    except (Problem, PackError):
        return value
    return typed if to_jsonable_python(typed) == value else value


def scenario_yaml(scenario: ScenarioInput) -> str:
    """The scenario document as a scenario file; raises Invalid for a document that is no scenario
    (what only the base data can tell — a date outside the project, an unknown citizen — is left to
    `fsm simulate` to say, as it says it for any file)."""
    data, source = scenario_data(scenario, directory=Path.cwd())
    try:
        loaded = validated(data, source)
    except ScenarioError as error:
        raise Invalid(error, data) from None
    return yaml.dump(
        scenario_values(loaded.scenario), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def form_document(scenario: Scenario) -> dict[str, Any]:
    """A scenario as the JSON document a form is filled with (and `simulate_document` takes)."""
    return to_jsonable_python(scenario_values(scenario))


@dataclass(frozen=True)
class Upload:
    """An uploaded scenario file, for the form: its document (None when it is no mapping at all) and
    its problems (problem_json, each naming its line). A file with problems still fills the form with
    what it says, so that each problem can be shown beside its field."""

    document: dict[str, Any] | None
    problems: list[dict[str, Any]]


def read_upload(text: str | bytes, *, name: str = "upload.yaml") -> Upload:
    try:
        data, source = scenario_data(text, name=name, directory=Path.cwd())
    except Invalid as error:
        return Upload(None, error.problems)
    try:
        loaded = validated(data, source)
    except ScenarioError as error:
        given = to_jsonable_python(data, fallback=str) if isinstance(data, dict) else None
        return Upload(given, Invalid(error, data).problems)
    return Upload(form_document(loaded.scenario), [])
