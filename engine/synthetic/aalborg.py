"""A synthetic FSM1 municipality shaped like Aalborg in 2018 (seed 002), for the demo and the benchmark.

The shape follows seed 002 (Aalborg, status on 2 March 2018): 1,220 members fixed in December 2016;
251 no longer on cash benefits (by exit reason, as in the seed's table); 969 active, visitated
473 / 293 / 143 / 50 (udskudt) with 10 still missing; plus citizens who are not members (a break of
more than four weeks, jobparat, an integration programme in the window, moved in after the cut-off).
Other municipalities are the same shape scaled to their size. CPR numbers are made up, with
7th digits chosen so that the century rule gives the intended birth year.
"""

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from engine.synthetic import Maker, Municipality, scaled
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


class _Maker(Maker):
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
    exits = scaled(AALBORG_EXITS, round(members * sum(AALBORG_EXITS.values()) / AALBORG_MEMBERS))
    groups = scaled(AALBORG_GROUPS, members - sum(exits.values()))
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
    sizes = scaled({str(i): max(1, int(w * 1000)) for i, w in enumerate(weights)}, total_members)
    taken: set[str] = set()
    for index, size in enumerate(sizes.values()):
        yield municipality(f"{101 + index * 8:03d}", max(size, 1), seed=seed, taken=taken)
