"""A simulation as a page shows it (the builder's result, the forecast): baseline and scenario side by
side — rates and money, months — the monthly share against the thresholds as a chart with its data
as a table, the decisions that differ with the change that made each differ, the changes and whom
they changed, and the warnings; the tables of engine/faces/simulate/tables.py, in the reader's
language, citizens masked unless the role allows."""

from typing import Any

from engine.faces.i18n import Texts
from engine.faces.simulate.chart import chart, title
from engine.faces.simulate.simulation import Simulation
from engine.faces.simulate.tables import changes, differences, months, rates
from engine.faces.users import User
from engine.faces.web.pages import inline_svg

SHOWN = 100
"""Differences a page lists (the Excel file has every one)."""


def result_of(simulation: Simulation, user: User, t: Texts) -> dict[str, Any]:
    full = user.may("full_cpr")
    heading = title(simulation, t)
    return {
        "title": heading,
        "as_of": simulation.as_of,
        "base": simulation.base.origin,
        "rates": rates(simulation, t),
        "money": simulation.payouts[-1],
        "months": months(simulation, t),
        "svg": inline_svg(chart(simulation, "svg", t), heading) if simulation.result.status.months else None,
        "differences": differences(simulation, full_cpr=full, t=t),
        "changes": changes(simulation, full_cpr=full, t=t),
        "outlook": simulation.outlook(t),
        "warnings": list(simulation.warnings),
        "shown": SHOWN,
    }
