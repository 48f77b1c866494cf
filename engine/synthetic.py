"""Synthetic, deterministic municipalities for the demo and the benchmark.

The shape follows seed 002 (Aalborg, status on 2 March 2018): 1,220 members fixed in December 2016;
251 no longer on cash benefits (by exit reason, as in the seed's table); 969 active, visitated
473 / 293 / 143 / 50 (udskudt) with 10 still missing; plus citizens who are not members (a break of
more than four weeks, jobparat, an integration programme in the window, moved in after the cut-off).
Other municipalities are the same shape scaled to their size. CPR numbers are made up, with
7th digits chosen so that the century rule gives the intended birth year.
"""

import csv
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from models.domain import CitizenTimeline, Grant

AALBORG_EXITS = {
    "arbejde_uddannelse": 22,
    "ikke_berettiget": 7,
    "doed": 8,
    "folkepension": 13,
    "fraflyttet": 16,
    "foertidspension": 75,
    "fleksjob_ledighedsydelse": 29,
    "ressourceforloeb": 75,
    "revalidering": 6,
}
AALBORG_GROUPS = {"1": 473, "2": 293, "3": 143, "udskudt": 50, "mangler": 10}
AALBORG_MEMBERS = 1220
EXIT_SUPPORT = {
    "arbejde_uddannelse": "selvforsoergende",
    "ikke_berettiget": "ikke_berettiget",
    "folkepension": "folkepension",
    "foertidspension": "foertidspension",
    "fleksjob_ledighedsydelse": "fleksjob",
    "ressourceforloeb": "ressourceforloeb",
    "revalidering": "revalidering",
}
NON_MEMBER_KINDS = ("long_break", "jobparat", "integration_programme", "moved_in_later")
STATUS_DAY = date(2018, 3, 2)
PROJECT = (date(2017, 8, 1), date(2019, 8, 31))


@dataclass(frozen=True)
class Municipality:
    code: str
    grant: Grant
    citizens: list[CitizenTimeline]


def _scaled(counts: dict[str, int], total: int) -> dict[str, int]:
    """Counts in the same proportions adding up to `total` (largest remainders)."""
    whole = sum(counts.values())
    exact = {k: v * total / whole for k, v in counts.items()}
    result = {k: int(x) for k, x in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - result[k], reverse=True)[: total - sum(result.values())]:
        result[k] += 1
    return result


class _Maker:
    def __init__(self, code: str, seed: int, taken: set[str]) -> None:
        self.code = code
        self.rng = random.Random(f"{code}:{seed}")
        self.taken = taken

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def cpr(self) -> str:
        """A made-up CPR number born 1955–1990 (7th digit 0–3: the 1900s), unique among `taken`."""
        while True:
            born = self.day(date(1955, 1, 1), date(1990, 12, 31))
            number = f"{born:%d%m%y}-{self.rng.randint(0, 3)}{self.rng.randint(0, 999):03d}"
            if number not in self.taken:
                self.taken.add(number)
                return number

    def citizen(self, kind: str, group: str | None = None) -> CitizenTimeline:
        """One citizen; `kind` is an exit status, 'active', or a non-member kind."""
        rng = self.rng
        start = self.day(date(2003, 1, 1), date(2011, 6, 30))
        residence = [{"municipality": self.code, "from": date(1998, 1, 1), "to": None}]
        support = [{"support": "kontanthjaelp", "from": start, "to": None}]
        match = [{"category": "aktivitetsparat", "from": start, "to": None}]
        programmes: list[dict] = []
        death = None
        exit_day = self.day(date(2017, 1, 15), date(2018, 2, 28))
        if kind in EXIT_SUPPORT:
            support = [
                {"support": "kontanthjaelp", "from": start, "to": exit_day - timedelta(days=1)},
                {"support": EXIT_SUPPORT[kind], "from": exit_day, "to": None},
            ]
        elif kind == "doed":
            death = exit_day
        elif kind == "fraflyttet":
            residence = [
                {"municipality": self.code, "from": date(1998, 1, 1), "to": exit_day - timedelta(days=1)},
                {"municipality": "101", "from": exit_day, "to": None},
            ]
        elif kind == "long_break":
            gap = self.day(date(2012, 6, 1), date(2016, 6, 1))
            support = [
                {"support": "kontanthjaelp", "from": start, "to": gap},
                {"support": "kontanthjaelp", "from": gap + timedelta(days=rng.randint(30, 200)), "to": None},
            ]
        elif kind == "jobparat":
            match = [{"category": "jobparat", "from": start, "to": None}]
        elif kind == "integration_programme":
            programmes = [
                {"programme": "integrationsprogram", "from": date(2010, 1, 1), "to": date(2013, 5, 31)}
            ]
        elif kind == "moved_in_later":
            residence = [{"municipality": self.code, "from": date(2017, 3, 1), "to": None}]
        visitations, activities = self.effort(group, exit_day if kind != "active" else None)
        return CitizenTimeline.model_validate(
            {
                "citizen_id": self.cpr(),
                "death_date": death,
                "residence": residence,
                "support": support,
                "match": match,
                "programmes": programmes,
                "visitations": visitations,
                "activities": activities,
            }
        )

    def effort(self, group: str | None, exit_day: date | None) -> tuple[list[dict], list[dict]]:
        """A visitation in the autumn of 2017 and, for group 1, spells of company-directed activity."""
        rng = self.rng
        if group is None or group == "mangler":
            return [], []
        last = min(STATUS_DAY, exit_day) if exit_day else STATUS_DAY
        if last <= date(2017, 8, 15):
            return [], []
        visited = self.day(date(2017, 8, 15), last)
        visitations = [{"programme": "fsm1", "date": visited, "group": group}]
        activities = []
        if group == "1":
            begin = visited + timedelta(days=rng.randint(20, 200))
            while begin < PROJECT[1] and rng.random() < 0.75:
                end = begin + timedelta(days=rng.randint(30, 120))
                activity = rng.choice(
                    ("virksomhedspraktik", "virksomhedspraktik", "loentilskud", "ordinaere_timer")
                )
                activities.append({"activity": activity, "from": begin, "to": end})
                begin = end + timedelta(days=rng.randint(20, 120))
            if rng.random() < 0.3:
                activities.append({"activity": "mentor", "from": visited, "to": visited + timedelta(days=90)})
        return visitations, activities


def municipality(
    code: str,
    members: int = AALBORG_MEMBERS,
    *,
    seed: int = 2018,
    non_members: int | None = None,
    taken: set[str] | None = None,
) -> Municipality:
    """A municipality with `members` target-group members shaped like Aalborg's, and some non-members
    (a quarter as many by default). `taken`: CPR numbers already used elsewhere."""
    maker = _Maker(code, seed, set() if taken is None else taken)
    exits = _scaled(AALBORG_EXITS, round(members * sum(AALBORG_EXITS.values()) / AALBORG_MEMBERS))
    groups = _scaled(AALBORG_GROUPS, members - sum(exits.values()))
    citizens: list[CitizenTimeline] = []
    for kind, count in exits.items():
        for _ in range(count):
            exited_group = maker.rng.choice(("1", "2", "3", "udskudt", "mangler"))
            citizens.append(maker.citizen(kind, exited_group))
    for group, count in groups.items():
        citizens.extend(maker.citizen("active", group) for _ in range(count))
    for index in range(members // 4 if non_members is None else non_members):
        citizens.append(maker.citizen(NON_MEMBER_KINDS[index % len(NON_MEMBER_KINDS)]))
    maker.rng.shuffle(citizens)
    amount = Decimal(11_749_000) * members / AALBORG_MEMBERS
    grant = Grant(
        municipality=code,
        programme="fsm1",
        amount=amount.quantize(Decimal(1)),
        approved_on=date(2017, 6, 1),
        project_start=PROJECT[0],
        project_end=PROJECT[1],
    )
    return Municipality(code, grant, citizens)


def municipalities(total_members: int, count: int, *, seed: int = 2018) -> Iterator[Municipality]:
    """`count` municipalities (codes 101, 102, ...) sharing `total_members` members, with uneven sizes."""
    rng = random.Random(seed)
    weights = [rng.paretovariate(1.3) for _ in range(count)]
    sizes = _scaled({str(i): max(1, int(w * 1000)) for i, w in enumerate(weights)}, total_members)
    taken: set[str] = set()
    for index, size in enumerate(sizes.values()):
        yield municipality(f"{101 + index * 8:03d}", max(size, 1), seed=seed, taken=taken)


DELIVERY_COLUMNS = {
    "citizens.csv": ("citizen_id", "birth_date", "death_date"),
    "residence.csv": ("citizen_id", "municipality", "from", "to"),
    "support.csv": ("citizen_id", "support", "from", "to"),
    "match.csv": ("citizen_id", "category", "from", "to"),
    "programmes.csv": ("citizen_id", "programme", "from", "to"),
    "visitations.csv": ("citizen_id", "programme", "date", "group"),
    "activities.csv": ("citizen_id", "activity", "from", "to"),
    "grants.csv": ("municipality", "programme", "amount", "approved_on", "project_start", "project_end"),
}
TIMELINE_FILES = {
    "residence.csv": "residence",
    "support.csv": "support",
    "match.csv": "match",
    "programmes.csv": "programmes",
    "visitations.csv": "visitations",
    "activities.csv": "activities",
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
