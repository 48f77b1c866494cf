"""Checks of a scenario against its base data and rule pack, before anything is evaluated: every
change's date inside the project period, groups of the programme, citizens of the base data, and
a reform's parameter name and value (of the parameter's type: decimals exact, never floats)."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from engine.faces.simulate import phrases
from engine.faces.simulate.loading import Problem
from engine.faces.simulate.scenario import Change, SetParameter, change_day
from engine.faces.simulate.terms import Terms
from engine.rules.pack import Pack
from models import cpr
from models.codes import Activity, MatchCategory, Programme, Support
from models.domain import Grant

CODE_LISTS: tuple[type[StrEnum], ...] = (Support, Activity, MatchCategory, Programme)


def check_changes(
    changes: Sequence[Change], pack: Pack, terms: Terms, grant: Grant, citizens: set[str], as_of: date
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about the changes, each at its place in the scenario."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    project = grant.project
    for index, change in enumerate(changes):
        here = ("changes", index)
        if isinstance(change, SetParameter):
            try:
                parameter_value(pack, change.name, change.value)
            except Problem as problem:
                errors.append(Problem((*here, *problem.path), problem.message))
            continue
        key, day = change_day(change)
        if not project.first <= day <= project.last:
            errors.append(
                Problem(
                    (*here, key), phrases.OUTSIDE_THE_PROJECT(day=day, first=project.first, last=project.last)
                )
            )
        elif day > as_of:
            warnings.append(Problem((*here, key), phrases.AFTER_THE_AS_OF_DATE(day=day, as_of=as_of)))
        for name in ("group", "from_group"):
            group = getattr(change, name, None)
            if group is not None and group not in terms.groups:
                errors.append(
                    Problem(
                        (*here, name),
                        phrases.NOT_A_GROUP(
                            group=repr(group),
                            programme=pack.programme,
                            groups=", ".join(sorted(terms.groups)),
                        ),
                    )
                )
        for position, citizen in enumerate(change.citizens or ()):
            if citizen not in citizens:
                errors.append(
                    Problem(
                        (*here, "citizens", position),
                        phrases.NOT_A_CITIZEN(citizen=cpr.mask(citizen), municipality=grant.municipality),
                    )
                )
    return errors, warnings


def parameter_value(pack: Pack, name: str, value: Any) -> Any:
    """`value` as a value of the pack's parameter `name`; raises Problem at `name` or `value`."""
    if name not in pack.parameters:
        known = ", ".join(sorted(pack.parameters))
        raise Problem(
            ("name",), phrases.NO_SUCH_PARAMETER(programme=pack.programme, name=repr(name), known=known)
        )
    parameter = pack.parameters[name]
    kind = parameter.type
    current = parameter.values[-1].value
    if kind == "decimal" and isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        try:
            exact = Decimal(value)
        except ArithmeticError:
            exact = Decimal("NaN")
        if exact.is_finite():
            return exact
    elif (kind, type(value)) in (("integer", int), ("date", date)):
        return value
    elif kind == "date" and isinstance(value, str):  # a date in JSON is text
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif kind == "code" and isinstance(value, str):
        return _codes([value], [current], name)[0]
    elif kind == "codes" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _codes(value, current, name)
    elif kind == "mapping" and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    example = phrases.EXAMPLES[kind]()
    raise Problem(
        ("value",), phrases.NOT_OF_ITS_TYPE(name=name, kind=kind, example=example, value=repr(value))
    )


def code_list(current: list[str]) -> type[StrEnum] | None:
    """The code list of SPEC's that a code parameter's current value is of (None: none is)."""
    return next((codes for codes in CODE_LISTS if set(current) <= set(codes)), None)


def _codes(values: list[str], current: list[str], name: str) -> list[str]:
    """Codes of the same code list as the parameter's current value (when it is one of SPEC's lists)."""
    codes = code_list(current)
    if codes is not None:
        unknown = [v for v in values if v not in set(codes)]
        if unknown:
            raise Problem(
                ("value",),
                phrases.NOT_A_CODE(
                    unknown=", ".join(unknown), name=name, codes=", ".join(c.value for c in codes)
                ),
            )
    return values
