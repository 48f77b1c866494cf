"""Shared builders for the FSM2 tests: a citizen who is plainly in Herning's (657) FSM2 target group
throughout the project (kontanthjælp, aktivitetsparat, 40 years old, visitated to `indsats`), and a
grant like seed 003's. Compact periods are `[code, from, to]` (`to` None = open-ended)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from models.domain import CitizenTimeline, Grant, GrantYear

HERNING = "657"
PROJECT_START, PROJECT_END = date(2019, 12, 1), date(2021, 12, 31)
GRANT = Grant(
    municipality=HERNING,
    programme="fsm2",
    amount=Decimal("2235074.00"),
    approved_on=date(2019, 11, 29),
    project_start=PROJECT_START,
    project_end=PROJECT_END,
)
GRANT_YEARS = [
    GrantYear(municipality=HERNING, programme="fsm2", year=year, amount=Decimal(amount))
    for year, amount in ((2019, "631215.00"), (2020, "858805.00"), (2021, "745053.00"))
]

PARTICIPANT: dict[str, Any] = {
    "citizen_id": "fsm2-test-citizen",
    "birth_date": date(1980, 6, 15),
    "death_date": None,
    "residence": [[HERNING, date(2000, 1, 1), None]],
    "support": [["kontanthjaelp", date(2015, 1, 1), None]],
    "match": [["aktivitetsparat", date(2015, 1, 1), None]],
    "programmes": [],
    "visitations": [["indsats", date(2019, 12, 10)]],
    "activities": [],
    "exemptions": [],
}
KEYS = {
    "residence": "municipality",
    "support": "support",
    "match": "category",
    "programmes": "programme",
    "activities": "activity",
    "exemptions": "marking",
}


def _periods(rows: Iterable[Any], key: str) -> list[dict[str, Any]]:
    return [{key: code, "from": start, "to": end} for code, start, end in rows]


def participant(**changes: Any) -> CitizenTimeline:
    """The participant above with `changes` replacing its fields (visitations as `[group, date]`)."""
    unknown = set(changes) - set(PARTICIPANT)
    if unknown:
        raise TypeError(f"unknown timeline fields: {sorted(unknown)}")
    spec = {**PARTICIPANT, **changes}
    return CitizenTimeline.model_validate(
        {
            "citizen_id": spec["citizen_id"],
            "birth_date": spec["birth_date"],
            "death_date": spec["death_date"],
            **{field: _periods(spec[field], key) for field, key in KEYS.items()},
            "visitations": [{"programme": "fsm2", "date": day, "group": g} for g, day in spec["visitations"]],
        }
    )
