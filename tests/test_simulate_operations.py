"""Each operation of a scenario: whom it applies to, what it changes, what the rules then decide,
and properties: an operation never touches a citizen it should not, and `count: N` always takes
the first N members it applies to in ascending citizen id order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.faces.simulate.loading import ScenarioError
from models.domain import ActivityPeriod, Visitation
from tests.simulations import simulated
from tests.test_rate_edges import member

PROJECT_FIRST, PROJECT_LAST = date(2017, 8, 1), date(2019, 8, 31)


def rate(simulation, number, *, scenario=True):
    result = simulation.result if scenario else simulation.baseline
    return next(r for r in result.status.rates if r.rate == number)


def month(simulation, label, *, scenario=True):
    result = simulation.result if scenario else simulation.baseline
    return next(
        (m.effort_group, m.in_activity, m.qualifies) for m in result.status.months if m.month == label
    )


# -- visitate --------------------------------------------------------------------------------------


def unvisitated_group():
    return [
        member(0),
        member(1, visits=()),
        member(2, visits=()),
        member(3, visits=[("2018-05-01", "2")]),
        member(4, visits=(), exit_support=("foertidspension", "2018-01-01")),
        member(5, visits=()),
    ]


def test_visitate_count_takes_the_first_members_without_a_visitation_on_or_before_its_date():
    found = simulated(
        """
        - op: visitate
          count: 3
          date: 2018-03-15
          group: "2"
        """,
        unvisitated_group(),
    )
    assert found.steps[0].citizens == ("member-0001", "member-0002", "member-0003")


def test_visitate_all_active_members_triggers_rate_2_on_that_day_attributed_to_the_change():
    found = simulated(
        """
        - op: visitate
          count: all
          date: 2018-03-15
          group: "2"
          only_active: true
        """,
        unvisitated_group(),
    )
    assert found.steps[0].citizens == ("member-0001", "member-0002", "member-0003", "member-0005")
    assert not rate(found, 2, scenario=False).triggered
    assert (rate(found, 2).triggered, rate(found, 2).date) == (True, date(2018, 3, 15))
    (rate2,) = [d for d in found.differences if d.decision == "fsm1.rate2"]
    assert (rate2.change.index, rate2.change.op, rate2.change.line) == (0, "visitate", 6)
    assert found.payouts[1].difference == Decimal("4699600.00")
    assert found.result.status.visitation["mangler"] == 0 and found.result.status.visitation["2"] == 4


def test_visitate_a_percentage_rounds_up_and_too_large_a_count_is_a_warning_naming_its_line():
    half = simulated("- {op: visitate, count: 50%, date: 2018-03-15, group: '1'}", unvisitated_group())
    assert half.steps[0].citizens == ("member-0001", "member-0002", "member-0003")  # ⌈50 % of 5⌉
    many = simulated("- {op: visitate, count: 9, date: 2018-03-15, group: '1'}", unvisitated_group())
    assert len(many.steps[0].citizens) == 5
    assert any(
        w.startswith("scenario.yaml, line 6, changes[0].count: asked for 9, but there are 5")
        for w in many.warnings
    )


def test_visitate_named_citizens_and_a_named_citizen_it_does_not_apply_to_is_an_error_naming_the_line():
    found = simulated(
        "- {op: visitate, citizens: [member-0005, member-0002], date: 2018-03-15, group: '3'}",
        unvisitated_group(),
    )
    assert found.steps[0].citizens == ("member-0002", "member-0005")
    with pytest.raises(ScenarioError) as error:
        simulated(
            """
            - op: visitate
              date: 2018-03-15
              group: "3"
              citizens:
                - member-0001
                - member-0000
            """,
            unvisitated_group(),
        )
    assert error.value.messages == [
        "scenario.yaml, line 11, changes[0].citizens[1]: member-0000 is not among the members with no fsm1 "
        "visitation on or before 2018-03-15"
    ]


# -- add_activity ----------------------------------------------------------------------------------


def test_add_activity_goes_to_effort_group_members_of_the_month_without_counting_activity():
    citizens = [member(i) for i in range(4)]
    citizens += [member(7, activities=[("virksomhedspraktik", "2018-03-10", "2018-04-30")])]
    citizens += [member(8, visits=[("2017-09-01", "2")])]  # not in the effort group
    citizens += [member(9, activities=[("mentor", "2018-03-01", "2018-03-31")])]  # mentor does not count
    found = simulated(
        "- {op: add_activity, count: 3, activity: loentilskud, from: 2018-03-01, days: 61}", citizens
    )
    assert found.steps[0].citizens == ("member-0000", "member-0001", "member-0002")
    assert month(found, "2018-03", scenario=False) == (6, 1, False)
    assert month(found, "2018-03") == (6, 4, True)
    assert month(found, "2018-04") == (6, 4, True)
    assert month(found, "2018-05") == (6, 0, False)  # 61 days from 1 March end on 30 April
    with_to = simulated(
        "- {op: add_activity, citizens: [member-0009], activity: fleksjob, from: 2018-03-05, to: 2018-03-05}",
        citizens,
    )
    assert month(with_to, "2018-03") == (6, 2, False)


def test_three_months_of_added_activity_trigger_rate_3_and_the_money_difference_is_exact():
    citizens = [member(i) for i in range(5)]
    found = simulated(
        "- {op: add_activity, count: 40%, activity: virksomhedspraktik, from: 2018-01-01, to: 2018-03-31}",
        citizens,
    )
    assert (rate(found, 3).triggered, rate(found, 3).date) == (True, date(2018, 3, 31))
    assert [p.difference for p in found.payouts] == [0, 0, Decimal("3524700.00"), Decimal("3524700.00")]


# -- end_activity ----------------------------------------------------------------------------------


def test_end_activity_ends_counting_activities_running_on_its_date_and_leaves_the_rest():
    citizens = [
        member(0, activities=[("virksomhedspraktik", "2018-01-01", "2018-12-31")]),
        member(1, activities=[("loentilskud", "2018-01-01", None), ("mentor", "2018-01-01", None)]),
        member(2, activities=[("virksomhedspraktik", "2018-07-01", "2018-09-30")]),
        member(3, activities=[("ordinaere_timer", "2018-01-01", "2018-06-15")]),  # ends that day already
    ]
    found = simulated("- {op: end_activity, count: all, date: 2018-06-15}", citizens)
    assert found.steps[0].citizens == ("member-0000", "member-0001")
    assert month(found, "2018-05") == month(found, "2018-05", scenario=False) == (4, 3, True)
    assert month(found, "2018-06") == (4, 3, True)
    assert month(found, "2018-07", scenario=False) == (4, 3, True)
    assert month(found, "2018-07") == (4, 1, False)
    only = simulated("- {op: end_activity, count: all, date: 2018-06-15, activity: loentilskud}", citizens)
    assert only.steps[0].citizens == ("member-0001",)


# -- move_group ------------------------------------------------------------------------------------


def test_move_group_moves_visitated_members_of_another_group_and_replaces_a_visitation_that_day():
    citizens = [
        member(0),
        member(1, visits=[("2017-09-01", "1"), ("2018-03-01", "3")]),
        member(2, visits=[("2017-09-01", "2")]),
        member(3, visits=()),
        member(4, activities=[("virksomhedspraktik", "2018-01-01", None)]),
    ]
    found = simulated(
        "- {op: move_group, count: all, date: 2018-03-01, group: '1', from_group: '3'}", citizens
    )
    assert found.steps[0].citizens == ("member-0001",)
    assert month(found, "2018-03", scenario=False) == (2, 1, True)
    assert month(found, "2018-03") == (3, 1, False)
    out = simulated("- {op: move_group, count: 1, date: 2018-03-01, group: '2'}", citizens)
    assert out.steps[0].citizens == ("member-0000",)
    status = {e.subject: e.detail["group"] for e in out.result.evaluations if e.decision == "fsm1.status"}
    assert status["member-0000"] == "2" and status["member-0001"] == "3"


# -- exit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("doed", "doed"),
        ("fraflyttet", "fraflyttet"),
        ("foertidspension", "foertidspension"),
        ("selvforsoergende", "arbejde_uddannelse"),
        ("ingen_registrering", "ingen_registrering"),
    ],
)
def test_exit_makes_members_leave_with_the_exit_status_of_spec_section_4(reason, status):
    citizens = [member(0), member(1), member(2, exit_support=("revalidering", "2017-10-01"))]
    found = simulated(
        f"- {{op: exit, count: 5, date: 2018-03-01, reason: {reason}}}", citizens, as_of="2018-06-30"
    )
    assert found.steps[0].citizens == ("member-0000", "member-0001")
    assert found.result.status.exits == {status: 2, "revalidering": 1}
    assert month(found, "2018-02") == (2, 0, False)  # active on some day of February
    assert month(found, "2018-03") == (0, 0, False) == month(found, "2018-04")
    changed = [d for d in found.differences if d.decision == "fsm1.status"]
    assert [(d.subject, d.baseline["outcome"], d.scenario["outcome"], d.change.line) for d in changed] == [
        ("member-0000", True, False, 6),
        ("member-0001", True, False, 6),
    ]


def test_an_exit_to_a_cash_benefit_is_no_exit_and_an_error_naming_the_line():
    with pytest.raises(ScenarioError, match=r"line 6, changes\[0\]\.reason: kontanthjaelp is a cash benefit"):
        simulated("- {op: exit, count: 1, date: 2018-03-01, reason: kontanthjaelp}", [member(0)])


# -- set_parameter (a reform) ----------------------------------------------------------------------


def test_a_reform_of_rate3_share_is_exact_and_attributed_to_the_set_parameter_change():
    citizens = [member(i, activities=[("loentilskud", "2018-01-01", "2018-03-31")]) for i in range(7)]
    citizens += [member(100 + i) for i in range(13)]  # 7 of 20 = 35 %
    found = simulated("- {op: set_parameter, name: rate3_share, value: 0.35}", citizens)
    value = found.result.rate_params["rate3_share"]
    assert isinstance(value, Decimal) and value == Decimal("0.35")
    assert not rate(found, 3, scenario=False).triggered
    assert (rate(found, 3).triggered, rate(found, 3).date) == (True, date(2018, 3, 31))
    (difference,) = [d for d in found.differences if d.decision == "fsm1.rate3"]
    assert (difference.change.op, difference.change.line) == ("set_parameter", 6)
    assert {r["subject"] for r in difference.rules} >= {"2018-01", "2018-02", "2018-03"}


def test_reforms_of_integer_codes_and_date_parameters():
    citizens = [member(i, activities=[("mentor", "2018-01-01", "2018-02-28")]) for i in range(2)] + [
        member(9)
    ]
    found = simulated(
        """
        - {op: set_parameter, name: rate3_months, value: 2}
        - {op: set_parameter, name: company_directed_activities, value: [mentor, loentilskud]}
        """,
        citizens,
    )
    assert (rate(found, 3).triggered, rate(found, 3).date) == (True, date(2018, 2, 28))
    (difference,) = [d for d in found.differences if d.decision == "fsm1.rate3"]
    assert difference.change.index == 1 and difference.change.line == 7
    later = simulated("- {op: set_parameter, name: cutoff_date, value: 2017-06-30}", [member(0)])
    assert later.result.membership_params["cutoff_date"] == date(2017, 6, 30)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "{op: set_parameter, name: rate3_shares, value: 0.35}",
            "line 6, changes[0].name: fsm1 has no parameter 'rate3_shares'",
        ),
        (
            "{op: set_parameter, name: rate3_share, value: forty}",
            "line 6, changes[0].value: rate3_share is a parameter of type decimal",
        ),
        (
            "{op: set_parameter, name: rate3_months, value: 2.5}",
            "line 6, changes[0].value: rate3_months is a parameter of type integer",
        ),
        (
            "{op: set_parameter, name: cutoff_date, value: yesterday}",
            "line 6, changes[0].value: cutoff_date is a parameter of type date",
        ),
        (
            "{op: set_parameter, name: company_directed_activities, value: [praktik]}",
            "line 6, changes[0].value: praktik: not a code of company_directed_activities",
        ),
        (
            "{op: set_parameter, name: rate2_population, value: everyone}",
            "line 6, changes[0]: the rules cannot be evaluated after this change: rate2_population must be",
        ),
    ],
)
def test_a_reform_with_an_unknown_parameter_or_a_value_of_the_wrong_type_is_an_error_naming_the_line(
    change, message
):
    with pytest.raises(ScenarioError) as error:
        simulated(f"- {change}", [member(0)])
    assert message in str(error.value)


# -- properties ------------------------------------------------------------------------------------

DAYS = (PROJECT_LAST - PROJECT_FIRST).days


@st.composite
def municipalities(draw):
    """3–10 members, each visitated (or not) on some day in some group, some leaving on some day."""
    citizens = []
    for n in range(draw(st.integers(3, 10))):
        visit = draw(st.none() | st.integers(0, DAYS))
        group = draw(st.sampled_from(["1", "2", "3", "udskudt"]))
        leaves = draw(st.none() | st.integers(1, DAYS))
        spell = draw(st.none() | st.tuples(st.integers(0, DAYS), st.integers(0, 120)))
        citizens.append(
            member(
                n,
                visits=[] if visit is None else [(str(PROJECT_FIRST + timedelta(days=visit)), group)],
                exit_support=None
                if leaves is None
                else ("foertidspension", str(PROJECT_FIRST + timedelta(days=leaves))),
                activities=[]
                if spell is None
                else [
                    (
                        "loentilskud",
                        str(PROJECT_FIRST + timedelta(spell[0])),
                        str(PROJECT_FIRST + timedelta(sum(spell))),
                    )
                ],
            )
        )
    return citizens


def _unchanged_except(before, after, picked, field):
    for old, new in zip(before, after, strict=True):
        if old.citizen_id not in picked:
            assert new == old
        else:
            assert {k for k in type(old).model_fields if getattr(old, k) != getattr(new, k)} == {field}


def _after(found):
    """Every citizen's timeline after the simulation's changes, from the scenario's own state."""
    return [found.state.timelines[t.citizen_id] for t in found.base.timelines]


@settings(deadline=None, max_examples=25)
@given(municipalities(), st.integers(0, DAYS), st.integers(1, 12), st.sampled_from(["1", "2", "udskudt"]))
def test_visitate_changes_exactly_the_first_n_unvisitated_members_and_only_their_visitations(
    citizens, offset, count, group
):
    day = PROJECT_FIRST + timedelta(days=offset)
    found = simulated(f"- {{op: visitate, count: {count}, date: {day}, group: '{group}'}}", citizens)
    eligible = [c.citizen_id for c in citizens if not any(v.day <= day for v in c.visitations)]
    assert found.steps[0].citizens == tuple(eligible[:count])
    _unchanged_except(citizens, _after(found), set(eligible[:count]), "visitations")
    for citizen in eligible[:count]:
        added = set(found.state.timelines[citizen].visitations) - set(
            next(c for c in citizens if c.citizen_id == citizen).visitations
        )
        assert added == {Visitation(programme="fsm1", day=day, group=group)}


@settings(deadline=None, max_examples=25)
@given(municipalities(), st.integers(1, DAYS), st.integers(1, 12))
def test_exit_changes_exactly_the_first_n_members_active_that_day_and_only_their_support(
    citizens, offset, count
):
    day = PROJECT_FIRST + timedelta(days=offset)
    found = simulated(f"- {{op: exit, count: {count}, date: {day}, reason: selvforsoergende}}", citizens)
    active = [
        c.citizen_id
        for c in citizens
        if any(s.support.value == "kontanthjaelp" and s.covers(day) for s in c.support)
    ]
    assert found.steps[0].citizens == tuple(active[:count])
    _unchanged_except(citizens, _after(found), set(active[:count]), "support")
    assert found.result.status.exits.get("arbejde_uddannelse", 0) == len(active[:count])


@settings(deadline=None, max_examples=25)
@given(municipalities(), st.integers(0, DAYS - 40), st.integers(1, 12))
def test_add_activity_changes_only_the_activities_of_the_members_it_picks(citizens, offset, count):
    day = PROJECT_FIRST + timedelta(days=offset)
    found = simulated(
        f"- {{op: add_activity, count: {count}, activity: ordinaere_timer, from: {day}, days: 30}}", citizens
    )
    picked = set(found.steps[0].citizens)
    assert len(picked) <= count
    _unchanged_except(citizens, _after(found), picked, "activities")
    for citizen in picked:
        new = found.state.timelines[citizen].activities[-1]
        assert new == ActivityPeriod(activity="ordinaere_timer", start=day, end=day + timedelta(days=29))
