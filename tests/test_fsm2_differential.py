"""Differential test of FSM2: the engine (segments → facts → compiled pack → durable-rules, then
participation and months from spans) against a plain day-by-day reading of SPEC section 6 written
here, on hundreds of seeded random timelines biased to the edges (the law change, 30th birthdays
during the project, moves, deaths, folkepension, exemptions, group changes, activities on a
month's first or last day).

The reference below uses neither models/periods.py nor engine/facts: it walks the calendar, with the
law of SPEC section 6 written out as it reads (not the pack's parameters).
"""

import calendar
import random
from datetime import date, timedelta

from engine.rules.pack import get_pack
from engine.rules.programmes import fsm2
from engine.rules.runner import Runner
from models.domain import CitizenTimeline, Grant
from tests.fsm2_timelines import GRANT, HERNING

PACK = get_pack("fsm2")
ONE = timedelta(days=1)
START, END = GRANT.project_start, date(2021, 3, 31)
N_CASES = 300
SUPPORTS = (
    "kontanthjaelp",
    "integrationsydelse",
    "overgangsydelse",
    "folkepension",
    "sygedagpenge",
    "selvforsoergende",
)
PROGRAMMES = ("selvforsoergelsesprogram", "hjemrejseprogram", "introduktionsprogram", "integrationsprogram")
ACTIVITIES = ("ordinaere_timer", "ordinaer_uddannelse", "loentilskud", "fleksjob", "virksomhedspraktik")


# -- SPEC section 6, day by day ----------------------------------------------------------------------


def covering(periods, day):
    return next((p for p in periods if p.start <= day and (p.end is None or day <= p.end)), None)


def age(born: date, day: date) -> int:
    """Completed years; a 29 February birthday is 1 March in a year without one."""
    birthday = (
        date(day.year, 3, 1)
        if (born.month, born.day) == (2, 29) and not calendar.isleap(day.year)
        else born.replace(year=day.year)
    )
    return day.year - born.year - (day < birthday)


def eligible(t: CitizenTimeline, day: date) -> bool:
    if day < date(2020, 1, 1):
        benefits, excluding = {"kontanthjaelp", "integrationsydelse"}, set(PROGRAMMES[:3])
    else:
        benefits, excluding = {"kontanthjaelp", "overgangsydelse"}, {"introduktionsprogram"}
    residence, support, match = covering(t.residence, day), covering(t.support, day), covering(t.match, day)
    return (
        residence is not None
        and residence.municipality == HERNING
        and (t.death_date is None or t.death_date > day)
        and match is not None
        and match.category == "aktivitetsparat"
        and age(t.born, day) >= 30
        and support is not None
        and support.support in benefits
        and not {p.programme.value for p in t.programmes if p.covers(day)} & excluding
    )


def leaves(t: CitizenTimeline, day: date) -> str | None:
    residence, support = covering(t.residence, day), covering(t.support, day)
    if t.death_date is not None and t.death_date <= day:
        return "doed"
    if residence is None or residence.municipality != HERNING:
        return "fraflyttet"
    return "folkepension" if support is not None and support.support == "folkepension" else None


def reference(t: CitizenTimeline, as_of: date) -> dict:
    """Participation on as_of (and why not), and per month: in the effort group, counted."""
    participating, why, effort, counted = False, None, set(), set()
    joined = False
    visits = sorted((v.day, v.group.value) for v in t.visitations)
    day = START
    while day <= as_of:
        if eligible(t, day):
            participating, why, joined = True, None, True
        elif participating and (reason := leaves(t, day)):
            participating, why = False, reason
        group = next((g for d, g in reversed(visits) if d <= day), None)
        month = day.year * 12 + day.month
        if participating and group == "indsats" and not any(e.covers(day) for e in t.exemptions):
            effort.add(month)
        day += ONE
    for month in effort:
        year, m = divmod(month - 1, 12)
        first, last = date(year, m + 1, 1), date(year, m + 1, calendar.monthrange(year, m + 1)[1])
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        if any(a.activity.value in ACTIVITIES[:2] and a.covers(d) for a in t.activities for d in days):
            counted.add(month)
    return {
        "member": joined,
        "active": participating,
        "exit": why if joined else None,
        "effort": effort,
        "counted": counted,
    }


# -- random timelines at the edges ----------------------------------------------------------------------


def near(rng: random.Random, *days: date) -> date:
    return rng.choice(days) + timedelta(days=rng.randint(-3, 3))


def random_citizen(rng: random.Random, n: int) -> CitizenTimeline:
    edges = (
        START,
        date(2019, 12, 31),
        date(2020, 1, 1),
        date(2020, 6, 30),
        date(2020, 7, 1),
        date(2021, 2, 1),
    )
    born = rng.choice(
        [
            date(1970, 5, 5),
            near(rng, date(1990, 1, 1), date(1990, 6, 30), date(1991, 1, 15)),
            date(1992, 2, 29),
        ]
    )
    cuts = sorted({near(rng, *edges) for _ in range(rng.randint(0, 3))})
    support, first = [], date(2010, 1, 1)
    for cut in [*cuts, None]:
        support.append(
            {"support": rng.choice(SUPPORTS[:3] * 3 + SUPPORTS[3:]), "from": first, "to": cut and cut - ONE}
        )
        first = cut or first
    residence = [{"municipality": HERNING, "from": date(2000, 1, 1), "to": None}]
    if rng.random() < 0.25:
        gone = near(rng, *edges)
        residence = [
            {"municipality": HERNING, "from": date(2000, 1, 1), "to": gone - ONE},
            {"municipality": "661", "from": gone, "to": None},
        ]
        if rng.random() < 0.5:
            back = gone + timedelta(days=rng.randint(1, 120))
            residence[1]["to"] = back - ONE
            residence.append({"municipality": HERNING, "from": back, "to": None})
    match = [{"category": "aktivitetsparat", "from": date(2010, 1, 1), "to": None}]
    if rng.random() < 0.2:
        switch = near(rng, *edges)
        match = [
            {"category": "jobparat", "from": date(2010, 1, 1), "to": switch - ONE},
            {"category": "aktivitetsparat", "from": switch, "to": None},
        ]
    programmes = [
        {
            "programme": rng.choice(PROGRAMMES),
            "from": (p := near(rng, *edges)),
            "to": p + timedelta(days=rng.randint(0, 400)),
        }
        for _ in range(rng.random() < 0.3)
    ]
    visits, day = [], near(rng, START, date(2020, 2, 1))
    while day < END and len(visits) < 3:
        visits.append(
            {"programme": "fsm2", "date": day, "group": rng.choice(("indsats", "indsats", "rehab"))}
        )
        day += timedelta(days=rng.randint(20, 200))
    exemptions = [
        {"marking": "barsel", "from": (e := near(rng, *edges)), "to": e + timedelta(days=rng.randint(0, 60))}
        for _ in range(rng.random() < 0.3)
    ]
    activities = []
    for _ in range(rng.randint(0, 3)):
        begin = near(rng, date(2020, 1, 31), date(2020, 3, 1), date(2020, 9, 30), date(2021, 1, 1))
        activities.append(
            {
                "activity": rng.choice(ACTIVITIES),
                "from": begin,
                "to": begin + timedelta(days=rng.randint(0, 40)),
            }
        )
    return CitizenTimeline.model_validate(
        {
            "citizen_id": f"d{n:04d}",
            "birth_date": born,
            "death_date": near(rng, *edges) if rng.random() < 0.1 else None,
            "residence": residence,
            "support": support,
            "match": match,
            "programmes": programmes,
            "visitations": visits,
            "activities": activities,
            "exemptions": exemptions,
        }
    )


def months_of(bits: int, first: int = START.year * 12 + START.month) -> set[int]:
    """The months (year·12 + month) a contribution's bits name (bit i: the project's i-th month)."""
    return {first + i for i in range(bits.bit_length()) if bits >> i & 1}


def test_participation_and_the_months_agree_with_a_day_by_day_reading_of_spec_section_6():
    rng = random.Random(20200101)
    grant = Grant(**{**GRANT.model_dump(), "project_end": END})
    place = fsm2.prepare(PACK, grant, END, engine=Runner())
    seen = {"member": 0, "active": 0, "exit": set(), "counted": 0}
    for n in range(N_CASES):
        citizen = random_citizen(rng, n)
        expected = reference(citizen, END)
        outcome = fsm2.evaluate_citizen(place, citizen)
        found = outcome.contribution
        status = [e for e in outcome.evaluations if e.decision == "fsm2.status"]
        assert found.member is expected["member"], citizen.citizen_id
        if found.member:
            assert status[0].passed is expected["active"], (citizen.citizen_id, status[0].facts)
            assert found.exit_status == expected["exit"], citizen.citizen_id
        assert months_of(found.effort_months) == expected["effort"], citizen.citizen_id
        assert months_of(found.counted_months) == expected["counted"], citizen.citizen_id
        assert outcome.evaluations[0].passed is eligible(citizen, END), citizen.citizen_id
        seen["member"] += found.member
        seen["active"] += bool(status) and status[0].passed
        seen["exit"].add(found.exit_status)
        seen["counted"] += bool(found.counted_months)
    # the random cases reach every branch
    assert 0 < seen["active"] < seen["member"] < N_CASES
    assert seen["exit"] >= {None, "doed", "fraflyttet", "folkepension"} and seen["counted"] > 10
