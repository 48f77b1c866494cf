"""Forecast: the pace measured on a day (first visitations per week, the trend of the monthly share)
projected as generated changes, evaluated by the same rules; its assumption stated in words."""

from collections import Counter
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.faces.simulate.forecast import apportioned
from engine.faces.simulate.loading import ScenarioError
from engine.faces.simulate.scenario import AddActivity, Visitate
from engine.faces.simulate.simulation import simulate
from tests.simulations import base_of, scenario
from tests.test_rate_edges import member

F = date(2018, 3, 2)  # the base run's as-of date: the pace is measured on it


def forecast(citizens, as_of="2018-06-30", options=""):
    text = f"municipality: '851'\nas_of: {as_of}\n{options}"
    return simulate(scenario(text), base_of(citizens))


def rate(simulation, number, *, scenario_=True):
    result = simulation.result if scenario_ else simulation.baseline
    return next(r for r in result.status.rates if r.rate == number)


def visiting():
    """Four members visitated long ago, eight in the eight weeks up to F (one a week: six into
    group 1, two into group 2), three still waiting, and one who left before being visitated."""
    citizens = [member(i) for i in range(4)]
    for k in range(8):
        day = date(2018, 1, 10) + timedelta(weeks=k)
        citizens.append(member(10 + k, visits=[(str(day), "2" if k in (2, 5) else "1")]))
    citizens += [member(100 + i, visits=()) for i in range(3)]
    citizens.append(member(200, visits=(), exit_support=("foertidspension", "2017-12-01")))
    return citizens


def test_the_waiting_members_are_visitated_at_the_windows_pace_and_rate_2_follows_from_the_rules():
    found = forecast(visiting())
    pace = found.projection.pace
    assert (pace.window.first, pace.window.last, pace.weeks) == (date(2018, 1, 6), F, 8)
    assert (pace.first_visitations, pace.per_week, dict(pace.groups)) == (8, 1, {"1": 6, "2": 2})
    assert pace.waiting == ("member-0100", "member-0101", "member-0102")
    visits = [c for c in found.projection.changes if isinstance(c, Visitate)]
    assert [(v.day, v.group, v.citizens) for v in visits] == [
        (date(2018, 3, 9), "1", ("member-0100",)),
        (date(2018, 3, 16), "1", ("member-0101",)),
        (date(2018, 3, 23), "2", ("member-0102",)),
    ]
    assert not rate(found, 2, scenario_=False).triggered
    assert (rate(found, 2).triggered, rate(found, 2).date) == (True, date(2018, 3, 23))
    (difference,) = [d for d in found.differences if d.decision == "fsm1.rate2"]
    assert (difference.change.index, difference.change.line) == (2, None)
    assert (
        "8 members were visitated for the first time in the 8 weeks 6 January 2018 to 2 March 2018 (1.0 a week)"
        in (found.projection.assumption)
    )
    assert "the 3 members still to be visitated on 2 March 2018" in found.projection.assumption
    assert "rate 2 would trigger on 23 March 2018: DKK\xa04,699,600.00" in found.outlook()


def test_a_slower_window_spreads_the_visitations_and_those_past_the_end_are_not_made():
    found = forecast(visiting(), as_of="2018-04-15", options="forecast: {window_weeks: 16}")
    pace = found.projection.pace
    assert (pace.first_visitations, pace.per_week) == (8, Fraction(1, 2))
    visits = [c for c in found.projection.changes if isinstance(c, Visitate)]
    assert [v.day for v in visits] == [date(2018, 3, 16), date(2018, 3, 30), date(2018, 4, 13)]
    early = forecast(visiting(), as_of="2018-04-01", options="forecast: {window_weeks: 16}")
    assert early.projection.visitated == 2 and not rate(early, 2).triggered
    assert "2 by 1 April 2018" in early.projection.assumption


def test_with_no_visitation_in_the_window_nobody_more_is_visitated_and_the_assumption_says_so():
    citizens = [member(0), member(1, visits=())]
    found = forecast(citizens)
    assert found.projection.pace.first_visitations == 0 and found.projection.visitated == 0
    assert "nobody was visitated for the first time in the 8 weeks" in found.projection.assumption
    assert "the 1 members still to be visitated on 2 March 2018 never are" in found.projection.assumption
    assert not rate(found, 2).triggered and "rate 2 would not trigger by 30 June 2018" in found.outlook()


def trending():
    """Ten effort-group members: 2, 3 and 4 of them in activity in December, January and February."""
    spells = {0: "2017-12-01", 1: "2017-12-01", 2: "2018-01-01", 3: "2018-02-01"}
    return [
        member(i, activities=[("loentilskud", spells[i], "2018-02-28")] if i in spells else [])
        for i in range(10)
    ]


def test_the_activity_share_follows_the_straight_line_of_the_last_months_and_rate_3_follows_from_the_rules():
    found = forecast(trending())
    pace = found.projection.pace
    assert [m.month for m in pace.months] == ["2017-12", "2018-01", "2018-02"]
    assert pace.slope == Fraction(1, 10)
    assert [pace.share(m) for m in ("2018-03", "2018-04", "2018-05", "2018-06")] == [
        Fraction(5, 10),
        Fraction(6, 10),
        Fraction(7, 10),
        Fraction(8, 10),
    ]
    added = [c for c in found.projection.changes if isinstance(c, AddActivity)]
    assert [(a.start, a.last, len(a.citizens)) for a in added] == [
        (date(2018, 3, 3), date(2018, 3, 31), 5),
        (date(2018, 4, 1), date(2018, 4, 30), 6),
        (date(2018, 5, 1), date(2018, 5, 31), 7),
        (date(2018, 6, 1), date(2018, 6, 30), 8),
    ]
    assert added[0].citizens == tuple(f"member-{i:04d}" for i in range(5))
    assert {a.activity.value for a in added} == {"loentilskud"}  # the counting activity most used
    assert not rate(found, 3, scenario_=False).triggered
    assert (rate(found, 3).triggered, rate(found, 3).date) == (True, date(2018, 4, 30))
    assert (
        "December 2017: 20.0%, January 2018: 30.0%, February 2018: 40.0% (10.0 percentage points a month)"
        in (found.projection.assumption)
    )


def test_the_trend_is_kept_between_nothing_and_everyone():
    falling = [
        member(i, activities=[("loentilskud", "2017-12-01", "2017-12-31")] if i < 9 else [])
        for i in range(10)
    ]
    found = forecast(falling, options="forecast: {trend_months: 2}")  # 90 % in December, 0 in January
    assert found.projection.pace.share("2018-05") == 0 and found.projection.activities == 0
    rising = forecast(trending(), as_of="2019-08-31")
    assert rising.projection.pace.share("2019-06") == 1
    assert all(len(c.citizens) == 10 for c in rising.projection.changes[-6:])


def test_a_scenario_without_changes_and_a_later_as_of_is_a_forecast_and_one_with_the_same_date_is_an_error():
    found = simulate(scenario("municipality: '851'\nas_of: 2018-04-30\n"), base_of(trending()))
    assert found.projection is not None and found.projection.pace.start == F
    with pytest.raises(ScenarioError, match="line 1, changes: no changes, and as_of is not later"):
        simulate(scenario("municipality: '851'\nas_of: 2018-03-02\n"), base_of(trending()))
    with pytest.raises(
        ScenarioError, match=r"line 4, forecast\.from: a forecast runs from a day in the project"
    ):
        forecast(trending(), options="forecast:\n  from: 2017-06-30\n")


def test_the_forecast_from_a_day_with_no_ended_month_adds_no_activity_and_says_so():
    found = forecast(visiting(), as_of="2017-12-31", options="forecast: {from: 2017-08-20}")
    assert found.projection.pace.months == () and found.projection.activities == 0
    assert "Activity: no month of the project had ended by 20 August 2017" in found.projection.assumption


@settings(deadline=None, max_examples=200)
@given(
    st.dictionaries(st.sampled_from(["1", "2", "3", "udskudt"]), st.integers(1, 50), min_size=1),
    st.integers(0, 60),
)
def test_apportioned_groups_keep_to_the_mix_at_every_step(mix, n):
    chosen = apportioned(mix, n)
    total = sum(mix.values())
    for k in range(1, n + 1):
        counts = Counter(chosen[:k])
        for group, weight in mix.items():
            assert abs(counts[group] - Fraction(k * weight, total)) < 1
    assert apportioned(mix, n) == chosen
