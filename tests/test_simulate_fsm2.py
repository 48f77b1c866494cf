"""Simulating an FSM2 project: the same scenario operations, with FSM2's meaning of members (who took
part), the effort group (indsats, not exempted) and the activities that count (ordinary hours and
education) — and the ladder of rate 2 moving when they do."""

from datetime import date
from decimal import Decimal

import pytest

from engine.faces.simulate.base import BaseData
from engine.faces.simulate.loading import ScenarioError
from engine.faces.simulate.simulation import simulate
from tests.fsm2_timelines import GRANT, GRANT_YEARS, participant
from tests.simulations import scenario

AS_OF = date(2020, 6, 30)


def base(citizens) -> BaseData:
    return BaseData(
        origin={"test": "in memory"},
        grant=GRANT,
        grant_years=tuple(GRANT_YEARS),
        timelines=tuple(sorted(citizens, key=lambda t: t.citizen_id)),
        as_of=AS_OF,
    )


def twenty_participants():
    return [participant(citizen_id=f"p{n:02d}") for n in range(20)]


def simulated(changes: str, citizens=None):
    text = f'municipality: "657"\nprogramme: fsm2\nbase: latest\nas_of: {AS_OF}\nchanges:\n{changes}'
    return simulate(scenario(text), base(citizens or twenty_participants()))


def rate2(status):
    return status.rates[1]


def test_placing_three_of_twenty_in_ordinary_hours_reaches_the_first_step_and_four_the_whole_rest():
    three = simulated(
        "  - {op: add_activity, count: 3, activity: ordinaere_timer, from: 2020-03-01, days: 10}\n"
    )
    assert not rate2(three.baseline.status).triggered
    assert (rate2(three.result.status).date, rate2(three.result.status).amount) == (
        date(2020, 3, 31),
        Decimal("894029.60"),
    )
    assert three.steps[0].citizens == ("p00", "p01", "p02")
    four = simulated(
        "  - {op: add_activity, count: 4, activity: ordinaere_timer, from: 2020-03-01, days: 10}\n"
    )
    assert rate2(four.result.status).amount == Decimal("1117537.00")
    (difference,) = [d for d in four.differences if d.decision == "fsm2.rate2"]
    assert (difference.change.index, difference.change.op) == (0, "add_activity")


def test_loentilskud_moves_nothing_in_fsm2():
    found = simulated(
        "  - {op: add_activity, count: 10, activity: loentilskud, from: 2020-03-01, days: 10}\n"
    )
    assert found.result.status == found.baseline.status


def test_moving_members_to_rehab_shrinks_the_effort_group_and_raises_the_share():
    citizens = twenty_participants()
    citizens[0] = participant(
        citizen_id="p00", activities=[["ordinaere_timer", date(2020, 4, 1), date(2020, 4, 5)]]
    )
    citizens[1] = participant(
        citizen_id="p01", activities=[["ordinaere_timer", date(2020, 4, 1), date(2020, 4, 5)]]
    )
    found = simulated(
        "  - {op: move_group, citizens: [p10, p11, p12, p13, p14, p15, p16], date: 2020-03-15, group: rehab}\n",
        citizens,
    )
    april = {m.month: m for m in found.result.status.months}["2020-04"]
    assert (april.effort_group, april.in_activity) == (13, 2)
    assert rate2(found.result.status).date == date(2020, 4, 30) and not rate2(found.baseline.status).triggered


def test_finding_work_is_no_exit_from_fsm2_folkepension_is():
    with pytest.raises(ScenarioError, match="selvforsoergende does not end a participation in FSM2"):
        simulated("  - {op: exit, count: 1, date: 2020-02-01, reason: selvforsoergende}\n")
    pension = simulated("  - {op: exit, count: 1, date: 2020-02-01, reason: folkepension}\n")
    assert pension.result.status.exits == {"folkepension": 1}


def test_an_exit_ends_participation_and_a_reform_of_the_first_step_moves_the_ladder():
    found = simulated(
        "  - {op: exit, count: 2, date: 2020-02-01, reason: fraflyttet}\n"
        "  - {op: set_parameter, name: rate2_first_step_share, value: 0.05}\n"
        "  - {op: add_activity, count: 1, activity: ordinaer_uddannelse, from: 2020-05-01, days: 3}\n"
    )
    assert found.result.status.exits == {"fraflyttet": 2} and found.result.status.active == 18
    assert (rate2(found.result.status).date, rate2(found.result.status).amount) == (
        date(2020, 5, 31),
        Decimal("894029.60"),
    )
    assert found.result.rate_params["rate2_first_step_share"] == Decimal("0.05")
