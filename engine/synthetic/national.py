"""A national FSM1 delivery with the diversity of real data (`../shared/BENCHMARK_DATA.md`), for
benchmarks: 98 municipalities, a decade of timeline per citizen — chains of support periods of
random length and code with a break in about one transition in five, a switch of match category,
integration programmes, moves, deaths, and visitations and activities during the project — so that
break lengths, window coverage and codes on the cut-off date vary as widely as they do nationally
(~19 % of citizens are members; ~10 rows per citizen).

Citizens are written to the CSV files as they are made, never held together: memory stays flat
whatever the population. Citizen `i` is the same for the same seed however many are made, so a
second delivery with a few citizens `changed` (the benchmark's second night) differs from the first
in exactly those citizens.
"""

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from engine.synthetic import DELIVERY_COLUMNS
from models.municipalities import names

PROJECT_START, PROJECT_END = date(2017, 8, 1), date(2019, 7, 31)
APPROVED_FROM, APPROVED_TO = date(2017, 5, 1), date(2017, 7, 31)
BIRTHS_FROM, BIRTHS_TO = date(1955, 1, 1), date(1994, 12, 31)
TIMELINE_END = date(2020, 12, 31)
CASH = ("kontanthjaelp", "uddannelseshjaelp", "integrationsydelse")
OTHER_SUPPORT = (
    ("sygedagpenge", 5),
    ("dagpenge", 5),
    ("ressourceforloeb", 4),
    ("jobafklaring", 2),
    ("revalidering", 1),
    ("ledighedsydelse", 1),
    ("fleksjob", 2),
    ("foertidspension", 2),
    ("folkepension", 1),
    ("selvforsoergende", 5),
    ("ikke_berettiget", 1),
)
STAY_IN_CASH = 0.62
"""The chance that a period in the cash-benefit system is followed by another one in it."""
COUNTED = ("virksomhedspraktik", "loentilskud", "ordinaere_timer", "fleksjob", "ordinaer_uddannelse")
NOT_COUNTED = ("vejledning", "mentor", "opkvalificering")
GROUPS = ("1", "1", "2", "3", "udskudt")


@dataclass(frozen=True)
class Written:
    citizens: int
    rows: int
    """Data rows of every file (headers not counted)."""


def municipality_codes(count: int = 98) -> list[str]:
    """The first `count` of the 98 official codes, spread over the list (all 98 by default)."""
    codes = list(names())
    step = len(codes) / count
    return [codes[int(i * step)] for i in range(count)]


def citizen_id(index: int) -> str:
    """A made-up CPR number, unique per index: the birth day runs through 1955–1994 in a scattered
    order, the serial counts how often it came round (7th digit 0–3: born in the 1900s)."""
    span = (BIRTHS_TO - BIRTHS_FROM).days + 1
    born = BIRTHS_FROM + timedelta(days=index * 7919 % span)
    return f"{born:%d%m%y}-{index // span:04d}"


class _Citizen:
    """One citizen's rows, drawn from a generator of their own."""

    def __init__(self, index: int, municipality: str, codes: list[str], seed: int, changed: bool) -> None:
        self.rng = random.Random(f"{seed}:{index}")
        self.id = citizen_id(index)
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in DELIVERY_COLUMNS}
        died = self.day(date(2012, 1, 1), date(2020, 12, 31)) if self.rng.random() < 0.01 else None
        self.rows["citizens.csv"].append((self.id, "", died or ""))
        start = self.day(date(2005, 1, 1), date(2011, 12, 31))
        self._residence(municipality, codes)
        self._support(start)
        self._match(start)
        if self.rng.random() < 0.10:
            first = self.day(date(2004, 1, 1), date(2011, 12, 31))
            self.rows["programmes.csv"].append(
                ("integrationsprogram", first, first + timedelta(days=3 * 365))
            )
        if self.rng.random() < 0.30:
            self._project(random.Random(f"{seed}:{index}:changed") if changed else self.rng)
        elif changed:
            self._project(random.Random(f"{seed}:{index}:changed"), share=1.0)

    def day(self, first: date, last: date, rng: random.Random | None = None) -> date:
        return first + timedelta(days=(rng or self.rng).randint(0, (last - first).days))

    def _residence(self, municipality: str, codes: list[str]) -> None:
        rows = self.rows["residence.csv"]
        if self.rng.random() < 0.05:
            moved = self.day(date(2010, 1, 1), date(2018, 12, 31))
            elsewhere = self.rng.choice([c for c in codes if c != municipality] or codes)
            rows.append((municipality, date(2000, 1, 1), moved - timedelta(days=1)))
            rows.append((elsewhere, moved, ""))
        else:
            rows.append((municipality, date(2000, 1, 1), ""))

    def _code(self, previous: str | None) -> str:
        if previous in CASH and self.rng.random() < STAY_IN_CASH or previous is None:
            return self.rng.choice(CASH)
        if self.rng.random() < 0.3:
            return self.rng.choice(CASH)
        codes, weights = zip(*OTHER_SUPPORT, strict=True)
        return self.rng.choices(codes, weights)[0]

    def _support(self, start: date) -> None:
        rows, code = self.rows["support.csv"], None
        while start <= TIMELINE_END:
            code = self._code(code)
            end = start + timedelta(days=self.rng.randint(60, 2000))
            if end >= TIMELINE_END:
                rows.append((code, start, ""))
                return
            rows.append((code, start, end))
            start = end + timedelta(days=1 + (self.rng.randint(1, 60) if self.rng.random() < 0.2 else 0))

    def _match(self, start: date) -> None:
        rows = self.rows["match.csv"]
        switch = self.day(date(2008, 1, 1), date(2019, 12, 31))
        if self.rng.random() < 0.8 and switch > start:
            rows.append(("jobparat", start, switch - timedelta(days=1)))
            rows.append(("aktivitetsparat", switch, ""))
        else:
            rows.append(("jobparat", start, ""))

    def _project(self, rng: random.Random, share: float = 1.0) -> None:
        """A visitation in the project's first 500 days, then activities with gaps until its end."""
        visited = self.day(PROJECT_START, PROJECT_START + timedelta(days=499), rng)
        self.rows["visitations.csv"].append(("fsm1", visited, rng.choice(GROUPS)))
        day = visited + timedelta(days=rng.randint(0, 60))
        while day <= PROJECT_END and rng.random() < share:
            codes = COUNTED if rng.random() < 0.6 else NOT_COUNTED
            end = min(day + timedelta(days=rng.randint(5, 90)), PROJECT_END)
            self.rows["activities.csv"].append((rng.choice(codes), day, end))
            day = end + timedelta(days=rng.randint(1, 150))


def grants(codes: list[str], seed: int) -> Iterator[tuple[object, ...]]:
    rng = random.Random(f"{seed}:grants")
    for code in codes:
        amount = Decimal(rng.randint(50_000_000, 1_200_000_000)) / 100
        approved = APPROVED_FROM + timedelta(days=rng.randint(0, (APPROVED_TO - APPROVED_FROM).days))
        yield (code, "fsm1", f"{amount:.2f}", approved, PROJECT_START, PROJECT_END)


def write_national(
    folder: Path,
    citizens: int = 100_000,
    *,
    municipalities: int = 98,
    seed: int = 1,
    changed: frozenset[int] = frozenset(),
    only: frozenset[int] | None = None,
) -> Written:
    """Write a national delivery to `folder`: citizens 0 … `citizens`-1 spread evenly over the
    municipalities (or only the indexes in `only`); the indexes in `changed` differ in their project
    (another visitation and other activities, or some where they had none)."""
    folder.mkdir(parents=True, exist_ok=True)
    codes = municipality_codes(municipalities)
    handles = {name: (folder / name).open("w", newline="", encoding="utf-8") for name in DELIVERY_COLUMNS}
    rows = 0
    try:
        writers = {name: csv.writer(handle) for name, handle in handles.items()}
        for name, columns in DELIVERY_COLUMNS.items():
            writers[name].writerow(columns)
        for row in grants(codes, seed):
            writers["grants.csv"].writerow(row)
            rows += 1
        listed = range(citizens) if only is None else sorted(only)
        for index in listed:
            one = _Citizen(index, codes[index % len(codes)], codes, seed, index in changed)
            for name, found in one.rows.items():
                if found:
                    first = () if name == "citizens.csv" else (one.id,)
                    writers[name].writerows((*first, *row) for row in found)
                    rows += len(found)
    finally:
        for handle in handles.values():
            handle.close()
    return Written(len(listed), rows)


def changed_citizens(citizens: int, share: float = 0.01, seed: int = 1) -> frozenset[int]:
    """Which citizens a second delivery changes: `share` of them, the same for the same seed."""
    rng = random.Random(f"{seed}:changed")
    return frozenset(rng.sample(range(citizens), round(citizens * share)))
