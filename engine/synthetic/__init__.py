"""Synthetic, deterministic municipalities for the demos, the tests and the benchmark, and a writer
that turns them into a data delivery (SPEC section 3): `aalborg` (FSM1, seed 002's figures) and
`herning` (FSM2, seed 003's grant). CPR numbers are made up, with 7th digits chosen so that the
century rule gives the intended birth year.
"""

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from models.domain import CitizenTimeline, Grant, GrantYear


@dataclass(frozen=True)
class Municipality:
    code: str
    grant: Grant
    citizens: list[CitizenTimeline]
    grant_years: tuple[GrantYear, ...] = ()


def scaled(counts: dict[str, int], total: int) -> dict[str, int]:
    """Counts in the same proportions adding up to `total` (largest remainders)."""
    whole = sum(counts.values())
    exact = {k: v * total / whole for k, v in counts.items()}
    result = {k: int(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - result[k], reverse=True)[: total - sum(result.values())]:
        result[k] += 1
    return result


class Maker:
    """Random days and unique made-up CPR numbers, the same every time for the same code and seed."""

    def __init__(self, code: str, seed: int, taken: set[str]) -> None:
        self.code = code
        self.rng = random.Random(f"{code}:{seed}")
        self.taken = taken

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def cpr(self, born: date | None = None) -> str:
        """A made-up CPR number of someone born on `born` (default: some day of 1955–1990), unique
        among `taken`; the 7th digit (0–3) puts the birth in the 1900s."""
        while True:
            day = born or self.day(date(1955, 1, 1), date(1990, 12, 31))
            number = f"{day:%d%m%y}-{self.rng.randint(0, 3)}{self.rng.randint(0, 999):03d}"
            if number not in self.taken:
                self.taken.add(number)
                return number


DELIVERY_COLUMNS = {
    "citizens.csv": ("citizen_id", "birth_date", "death_date"),
    "residence.csv": ("citizen_id", "municipality", "from", "to"),
    "support.csv": ("citizen_id", "support", "from", "to"),
    "match.csv": ("citizen_id", "category", "from", "to"),
    "programmes.csv": ("citizen_id", "programme", "from", "to"),
    "visitations.csv": ("citizen_id", "programme", "date", "group"),
    "activities.csv": ("citizen_id", "activity", "from", "to"),
    "exemptions.csv": ("citizen_id", "marking", "from", "to"),
    "grants.csv": ("municipality", "programme", "amount", "approved_on", "project_start", "project_end"),
    "grant_years.csv": ("municipality", "programme", "year", "amount"),
}
TIMELINE_FILES = {
    "residence.csv": "residence",
    "support.csv": "support",
    "match.csv": "match",
    "programmes.csv": "programmes",
    "visitations.csv": "visitations",
    "activities.csv": "activities",
    "exemptions.csv": "exemptions",
}


def write_delivery(directory: Path, municipalities: Iterable[Municipality]) -> int:
    """Write municipalities as one data delivery (SPEC section 3); returns the number of citizens."""
    directory.mkdir(parents=True, exist_ok=True)
    handles = {name: (directory / name).open("w", newline="", encoding="utf-8") for name in DELIVERY_COLUMNS}
    try:
        writers = {name: csv.writer(handle) for name, handle in handles.items()}
        for name, columns in DELIVERY_COLUMNS.items():
            writers[name].writerow(columns)
        seen: set[str] = set()
        for place in municipalities:
            grant = place.grant
            writers["grants.csv"].writerow(
                (
                    grant.municipality,
                    grant.programme.value,
                    f"{grant.amount:.2f}",
                    grant.approved_on,
                    grant.project_start,
                    grant.project_end,
                )
            )
            for year in place.grant_years:
                writers["grant_years.csv"].writerow(
                    (year.municipality, year.programme.value, year.year, f"{year.amount:.2f}")
                )
            for citizen in place.citizens:
                if citizen.citizen_id in seen:
                    continue
                seen.add(citizen.citizen_id)
                writers["citizens.csv"].writerow(
                    (citizen.citizen_id, _cell(citizen.birth_date), _cell(citizen.death_date))
                )
                for name, field in TIMELINE_FILES.items():
                    columns = DELIVERY_COLUMNS[name][1:]
                    for record in getattr(citizen, field):
                        row = record.model_dump(by_alias=True, mode="json")
                        writers[name].writerow((citizen.citizen_id, *(_cell(row[c]) for c in columns)))
    finally:
        for handle in handles.values():
            handle.close()
    return len(seen)


def _cell(value: object) -> str:
    return "" if value is None else str(value)
