"""Differential: rate 3 through the engine (facts → durable-rules) against a plain day-by-day reading
of SPEC section 5, written separately here, on random small municipalities."""

import calendar
import random
from datetime import date, timedelta

from engine.rules.pack import get_pack
from engine.rules.programmes import evaluate_municipality
from engine.rules.runner import Runner
from models.domain import CitizenTimeline, Grant

PACK = get_pack("fsm1")
K, CUTOFF, AS_OF = "851", date(2016, 12, 31), date(2018, 12, 31)
COUNTING = {"virksomhedspraktik", "loentilskud", "ordinaere_timer", "fleksjob", "ordinaer_uddannelse"}
CURRENT = {"kontanthjaelp", "uddannelseshjaelp", "integrationsydelse", "overgangsydelse"}


def day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def random_member(rng: random.Random, n: int) -> CitizenTimeline:
    support = [{"support": "kontanthjaelp", "from": "2010-01-01", "to": None}]
    if rng.random() < 0.2:
        end = day(rng, date(2017, 6, 1), date(2018, 10, 1))
        support = [
            {"support": "kontanthjaelp", "from": "2010-01-01", "to": str(end)},
            {
                "support": rng.choice(["foertidspension", "selvforsoergende"]),
                "from": str(end + timedelta(days=1)),
                "to": None,
            },
        ]
    visits = sorted({day(rng, date(2017, 7, 1), date(2018, 12, 1)) for _ in range(rng.randint(0, 3))})
    activities = []
    for _ in range(rng.randint(0, 3)):
        start = day(rng, date(2017, 7, 1), date(2018, 12, 1))
        activities.append(
            {
                "activity": rng.choice([*COUNTING, "mentor"]),
                "from": str(start),
                "to": str(start + timedelta(days=rng.randint(0, 70))),
            }
        )
    return CitizenTimeline.model_validate(
        {
            "citizen_id": f"m{n:03d}",
            "birth_date": "1970-01-01",
            "residence": [{"municipality": K, "from": "2000-01-01", "to": None}],
            "support": support,
            "match": [{"category": "aktivitetsparat", "from": "2010-01-01", "to": None}],
            "visitations": [
                {"programme": "fsm1", "date": str(v), "group": rng.choice(["1", "1", "2", "udskudt"])}
                for v in visits
            ],
            "activities": activities,
        }
    )


def covers(period, d: date) -> bool:
    return period.start <= d and (period.end is None or d <= period.end)


def reference(
    members: list[CitizenTimeline], project: tuple[date, date]
) -> tuple[list[tuple[str, int, int, bool]], date | None]:
    """SPEC section 5, rate 3, day by day."""
    rows = []
    year, month = project[0].year, project[0].month
    while True:
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        if first > project[1] or last > AS_OF:
            break
        if first >= project[0] and last <= project[1]:
            days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            effort, busy = 0, 0
            for m in members:
                groups = [v.group.value for v in sorted(m.visitations, key=lambda v: v.day) if v.day <= last]
                active = any(
                    any(covers(s, d) and s.support.value in CURRENT for s in m.support) for d in days
                )
                if groups and groups[-1] == "1" and active:
                    effort += 1
                    if any(
                        any(covers(a, d) and a.activity.value in COUNTING for a in m.activities) for d in days
                    ):
                        busy += 1
            rows.append((f"{year:04d}-{month:02d}", effort, busy, effort > 0 and 100 * busy >= 40 * effort))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    trigger = None
    for i in range(2, len(rows)):
        if all(r[3] for r in rows[i - 2 : i + 1]):
            y, mo = map(int, rows[i][0].split("-"))
            trigger = date(y, mo, calendar.monthrange(y, mo)[1])
            break
    return rows, trigger


def test_rate_3_through_durable_rules_agrees_with_a_day_by_day_reading_of_the_spec():
    rng = random.Random(20180302)
    triggered = 0
    for case in range(150):
        members = [random_member(rng, n) for n in range(rng.randint(3, 15))]
        project = (date(2017, 8, 1), date(2019, 8, 31))
        grant = Grant(
            municipality=K,
            programme="fsm1",
            amount="1000.00",
            approved_on="2017-06-01",
            project_start=project[0],
            project_end=project[1],
        )
        result = evaluate_municipality(PACK, grant, members, AS_OF, engine=Runner())
        expected_rows, expected_trigger = reference(members, project)
        got = [(m.month, m.effort_group, m.in_activity, m.qualifies) for m in result.status.months]
        assert got == expected_rows, case
        assert result.status.rates[2].date == expected_trigger, case
        triggered += expected_trigger is not None
    assert 10 < triggered < 140  # the random cases exercise both outcomes
