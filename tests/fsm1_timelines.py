"""Shared builders for the FSM1 membership tests: compact timelines a domain expert can read.

A compact period is a list `[code, from, to]` (`to` None = open-ended); residence rows are
`[municipality, from, to]`. `timeline()` starts from a citizen who is plainly in the target group of
Aalborg (851) at the default cut-off date 2016-12-31, and each keyword replaces one field.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from models.domain import CitizenTimeline

TESTS = Path(__file__).parent
SCENARIOS = TESTS / "scenarios"
AALBORG = "851"
CUTOFF = date(2016, 12, 31)
WINDOW_FIRST = date(2011, 12, 31)
MEMBERSHIP_RULES = (
    "fsm1.resident",
    "fsm1.alive",
    "fsm1.cash_benefit_now",
    "fsm1.activity_ready",
    "fsm1.five_years_on_support",
    "fsm1.after_integration_programme",
)

Compact = Sequence[Any]

MEMBER: dict[str, Any] = {
    "citizen_id": "fsm-test-citizen",
    "birth_date": date(1975, 6, 15),
    "death_date": None,
    "residence": [[AALBORG, date(2000, 1, 1), None]],
    "support": [["kontanthjaelp", date(2010, 1, 1), None]],
    "match": [["aktivitetsparat", date(2010, 1, 1), None]],
    "programmes": [],
}


def _periods(rows: Iterable[Compact], key: str) -> list[dict[str, Any]]:
    return [{key: code, "from": start, "to": end} for code, start, end in rows]


def timeline(**changes: Any) -> CitizenTimeline:
    """The member above with `changes` (citizen_id, birth_date, death_date, residence, support, match,
    programmes) replacing its fields."""
    unknown = set(changes) - set(MEMBER)
    if unknown:
        raise TypeError(f"unknown timeline fields: {sorted(unknown)}")
    spec = {**MEMBER, **changes}
    return CitizenTimeline.model_validate(
        {
            "citizen_id": spec["citizen_id"],
            "birth_date": spec["birth_date"],
            "death_date": spec["death_date"],
            "residence": _periods(spec["residence"], "municipality"),
            "support": _periods(spec["support"], "support"),
            "match": _periods(spec["match"], "category"),
            "programmes": _periods(spec["programmes"], "programme"),
        }
    )


def load_scenarios(path: Path) -> list[dict[str, Any]]:
    """One scenario file: a YAML list of {name, timeline, municipality, overrides, member, failed_rules}."""
    scenarios = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(scenarios, list) or not scenarios:
        raise ValueError(f"{path}: a scenario file is a non-empty list")
    return scenarios


def scenario_files() -> list[Path]:
    return sorted(SCENARIOS.glob("fsm1.*.yaml"))
