"""Differential test of FSM1 membership: the engine (facts → compiled pack → durable-rules) against a
plain day-by-day reading of SPEC section 4 written here, on thousands of seeded random timelines biased
to the edges (breaks of 27–30 days, support and integration programmes starting or ending around the
window's first day, deaths and moves around the cut-off date).

The reference below deliberately uses neither models/periods.py nor engine/facts: it walks the calendar.
"""

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from engine.rules.decide import compiled
from engine.rules.facts.fsm1 import membership_facts
from engine.rules.pack import get_pack
from engine.rules.programmes.fsm1 import decide_citizen, membership_parameters
from engine.rules.runner import Runner
from models.domain import CitizenTimeline
from tests.fsm1_timelines import MEMBERSHIP_RULES

K, ELSEWHERE = "851", "657"
DEFAULT_CUTOFF = date(2016, 12, 31)
CASH = ("kontanthjaelp", "uddannelseshjaelp", "integrationsydelse", "overgangsydelse")
OTHER = ("sygedagpenge", "dagpenge", "fleksjob", "ressourceforloeb", "selvforsoergende", "foertidspension")
WIDE = (
    *CASH,
    "dagpenge",
    "sygedagpenge",
    "ressourceforloeb",
    "jobafklaring",
    "revalidering",
    "ledighedsydelse",
)
N_CASES, N_DIRECT = 3000, 300
ONE = timedelta(days=1)
PACK = get_pack("fsm1")


@dataclass
class Case:
    cutoff: date
    overrides: dict[str, Any]
    lookback: tuple[str, ...]
    death: date | None = None
    residence: list[tuple[str, date, date | None]] = field(default_factory=list)
    support: list[tuple[str, date, date | None]] = field(default_factory=list)
    match: list[tuple[str, date, date | None]] = field(default_factory=list)
    programmes: list[tuple[str, date, date | None]] = field(default_factory=list)

    def timeline(self, n: int) -> CitizenTimeline:
        def periods(rows: list[tuple[str, date, date | None]], key: str) -> list[dict[str, Any]]:
            return [{key: code, "from": a, "to": b} for code, a, b in rows]

        return CitizenTimeline.model_validate(
            {
                "citizen_id": f"diff-{n}",
                "birth_date": date(1970, 1, 1),
                "death_date": self.death,
                "residence": periods(self.residence, "municipality"),
                "support": periods(self.support, "support"),
                "match": periods(self.match, "category"),
                "programmes": periods(self.programmes, "programme"),
            }
        )


# -- the reference: SPEC section 4, day by day ------------------------------------------------------


def window_start(cutoff: date) -> date:
    """D − 5 years, same day and month; 29 February becomes 28 February."""
    try:
        return date(cutoff.year - 5, cutoff.month, cutoff.day)
    except ValueError:
        return date(cutoff.year - 5, 2, 28)


def on(rows: list[tuple[str, date, date | None]], day: date) -> list[str]:
    return [code for code, a, b in rows if a <= day and (b is None or day <= b)]


def reference_failures(case: Case) -> list[str]:
    d, first = case.cutoff, window_start(case.cutoff)
    failed = []
    if K not in on(case.residence, d):
        failed.append("fsm1.resident")
    if case.death is not None and case.death <= d:
        failed.append("fsm1.alive")
    if not any(code in CASH for code in on(case.support, d)):
        failed.append("fsm1.cash_benefit_now")
    if on(case.match, d) != ["aktivitetsparat"]:
        failed.append("fsm1.activity_ready")
    covered: set[int] = set()
    for code, a, b in case.support:
        if code in case.lookback:
            covered.update(range(max(a, first).toordinal(), min(b or d, d).toordinal() + 1))
    run = longest = 0
    for ordinal in range(first.toordinal(), d.toordinal() + 1):
        run = 0 if ordinal in covered else run + 1
        longest = max(longest, run)
    if first.toordinal() not in covered or longest > 28:
        failed.append("fsm1.five_years_on_support")
    integration = [(a, b) for code, a, b in case.programmes if code == "integrationsprogram"]
    day = first
    while day <= d:
        if any(a <= day and (b is None or day <= b) for a, b in integration):
            failed.append("fsm1.after_integration_programme")
            break
        day += ONE
    return failed


# -- the generator, biased to the edges -------------------------------------------------------------


def near(rng: random.Random, day: date, spread: int = 3) -> date:
    return day + timedelta(days=rng.randint(-spread, spread))


def generate(rng: random.Random) -> Case:
    cutoff = rng.choices([DEFAULT_CUTOFF, date(2020, 2, 29), date(2017, 6, 30)], weights=[80, 10, 10])[0]
    overrides: dict[str, Any] = {} if cutoff == DEFAULT_CUTOFF else {"cutoff_date": cutoff}
    lookback: tuple[str, ...] = CASH
    if rng.random() < 0.15:
        lookback = WIDE
        overrides["lookback_support"] = list(WIDE)
    case = Case(cutoff, overrides, lookback)
    first = window_start(cutoff)
    near_member = rng.random() < 0.45  # only the break lengths and the window's first day are at stake

    kind = 0.0 if near_member else rng.random()
    if kind < 0.6:
        case.residence = [(K, date(2000, 1, 1), None)]
    elif kind < 0.75:
        case.residence = [(K, date(2000, 1, 1), near(rng, cutoff))]
    elif kind < 0.9:
        moved = near(rng, cutoff)
        case.residence = [(ELSEWHERE, date(2000, 1, 1), moved - ONE), (K, moved, None)]
    elif kind < 0.97:
        case.residence = [(ELSEWHERE, date(2000, 1, 1), None)]

    if not near_member and rng.random() < 0.2:
        case.death = near(rng, cutoff, 2)

    start = near(rng, first) if rng.random() < 0.5 else first - timedelta(days=rng.randint(1, 800))
    while start <= cutoff + timedelta(days=30):
        code = rng.choice(CASH) if near_member or rng.random() < 0.8 else rng.choice(OTHER)
        end = start + timedelta(days=rng.randint(20, 900))
        if end >= cutoff and rng.random() < 0.3:
            end = max(start, near(rng, cutoff))
        if end >= cutoff and rng.random() < 0.5:
            case.support.append((code, start, None))
            break
        case.support.append((code, start, end))
        if near_member:
            gap = rng.choices([0, rng.randint(26, 29)], weights=[70, 30])[0]
        else:
            gap = rng.choices([0, rng.randint(27, 30), rng.randint(1, 60)], weights=[50, 35, 15])[0]
        start = end + timedelta(days=gap + 1)

    kind = 0.0 if near_member else rng.random()
    if kind < 0.75:
        case.match = [("aktivitetsparat", date(2005, 1, 1), None)]
    elif kind < 0.9:
        switch = near(rng, cutoff)
        before, after = rng.sample(["aktivitetsparat", "jobparat"], 2)
        case.match = [(before, date(2005, 1, 1), switch - ONE), (after, switch, None)]
    elif kind < 0.95:
        case.match = [("jobparat", date(2005, 1, 1), None)]

    kind = rng.random()
    if near_member and kind < 0.3:
        case.programmes = [
            ("integrationsprogram", date(2004, 1, 1), first - timedelta(days=rng.randint(1, 3)))
        ]
    elif near_member:
        pass
    elif kind < 0.3:
        case.programmes = [("integrationsprogram", date(2004, 1, 1), near(rng, first))]
    elif kind < 0.35:
        inside = first + timedelta(days=rng.randint(0, 1800))
        case.programmes = [("integrationsprogram", inside, inside + timedelta(days=rng.randint(0, 90)))]
    elif kind < 0.4:
        inside = first + timedelta(days=rng.randint(0, 1800))
        case.programmes = [("selvforsoergelsesprogram", inside, None)]
    return case


def cases() -> Iterator[tuple[int, Case]]:
    rng = random.Random(20161231)
    for n in range(N_CASES):
        yield n, generate(rng)


@pytest.fixture(scope="module")
def generated() -> list[tuple[int, Case, CitizenTimeline, list[str]]]:
    return [(n, case, case.timeline(n), reference_failures(case)) for n, case in cases()]


def test_the_engine_and_a_day_by_day_reading_of_the_spec_agree_on_3000_random_timelines(generated) -> None:
    engine = Runner()
    disagreements = []
    for n, case, timeline, expected in generated:
        decision = decide_citizen(timeline, K, PACK, overrides=case.overrides or None, engine=engine)
        if (decision.outcome, decision.failed_rules) != (expected == [], expected):
            disagreements.append((n, case, decision.failed_rules, expected))
    assert disagreements == [], f"{len(disagreements)} disagreements, first: {disagreements[:1]}"


def test_the_unmemoised_engine_path_agrees_with_the_reference_on_300_timelines(generated) -> None:
    engine = Runner()
    for n, case, timeline, expected in generated[:N_DIRECT]:
        params = membership_parameters(PACK, K, overrides=case.overrides or None)
        ruleset = compiled(PACK, "fsm1.membership", params, params["cutoff_date"])
        firings = engine.evaluate(ruleset, [membership_facts(timeline, K, params)])
        assert sorted(f.rule for f in firings) == sorted(MEMBERSHIP_RULES), n  # each rule concludes once
        failed = [rule for rule in MEMBERSHIP_RULES if any(f.rule == rule and not f.passed for f in firings)]
        assert failed == expected, n


def test_the_random_timelines_reach_every_edge_the_generator_aims_at(generated) -> None:
    """Without this, a generator drifting off the edges would make the differential test vacuous."""
    failures: Counter[str] = Counter()
    breaks: Counter[int] = Counter()
    members = 0
    for _, case, _, expected in generated:
        failures.update(expected)
        members += not expected
        first = window_start(case.cutoff)
        for (_, _, end), (_, start, _) in zip(case.support, case.support[1:], strict=False):
            if end is not None and first <= end and start <= case.cutoff:
                breaks[(start - end).days - 1] += 1
    assert members >= N_CASES // 10, members
    assert all(failures[rule] >= 100 for rule in MEMBERSHIP_RULES), failures
    assert all(breaks[days] >= 50 for days in (27, 28, 29, 30)), breaks
    assert sum(len(expected) >= 2 for *_, expected in generated) >= 300
