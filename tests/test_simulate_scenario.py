"""Scenario files: what they may say, and every mistake reported with the file, line and place."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine.faces.simulate import simulation as simulation_module
from engine.faces.simulate import terms as terms_module
from engine.faces.simulate.loading import ScenarioError, load_scenario
from engine.faces.simulate.scenario import AddActivity, BaseRef, Count, SetParameter, Visitate
from engine.faces.simulate.simulation import simulate
from engine.rules.pack import get_pack
from tests.simulations import base_of, scenario
from tests.test_rate_edges import member

ISSUE_EXAMPLE = """
municipality: "851"
programme: fsm1
base: latest          # the latest run's data, a run id, or a delivery folder
as_of: 2019-07-31     # evaluate baseline and scenario as of this date
changes:
  - op: visitate      # members with no visitation on or before `date` get one on `date`
    count: all        # or a number
    date: 2018-03-15
    group: "2"
  - op: add_activity  # effort-group members with no company-directed activity in the month of `from`
    count: 25
    activity: virksomhedspraktik
    from: 2018-03-01
    days: 90
  - op: set_parameter # a "reform", as in rules-as-code tools
    name: rate3_share
    value: 0.35
"""


def errors(text: str, citizens=None) -> list[str]:
    """The messages of a scenario that cannot be simulated (read, checked, then applied)."""
    with pytest.raises(ScenarioError) as raised:
        simulate(scenario(text), base_of(citizens or [member(0), member(1, visits=())]))
    return raised.value.messages


def test_the_issues_example_reads_with_exact_decimals_and_its_lines():
    loaded = scenario(ISSUE_EXAMPLE)
    visitate, activity, reform = loaded.scenario.changes
    assert isinstance(visitate, Visitate) and visitate.count == Count() and visitate.group == "2"
    assert isinstance(activity, AddActivity) and activity.count == Count(number=25)
    assert activity.last == date(2018, 5, 29)
    assert (
        isinstance(reform, SetParameter) and reform.value == Decimal("0.35") and type(reform.value) is Decimal
    )
    assert loaded.scenario.base == BaseRef() and loaded.scenario.as_of == date(2019, 7, 31)
    assert [loaded.source.line(("changes", i)) for i in range(3)] == [6, 10, 15]
    assert loaded.source.line(("changes", 1, "count")) == 11


def test_unquoted_numbers_for_a_group_or_municipality_and_a_run_id_as_base_are_understood():
    loaded = scenario(
        "municipality: 851\nbase: 3\nchanges:\n  - {op: visitate, count: '10%', date: 2018-03-15, group: 2}\n"
    )
    (change,) = loaded.scenario.changes
    assert (loaded.scenario.municipality, loaded.scenario.base, change.group) == ("851", BaseRef(run=3), "2")
    assert change.count == Count(percent=Decimal(10)) and change.count.of(25) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: visit\n    count: 3\n",
            "scenario.yaml, line 3, changes[0].op: unknown operation 'visit'; the operations are visitate, "
            "add_activity, end_activity, move_group, exit, set_parameter",
            id="unknown operation",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: visitate\n    count: many\n    date: 2018-03-15\n    group: '1'\n",
            "scenario.yaml, line 4, changes[0].count: must be a whole number of at least 1, 'all', or a "
            "percentage such as '25%' (found 'many')",
            id="wrong type of count",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: add_activity\n    count: 2\n    activity: praktik\n"
            "    from: 2018-03-01\n    days: ten\n",
            "scenario.yaml, line 5, changes[0].activity: must be one of the codes virksomhedspraktik, loentilskud",
            id="unknown activity code",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: add_activity\n    count: 2\n    activity: mentor\n"
            "    from: 2018-03-01\n    days: ten\n",
            "scenario.yaml, line 7, changes[0].days: must be a whole number (found 'ten')",
            id="days not a number",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: visitate\n    count: 1\n    group: '1'\n",
            "scenario.yaml, line 3, changes[0].date: is missing and must be given",
            id="missing date",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: visitate\n    count: 1\n    date: 2018-02-30\n    group: '1'\n",
            "scenario.yaml, line 5, changes[0].date: is written as a date, but there is no such day "
            "(found '2018-02-30')",
            id="no such day",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: exit\n    count: 1\n    date: 2018-02-01\n    reason: doed\n"
            "    colour: red\n",
            "scenario.yaml, line 7, changes[0].colour: unknown key; the keys here are count, citizens, op, date, reason",
            id="unknown key",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - op: exit\n    count: 1\n    citizens: [a]\n    date: 2018-02-01\n"
            "    reason: doed\n",
            "scenario.yaml, line 3, changes[0]: give either `count` (a number, 'all' or 'N%') or `citizens`",
            id="count and citizens",
        ),
        pytest.param(
            "municipality: '851'\nas_of: 2019-07-31\nas_of: 2019-08-31\n",
            "scenario.yaml, line 3, as_of: given twice (first on line 2)",
            id="a key twice",
        ),
        pytest.param(
            "municipality: '851'\nchanges: [\n",
            "scenario.yaml, line 3, column 1: not valid YAML",
            id="bad YAML",
        ),
        pytest.param("# nothing\n", "scenario.yaml: the scenario file is empty", id="empty"),
        pytest.param(
            "municipality: '8510'\n",
            "scenario.yaml, line 1, municipality: must be a municipality's three-digit code, such as 851 "
            "(found '8510')",
            id="bad municipality",
        ),
        pytest.param(
            "municipality: '851'\nchanges:\n  - count: 2\n",
            "scenario.yaml, line 3, changes[0]: a change needs `op`",
            id="no op",
        ),
        pytest.param(
            "municipality: '851'\nforecast:\n  window_weeks: 0\n",
            "scenario.yaml, line 3, forecast.window_weeks: must be at least 1 (found 0)",
            id="forecast option",
        ),
    ],
)
def test_a_scenario_with_a_mistake_gets_a_clear_error_naming_the_line(text, message):
    with pytest.raises(ScenarioError) as raised:
        scenario(text)
    assert any(m.startswith(message) for m in raised.value.messages), raised.value.messages


def test_every_mistake_of_a_file_is_reported_at_once_each_with_its_line():
    text = "municipality: '851'\nchanges:\n  - {op: visitate, count: 0, date: 2018-03-15, group: '1'}\n  - {op: jump}\n  - {op: exit, count: 1, date: 2018-03-15, reason: moved}\n"
    with pytest.raises(ScenarioError) as raised:
        scenario(text)
    assert [m.split(":")[0] for m in raised.value.messages] == [
        "scenario.yaml, line 3, changes[0].count",
        "scenario.yaml, line 4, changes[1].op",
        "scenario.yaml, line 5, changes[2].reason",
    ]


def test_a_scenario_file_is_named_by_its_path_and_an_unreadable_one_is_an_error(tmp_path: Path):
    path = tmp_path / "leaders.yaml"
    path.write_text("municipality: '851'\nas_of: someday\n", encoding="utf-8")
    with pytest.raises(
        ScenarioError, match=rf"^{path}, line 2, as_of: must be a date written year-month-day"
    ):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")


# -- checks against the base data ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "{op: visitate, count: 1, date: 2017-07-31, group: '1'}",
            "line 6, changes[0].date: 2017-07-31 is outside the project period 2017-08-01 to 2019-08-31",
        ),
        (
            "{op: add_activity, count: 1, activity: loentilskud, from: 2019-09-01, days: 5}",
            "line 6, changes[0].from: 2019-09-01 is outside the project period",
        ),
        (
            "{op: exit, citizens: [member-0000, 010180-1234], date: 2018-03-01, reason: doed}",
            "line 6, changes[0].citizens[1]: 010180-xxxx is not a citizen of municipality 851 in the base data",
        ),
        (
            "{op: move_group, count: 1, date: 2018-03-01, group: indsats}",
            "line 6, changes[0].group: 'indsats' is not a fsm1 group",
        ),
    ],
)
def test_a_date_outside_the_project_an_unknown_citizen_or_a_group_of_another_programme_names_the_line(
    change, message
):
    found = errors(
        f"municipality: '851'\nprogramme: fsm1\nbase: latest\nas_of: 2019-08-31\nchanges:\n  - {change}\n"
    )
    assert any(message in m for m in found), found
    assert all("1234" not in m for m in found)  # CPR numbers are masked in messages


def test_a_citizen_who_is_not_a_member_is_an_error_naming_the_line():
    outsider = member(5).model_copy(update={"match": ()})
    found = errors(
        "municipality: '851'\nchanges:\n  - {op: exit, citizens: [member-0005], date: 2018-03-01, reason: doed}\n",
        [member(0), outsider],
    )
    assert found == [
        "scenario.yaml, line 3, changes[0].citizens[0]: member-0005 is not a member of 851's target group"
    ]


def test_scenario_level_mistakes_name_their_key():
    assert errors("municipality: '851'\nprogramme: fsm9\nchanges: []\n") == [
        "scenario.yaml, line 2, programme: no rule pack 'fsm9'; known: fsm1, fsm2"
    ]
    assert errors("municipality: '851'\n") == [
        "scenario.yaml, line 1, changes: no changes, and as_of is not later than the base run's: nothing to "
        "simulate (give changes, a later as_of, or `forecast: {from: YYYY-MM-DD}`)"
    ]
    assert errors(
        "municipality: '851'\nas_of: 2019-01-31\nforecast: {}\nchanges:\n  - {op: exit, count: 1, date: 2018-03-01, reason: doed}\n"
    ) == ["scenario.yaml, line 3, forecast: a forecast projects the base data alone: drop `changes`"]
    with pytest.raises(
        ScenarioError, match=r"line 1, as_of: give as_of: a delivery folder has no as-of date"
    ):
        simulate(scenario("municipality: '851'\nchanges: []\n"), base_of([member(0)], as_of=None))


def test_a_programme_the_simulation_does_not_know_yet_is_named(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(simulation_module, "get_pack", lambda programme: get_pack("fsm1"))
    monkeypatch.setattr(terms_module, "TERMS", {"fsm1": terms_module.TERMS["fsm1"]})
    assert errors("municipality: '851'\nprogramme: fsm2\nchanges: []\n") == [
        "scenario.yaml, line 2, programme: the simulation knows fsm1, not 'fsm2' yet"
    ]


def test_a_change_dated_after_the_as_of_date_is_a_warning_naming_its_line():
    found = simulate(
        scenario(
            "municipality: '851'\nas_of: 2018-03-31\nchanges:\n  - {op: exit, count: 1, date: 2018-04-01, reason: doed}\n"
        ),
        base_of([member(0)]),
    )
    assert found.warnings == (
        "scenario.yaml, line 4, changes[0].date: 2018-04-01 is after the as-of date 2018-03-31: it cannot show",
    )
    assert found.differences == ()
