"""The scenario's fields, described for a form builder: for the scenario itself, the forecast and each
operation, every key with its type, whether it is required, its default, its allowed values (with
their names in the chosen language) and a help text; for `set_parameter`, every parameter of the
programme's pack with its type and current value.

The keys, their requirement and defaults are read from the scenario's models (scenario.py), so the
description cannot drift from what is validated; this module adds the form's words. Types:
`text`, `municipality`, `programme`, `base` (`latest` or a run id), `date`, `count` (a whole number,
`all` or `N%`), `citizens` (a list of ids), `choice` (one of `choices`), `boolean`, `integer`,
`parameter` (a parameter's name) and `value` (of the parameter's type).
"""

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_jsonable_python

from engine.faces.i18n import ENGLISH, N_, Texts
from engine.faces.simulate.checks import code_list
from engine.faces.simulate.loading import MODELS
from engine.faces.simulate.scenario import EXIT_EVENTS, BaseRef, ForecastOptions, Scenario
from engine.faces.simulate.terms import terms_of
from engine.rules.pack import Pack, get_pack, programmes
from models.codes import Activity, Support

OPERATION_HELP: dict[str, tuple[str, str]] = {
    "visitate": (
        N_("Visitate"),
        N_("Members with no visitation on or before the date get one on the date, into the group."),
    ),
    "add_activity": (
        N_("Add an activity"),
        N_(
            "Effort-group members of the month of its first day with no counting activity in that "
            "month get the activity."
        ),
    ),
    "end_activity": (
        N_("End activities"),
        N_(
            "Members with a counting activity (or the activity chosen) running on the date and after it: it ends on the date."
        ),
    ),
    "move_group": (
        N_("Move to another group"),
        N_(
            "Visitated members whose group on the date is another (or the group chosen) are visitated into the group on the date."
        ),
    ),
    "exit": (
        N_("Exit"),
        N_(
            "Members active on the date leave from the date: they die, move out, or change to the support chosen."
        ),
    ),
    "set_parameter": (
        N_("Change a parameter (a reform)"),
        N_("The rule pack's parameter has the value for the whole evaluation."),
    ),
}

FIELD_HELP: dict[str, str] = {
    "title": N_("A title for the scenario, shown in every output."),
    "municipality": N_("The municipality's three-digit code."),
    "programme": N_("The programme (rule pack)."),
    "base": N_("The data to start from: the latest finished run's, or a run's by its id."),
    "as_of": N_("Baseline and scenario are evaluated as of this day (default: the base run's as-of date)."),
    "changes": N_("The changes, applied in this order."),
    "forecast": N_("Project the current pace instead of giving changes."),
    "from@forecast": N_(
        "The day the pace is measured on and projected from (default: the base run's as-of date)."
    ),
    "window_weeks": N_("Weeks of visitations the pace is measured over."),
    "trend_months": N_("Months the trend of the activity share is drawn through."),
    "count": N_(
        "How many of the members it applies to: a number, all, or a percentage such as 25% (the "
        "first in ascending citizen id order)."
    ),
    "citizens": N_("Or name the citizens instead: CPR numbers or pseudonyms."),
    "date": N_("The day it happens, inside the project period."),
    "group": N_("The group they are visitated into."),
    "only_active": N_("Only members active on the date (otherwise every member without a visitation)."),
    "activity": N_("The activity."),
    "activity@end_activity": N_("Only this activity (otherwise every counting activity)."),
    "from": N_("The activity's first day."),
    "days": N_("How many days the activity lasts."),
    "to": N_("Or the activity's last day instead."),
    "from_group": N_("Only members in this group on the date (otherwise any other group)."),
    "reason": N_("Why they leave: death, moving out, no support recorded, or the support they change to."),
    "name": N_("The parameter to change."),
    "value": N_("Its new value, of the parameter's type."),
}

KINDS: dict[str, str] = {
    "title": "text",
    "municipality": "municipality",
    "programme": "programme",
    "base": "base",
    "as_of": "date",
    "changes": "changes",
    "forecast": "forecast",
    "window_weeks": "integer",
    "trend_months": "integer",
    "count": "count",
    "citizens": "citizens",
    "date": "date",
    "from": "date",
    "to": "date",
    "days": "integer",
    "only_active": "boolean",
    "group": "choice",
    "from_group": "choice",
    "activity": "choice",
    "reason": "choice",
    "name": "parameter",
    "value": "value",
    "op": "op",
}

ONE_OF: dict[str, tuple[tuple[str, ...], ...]] = {
    "visitate": (("count", "citizens"),),
    "add_activity": (("count", "citizens"), ("days", "to")),
    "end_activity": (("count", "citizens"),),
    "move_group": (("count", "citizens"),),
    "exit": (("count", "citizens"),),
    "set_parameter": (),
}
"""Keys of which exactly one must be given."""


def scenario_fields(
    programme: str, *, t: Texts = ENGLISH, municipalities: Collection[str] | None = None
) -> dict[str, Any]:
    """Every field of a scenario of `programme`, for a form (ValueError names the programmes known).
    `municipalities`: the codes the caller may choose (they become the municipality's choices)."""
    terms, pack = terms_of(programme), get_pack(programme)
    choices = _choices(programme, pack, t, municipalities)
    return {
        "programme": programme,
        "scenario": _fields(Scenario, "", choices, t),
        "forecast": _fields(ForecastOptions, "forecast", choices, t),
        "operations": [
            {
                "op": op,
                "label": t._(OPERATION_HELP[op][0]),
                "help": t._(OPERATION_HELP[op][1]),
                "fields": _fields(model, op, choices, t),
                "one_of": [list(keys) for keys in ONE_OF[op]],
            }
            for op, model in MODELS.items()
        ],
        "parameters": [_parameter(pack, name, t) for name in sorted(pack.parameters)],
        "groups": sorted(terms.groups),
    }


def _fields(
    model: type[BaseModel], where: str, choices: Mapping[str, list[dict[str, Any]]], t: Texts
) -> list[dict[str, Any]]:
    found = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key == "op":
            continue
        one_of = any(key in keys for keys in ONE_OF.get(where, ()))
        default = None if info.default is PydanticUndefined else to_jsonable_python(info.default)
        if isinstance(info.default, BaseRef):
            default = str(info.default)  # `latest`, as a scenario file writes it
        help_key = f"{key}@{where}" if f"{key}@{where}" in FIELD_HELP else key
        found.append(
            {
                "name": key,
                "type": KINDS[key],
                "required": info.is_required() and not one_of,
                "default": default,
                "choices": choices.get(f"{key}@{where}", choices.get(key)),
                "help": t._(FIELD_HELP[help_key]),
            }
        )
    return found


def _choices(
    programme: str, pack: Pack, t: Texts, municipalities: Collection[str] | None
) -> dict[str, list[dict[str, Any]]]:
    terms = terms_of(programme)
    params = {name: parameter.values[-1].value for name, parameter in pack.parameters.items()}
    counting = terms.counting(params)
    groups = [{"value": g, "label": t.group(programme, g)} for g in sorted(terms.groups)]
    reasons = [code for code in (*EXIT_EVENTS, *Support) if terms.no_exit(str(code), params) is None]
    activities = [
        {"value": str(code), "label": t.code("activity", str(code)), "counts": code in counting}
        for code in Activity
    ]
    found: dict[str, list[dict[str, Any]]] = {
        "programme": [{"value": p, "label": t.programme(p)} for p in programmes()],
        "group": groups,
        "from_group": groups,
        "activity": activities,
        "reason": [{"value": str(code), "label": t.code("exit", str(code))} for code in reasons],
        "name": [
            {"value": name, "label": t._(pack.parameters[name].label)} for name in sorted(pack.parameters)
        ],
    }
    if municipalities is not None:
        found["municipality"] = [
            {"value": code, "label": t.municipality(code)} for code in sorted(municipalities)
        ]
    return found


def _parameter(pack: Pack, name: str, t: Texts) -> dict[str, Any]:
    parameter = pack.parameters[name]
    current = parameter.values[-1].value
    codes = (
        code_list(current if isinstance(current, list) else [current])
        if parameter.type in ("code", "codes")
        else None
    )
    return {
        "name": name,
        "type": parameter.type,
        "label": t._(parameter.label),
        "current": to_jsonable_python(current),
        "choices": [str(code) for code in codes] if codes else None,
    }
