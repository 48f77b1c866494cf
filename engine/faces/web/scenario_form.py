"""The scenario builder's form (plain HTML, no script) and the scenario document it stands for: a row
of fields per change, named `<index>-<key>` with the row's operation in `<index>-op`, described by
engine/faces/simulate/fields.py. A field left empty is left out (its default applies); a count or
whole number is sent as a number when it is one and as the text given otherwise (`all`, `25%`, or
something the checks refuse by name), a list of citizens or codes as the items between commas.

The form is filled back from a document (a saved scenario, an uploaded file) the same way round, and
each problem of the checks (api.problem_json) is shown beside the field it names."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.faces.i18n import N_
from models import cpr

ROW = re.compile(r"^c(\d{1,3})-op$")
MAX_ROWS = 200
LABELS = {
    "title": N_("title"),
    "base": N_("base data"),
    "as_of": N_("as of"),
    "count": N_("how many"),
    "citizens": N_("citizens"),
    "date": N_("date"),
    "group": N_("group"),
    "only_active": N_("only active members"),
    "activity": N_("activity"),
    "from": N_("first day"),
    "days": N_("days"),
    "to": N_("last day"),
    "from_group": N_("from the group"),
    "reason": N_("reason"),
    "name": N_("parameter"),
    "value": N_("value"),
}
"""A field's label (its help text, engine/faces/simulate/fields.py, says more)."""


@dataclass
class Row:
    """A change as the form shows it: its operation, each field's text, its problems by field."""

    op: str
    values: dict[str, str]
    problems: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    """The row's problems that name no field of the form (the operation itself, say)."""


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _items(text: str) -> list[str]:
    return [item for item in re.split(r"[\s,;]+", text) if item]


def change_of(
    op: str, values: Mapping[str, str], kinds: Mapping[str, str], codes: set[str]
) -> dict[str, Any]:
    """A change's document from a row's texts (`kinds`: the operation's fields' types; `codes`: the
    parameters whose value is a list of codes)."""
    change: dict[str, Any] = {"op": op}
    for name, kind in kinds.items():
        text = values.get(name, "").strip()
        if kind == "boolean":
            if text:
                change[name] = text == "true"
        elif not text:
            continue
        elif kind in ("count", "integer"):
            change[name] = _number(text)
        elif kind == "citizens" or kind == "value" and values.get("name") in codes:
            change[name] = _items(text)
        else:
            change[name] = text
    return change


def rows_of(form: Mapping[str, str]) -> list[Row]:
    """The change rows a form sent, in the order of their indexes (at most MAX_ROWS)."""
    indexes = sorted(int(m.group(1)) for key in form if (m := ROW.match(key)))[:MAX_ROWS]
    rows = []
    for index in indexes:
        prefix = f"c{index}-"
        values = {k[len(prefix) :]: v for k, v in form.items() if k.startswith(prefix) and k != f"{prefix}op"}
        rows.append(Row(form[f"{prefix}op"], values))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def rows_from(document: Mapping[str, Any], *, full_cpr: bool) -> list[Row]:
    """The rows of a document's changes (citizens masked unless `full_cpr`)."""
    changes = document.get("changes")
    rows = []
    for change in changes if isinstance(changes, list) else []:
        if not isinstance(change, Mapping):
            continue
        values = {str(k): _text(v) for k, v in change.items() if k != "op"}
        if not full_cpr and isinstance(change.get("citizens"), list):
            values["citizens"] = _text([cpr.shown(str(c), full=False) for c in change["citizens"]])
        rows.append(Row(str(change.get("op", "")), values))
    return rows


def unmasked(change: dict[str, Any], saved: Mapping[str, Any] | None) -> dict[str, Any]:
    """A change whose masked citizens (shown so from a saved scenario) are the saved ones again."""
    citizens = change.get("citizens")
    if not isinstance(citizens, list) or saved is None or not isinstance(saved.get("citizens"), list):
        return change
    known = {cpr.shown(str(c), full=False): str(c) for c in saved["citizens"]}
    return {**change, "citizens": [known.get(c, c) for c in citizens]}


def placed(
    rows: list[Row], problems: list[dict[str, Any]], fields_of: Mapping[str, set[str]]
) -> dict[str, list[str]]:
    """Each problem beside its row's field (or as the row's); the scenario's own by their field
    (`title`, `base`, `as_of`; "" for one naming no field)."""
    scenario: dict[str, list[str]] = {}
    for problem in problems:
        index, name, message = problem.get("change"), problem.get("field"), problem["message"]
        if index is None or not 0 <= index < len(rows):
            scenario.setdefault(name or "", []).append(message)
            continue
        row = rows[index]
        if name in fields_of.get(row.op, set()):
            row.problems.setdefault(name, []).append(message)
        else:
            row.general.append(message if name in (None, "op") else f"{name}: {message}")
    return scenario
