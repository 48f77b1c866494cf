"""Reading a scenario file: YAML that remembers the line of every key and list item, so that each
problem — a wrong type, an unknown operation, a date outside the project, an unknown citizen —
is reported as `scenario.yaml, line 12, changes[1].count: ...`.

Decimals are read exactly (`0.35` is `Decimal("0.35")`, as in the rule packs), never as floats.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from engine.faces.simulate import phrases
from engine.faces.simulate.scenario import (
    OPERATIONS,
    AddActivity,
    EndActivity,
    Exit,
    ForecastOptions,
    MoveGroup,
    Scenario,
    SetParameter,
    Visitate,
)
from engine.input.errors import location
from engine.rules.pack import _ExactLoader
from engine.words import Phrase
from models import cpr
from models.domain import MUNICIPALITY_PATTERN

Place = tuple[str | int, ...]
"""A place in the scenario: ("changes", 1, "count") is `changes[1].count`."""
MODELS: dict[str, type[BaseModel]] = {
    "visitate": Visitate,
    "add_activity": AddActivity,
    "end_activity": EndActivity,
    "move_group": MoveGroup,
    "exit": Exit,
    "set_parameter": SetParameter,
}


@dataclass(frozen=True)
class Located:
    """A problem found in a scenario: its place, its line (None: the text has none, e.g. a form's), the
    message alone (for a form to show beside the field) and the line `fsm simulate` prints."""

    path: Place
    line: int | None
    message: str
    text: str


class ScenarioError(Exception):
    """A scenario that cannot be simulated: one message per problem, each naming the file and line."""

    def __init__(self, found: Sequence[Located]) -> None:
        self.found = list(found)
        self.messages = [problem.text for problem in self.found]
        super().__init__("\n".join(self.messages))


class Problem(Exception):
    """One problem at a place of the scenario; `Source.error` turns problems into a ScenarioError."""

    def __init__(self, path: Place, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class Problems(Exception):
    """Several problems found together (e.g. every citizen of a list who cannot be changed)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)

    def within(self, prefix: Place) -> list[Problem]:
        """The problems, at places inside `prefix` (a change's place in the file)."""
        return [Problem((*prefix, *p.path), p.message) for p in self.problems]


@dataclass(frozen=True)
class Source:
    """Where a scenario came from: the name used in messages, the folder relative paths start from,
    and the line of every place in it (empty for a scenario built in code, e.g. by `fsm forecast`)."""

    name: str
    directory: Path
    lines: Mapping[Place, int] = field(default_factory=dict)

    def line(self, path: Place) -> int | None:
        """The line of `path`, or of the nearest enclosing place the file has (a missing key's mapping)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def where(self, path: Place) -> str:
        line = self.line(path)
        parts = [self.name] + ([f"line {line}"] if line is not None else [])
        return ", ".join(parts + ([location(path)] if path else []))

    def message(self, problem: Problem) -> str:
        return f"{self.where(problem.path)}: {problem.message}"

    def located(self, problem: Problem) -> Located:
        return Located(problem.path, self.line(problem.path), problem.message, self.message(problem))

    def error(self, problems: Iterable[Problem]) -> ScenarioError:
        return ScenarioError([self.located(p) for p in problems])


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    source: Source


class _LineLoader(_ExactLoader):
    """The rule packs' exact YAML loader, used node by node so that lines are kept."""

    def construct_scalar(self, node: yaml.Node) -> Any:
        """Text with JSON's escaped surrogate pairs (`"\\ud83d\\ude00"`, which YAML reads as two
        halves) as the one character they are; half a pair is no text."""
        value = super().construct_scalar(node)
        if not isinstance(value, str) or not any("\ud800" <= c <= "\udfff" for c in value):
            return value
        try:
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            raise yaml.constructor.ConstructorError(
                None, None, "half a surrogate pair (\\uD800-\\uDFFF) is no character", node.start_mark
            ) from None


def _timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A date-like value that is no real date (`2018-02-30`) stays text, for pydantic to name with its line."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


def _decimal(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A number with a point is an exact decimal; one Decimal cannot read (`.inf`, `.nan`) stays text."""
    value = loader.construct_scalar(node)
    try:
        exact = Decimal(value)
    except ArithmeticError:
        return value
    return exact if exact.is_finite() else value


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


def load_scenario(path: Path) -> LoadedScenario:
    """Read and validate a scenario file; raises ScenarioError naming every problem's line."""
    return parse_scenario(read_file(path), Source(str(path), path.parent))


def read_file(path: Path) -> str:
    """A scenario file's text; raises ScenarioError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read: {error}"
        raise ScenarioError([Located((), None, message, f"{path}: {message}")]) from None


def parse_scenario(text: str, source: Source) -> LoadedScenario:
    """A scenario's text (YAML; JSON is YAML too) read and validated."""
    data, located = read_document(text, source)
    return validated(data, located)


def read_document(text: str, source: Source) -> tuple[Any, Source]:
    """A scenario's text as data (decimals exact), and its source with the line of every place;
    raises ScenarioError for text that is no YAML, empty, or has a key twice."""
    try:
        node, data = _read(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else None
        raise _not_yaml(source, where, str(error.problem or error.context)) from None
    except yaml.reader.ReaderError as error:  # a character YAML does not allow (a control character)
        before = text[: error.position]
        where = (before.count("\n") + 1, error.position - before.rfind("\n"))
        raise _not_yaml(source, where, f"character #x{error.character:04x}: {error.reason}") from None
    if node is None:
        message = "the scenario file is empty"
        raise ScenarioError([Located((), None, message, f"{source.name}: {message}")])
    lines: dict[Place, int] = {}
    twice: list[Located] = []
    _walk(node, (), lines, twice, source.name)
    if twice:
        raise ScenarioError(twice)
    return data, Source(source.name, source.directory, lines)


def _read(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node (for its lines) and its data."""
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _not_yaml(source: Source, where: tuple[int, int] | None, problem: str) -> ScenarioError:
    message = f"not valid YAML: {problem}"
    line = f", line {where[0]}, column {where[1]}" if where else ""
    return ScenarioError(
        [Located((), where[0] if where else None, message, f"{source.name}{line}: {message}")]
    )


def validated(data: Any, source: Source) -> LoadedScenario:
    """A scenario's data (read from a file, or a form's JSON) as a Scenario; raises ScenarioError."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise source.error(problems(error, data)) from None
    return LoadedScenario(scenario, source)


def _walk(node: yaml.Node, path: Place, lines: dict[Place, int], twice: list[Located], name: str) -> None:
    """Record the line of every key and list item below `node`; a key given twice is a problem
    (YAML would silently keep the last one)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, key.value)
            line = key.start_mark.line + 1
            if here in lines:
                message = phrases.GIVEN_TWICE(line=lines[here])
                twice.append(
                    Located(here, line, message, f"{name}, line {line}, {location(here)}: {message}")
                )
                continue
            lines[here] = line
            _walk(value, here, lines, twice, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, twice, name)


def problems(error: ValidationError, data: Any) -> list[Problem]:
    """pydantic's errors as problems at places of the file (the `op` tag pydantic adds to a place is dropped)."""
    found = []
    for entry in error.errors(include_url=False):
        path = _place(data, entry["loc"])
        kind = entry["type"]
        if kind == "union_tag_invalid":
            path = (*path, "op")
            message = phrases.UNKNOWN_OPERATION(
                op=repr(entry["ctx"]["tag"]), operations=", ".join(OPERATIONS)
            )
        elif kind == "union_tag_not_found":
            message = phrases.NO_OPERATION(operations=", ".join(OPERATIONS))
        elif kind == "extra_forbidden":
            message = phrases.UNKNOWN_KEY(keys=", ".join(_keys(data, path[:-1])))
        elif kind == "too_short" and _items_failed(entry):
            continue  # the list was long enough: its items' own problems say what is wrong
        else:
            message = _found(_said(entry), entry.get("input"))
        found.append(Problem(path, message))
    return found


WORDS: dict[str, Phrase] = {
    "missing": phrases.MISSING,
    "model_type": phrases.A_MAPPING,
    "model_attributes_type": phrases.A_MAPPING,
    "tuple_type": phrases.A_LIST,
    "string_type": phrases.TEXT,
    "string_unicode": phrases.BROKEN_TEXT,
    "date_type": phrases.NOT_A_DATE,
    "int_type": phrases.WHOLE_NUMBER,
    "int_parsing": phrases.WHOLE_NUMBER,
    "finite_number": phrases.WHOLE_NUMBER,
    "int_from_float": phrases.NO_DECIMALS,
    "int_parsing_size": phrases.TOO_LARGE,
    "bool_type": phrases.TRUE_OR_FALSE,
    "bool_parsing": phrases.TRUE_OR_FALSE,
}
"""The words for a pydantic error type that needs no more than its type; `_said` words the others."""
WORDED = {
    *WORDS,
    *("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"),
    *("greater_than_equal", "less_than_equal", "enum", "string_pattern_mismatch", "too_short"),
    *("value_error", "union_tag_invalid", "union_tag_not_found", "extra_forbidden"),
}
"""Every pydantic error type a scenario is told of in our words (engine/faces/simulate/phrases.py)."""
PATTERNS = {MUNICIPALITY_PATTERN: phrases.MUNICIPALITY_CODE}
"""The words for a text that does not have a field's pattern, by the pattern."""
ISO_DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def _said(entry: ErrorDetails) -> str:
    """A pydantic error in our words, made from its type and context (never from pydantic's English,
    which is what a type without words here keeps): `value_error` is the scenario's own."""
    kind, context, value = entry["type"], entry.get("ctx", {}), entry.get("input")
    if value is None and kind.endswith("_type"):
        return phrases.EMPTY()
    if kind in WORDS:
        return WORDS[kind]()
    if kind in ("date_parsing", "date_from_datetime_parsing"):
        shaped = isinstance(value, str) and ISO_DAY.fullmatch(value)
        return phrases.NO_SUCH_DAY() if shaped else phrases.NOT_A_DATE()
    if kind == "date_from_datetime_inexact":  # a day with a time, or a number (taken for seconds)
        timed = isinstance(value, str | datetime)
        return phrases.A_TIME_OF_DAY() if timed else phrases.NOT_A_DATE()
    if kind == "greater_than_equal":
        return phrases.AT_LEAST(limit=context["ge"])
    if kind == "less_than_equal":
        return phrases.AT_MOST(limit=context["le"])
    if kind == "enum":  # `expected` is the codes quoted: "'a', 'b' or 'c'"
        return phrases.ONE_OF_THE_CODES(codes=", ".join(re.findall(r"'([^']*)'", context["expected"])))
    if kind == "string_pattern_mismatch" and context.get("pattern") in PATTERNS:
        return PATTERNS[context["pattern"]]()
    if kind == "too_short" and context.get("min_length") == 1:
        return phrases.NOT_EMPTY()
    if kind == "value_error" and isinstance(context.get("error"), cpr.CprError):
        return phrases.NO_BIRTH_DATE()
    return entry["msg"].removeprefix("Value error, ")


def _items_failed(entry: ErrorDetails) -> bool:
    """Whether a list too short after validation had enough items before (pydantic leaves out the
    items it could not validate, and names each)."""
    given, least = entry.get("input"), entry.get("ctx", {}).get("min_length", 0)
    return isinstance(given, list | tuple) and len(given) >= least


def _place(data: Any, loc: Sequence[str | int]) -> Place:
    """pydantic's location without the union tag it inserts after a change's index."""
    node, path = data, []
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("op") == part:
            continue
        path.append(part)
        inside = isinstance(node, dict) and part in node
        inside |= isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        node = node[part] if inside else None
    return tuple(path)


def _keys(data: Any, path: Place) -> list[str]:
    """The keys the mapping at `path` may have: a change's operation's, the forecast's or the scenario's."""
    model: type[BaseModel] = Scenario
    if path[:1] == ("forecast",):
        model = ForecastOptions
    elif path[:1] == ("changes",) and len(path) == 2:
        model = MODELS[data["changes"][path[1]]["op"]]
    return [info.alias or name for name, info in model.model_fields.items()]


def _found(problem: str, value: Any) -> str:
    """The problem, with the value found (a citizen id masked)."""
    if isinstance(value, dict | list | tuple) or value is None:
        return problem
    if isinstance(value, Decimal | date):  # as a file writes it (0.35, 2018-03-01), not as Python does
        return phrases.FOUND(problem=problem, value=str(value))
    shown = cpr.mask(value.strip()) if isinstance(value, str) else value
    return phrases.FOUND(problem=problem, value=repr(shown))
