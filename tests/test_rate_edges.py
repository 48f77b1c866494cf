"""FSM1 status and rates 1–3 at their edges (SPEC sections 4 and 5), evaluated in memory."""

from datetime import date, timedelta
from decimal import Decimal
from math import ceil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rules.pack import get_pack
from engine.rules.programmes import evaluate_municipality
from engine.rules.programmes.fsm1_rates import split_grant
from engine.rules.runner import Runner
from engine.synthetic.aalborg import AALBORG_EXITS, municipality
from models.domain import CitizenTimeline, Grant

PACK = get_pack("fsm1")
K = "851"
PROJECT_START, PROJECT_END = date(2017, 8, 1), date(2019, 8, 31)


def grant(**changes) -> Grant:
    values = {
        "municipality": K,
        "programme": "fsm1",
        "amount": Decimal("11749000.00"),
        "approved_on": date(2017, 6, 1),
        "project_start": PROJECT_START,
        "project_end": PROJECT_END,
    }
    return Grant(**{**values, **changes})


def member(
    n: int,
    *,
    visits=(("2017-09-01", "1"),),
    activities=(),
    exit_support=None,
    moved_out_on=None,
    died_on=None,
) -> CitizenTimeline:
    """A member of Aalborg's target group (cut-off 2016-12-31) with FSM1 visitations and activities."""
    support = [{"support": "kontanthjaelp", "from": "2010-01-01", "to": None}]
    if exit_support:
        code, day = exit_support
        first = date.fromisoformat(day)
        support = [
            {"support": "kontanthjaelp", "from": "2010-01-01", "to": str(first - timedelta(days=1))},
            {"support": code, "from": day, "to": None},
        ]
    residence = [{"municipality": K, "from": "2000-01-01", "to": None}]
    if moved_out_on:
        left = date.fromisoformat(moved_out_on)
        residence = [
            {"municipality": K, "from": "2000-01-01", "to": str(left - timedelta(days=1))},
            {"municipality": "101", "from": moved_out_on, "to": None},
        ]
    return CitizenTimeline.model_validate(
        {
            "citizen_id": f"member-{n:04d}",
            "birth_date": "1975-06-15",
            "death_date": died_on,
            "residence": residence,
            "support": support,
            "match": [{"category": "aktivitetsparat", "from": "2010-01-01", "to": None}],
            "visitations": [{"programme": "fsm1", "date": d, "group": g} for d, g in visits],
            "activities": [{"activity": a, "from": f, "to": t} for a, f, t in activities],
        }
    )


def evaluate(citizens, as_of="2019-08-31", overrides=None, **grant_changes):
    return evaluate_municipality(
        PACK,
        grant(**grant_changes),
        citizens,
        date.fromisoformat(as_of),
        overrides=overrides,
        engine=Runner(),
    )


def group(active_in: int, idle: int, months=("2017-09-01", "2017-11-30"), activity="virksomhedspraktik"):
    """`active_in` effort-group members in activity over `months`, and `idle` without activity."""
    busy = [member(i, activities=[(activity, *months)]) for i in range(active_in)]
    return busy + [member(1000 + i) for i in range(idle)]


def months_of(result) -> dict[str, tuple[int, int, bool]]:
    return {m.month: (m.effort_group, m.in_activity, m.qualifies) for m in result.status.months}


def rate(result, number: int):
    return next(r for r in result.status.rates if r.rate == number)


@pytest.mark.parametrize(
    ("busy", "idle", "qualifies"), [(2, 3, True), (4, 6, True), (39, 61, False), (3, 5, False)]
)
def test_a_month_qualifies_exactly_from_40_percent_of_the_effort_group_in_activity(busy, idle, qualifies):
    assert months_of(evaluate(group(busy, idle)))["2017-10"] == (busy + idle, busy, qualifies)


def test_a_reformed_share_of_35_percent_is_compared_exactly():
    reform = {"rate3_share": Decimal("0.35")}
    assert months_of(evaluate(group(7, 13), overrides=reform))["2017-10"][2] is True
    assert months_of(evaluate(group(6, 14), overrides=reform))["2017-10"][2] is False


def test_three_consecutive_qualifying_months_trigger_rate_3_on_the_last_day_of_the_third():
    result = evaluate(group(2, 3, months=("2017-09-01", "2017-11-30")))
    assert (rate(result, 3).triggered, rate(result, 3).date) == (True, date(2017, 11, 30))
    assert result.rates[2].trace[-1].facts == {"month": "2017-09 → 2017-10 → 2017-11"}


def test_a_qualifying_run_broken_by_one_month_does_not_trigger_and_a_later_run_does():
    broken = [
        member(
            i,
            activities=[
                ("loentilskud", "2017-09-01", "2017-10-31"),
                ("loentilskud", "2017-12-01", "2018-02-28"),
            ],
        )
        for i in range(2)
    ] + [member(1000 + i) for i in range(3)]
    result = evaluate(broken)
    assert months_of(result)["2017-11"][2] is False
    assert rate(result, 3).date == date(2018, 2, 28)
    assert not rate(evaluate(broken, as_of="2018-01-31"), 3).triggered


def test_months_not_wholly_inside_the_project_or_not_yet_ended_are_not_counted():
    result = evaluate(group(2, 3), as_of="2017-10-15", project_start=date(2017, 8, 15))
    assert [m.month for m in result.status.months] == ["2017-09"]


def test_activities_that_are_not_company_directed_and_group_2_members_do_not_count():
    citizens = [member(0, activities=[("mentor", "2017-09-01", "2017-12-31")])]
    citizens += [
        member(
            1, visits=[("2017-09-01", "2")], activities=[("virksomhedspraktik", "2017-09-01", "2017-12-31")]
        )
    ]
    assert months_of(evaluate(citizens))["2017-10"] == (1, 0, False)


def test_min_activity_days_is_a_parameter():
    one_day = [member(0, activities=[("ordinaere_timer", "2017-10-10", "2017-10-10")])]
    assert months_of(evaluate(one_day))["2017-10"][1] == 1
    assert months_of(evaluate(one_day, overrides={"min_activity_days": 2}))["2017-10"][1] == 0


def test_a_member_not_active_in_a_month_is_not_in_its_effort_group():
    gone = [member(0, exit_support=("foertidspension", "2017-10-01"))]
    result = months_of(evaluate(gone))
    assert result["2017-09"][0] == 1 and result["2017-10"][0] == 0 and result["2017-10"][2] is False


def test_needed_says_how_many_more_members_in_activity_the_month_lacked():
    result = evaluate(group(3, 7 + 10))
    october = next(m for m in result.status.months if m.month == "2017-10")
    assert october.needed == ceil(Decimal("0.4") * 20) - 3 == 5


def test_rate_2_triggers_on_the_first_day_everyone_active_is_visitated_and_udskudt_counts():
    citizens = [member(0, visits=[("2017-09-01", "1")]), member(1, visits=[("2017-10-05", "udskudt")])]
    assert rate(evaluate(citizens), 2).date == date(2017, 10, 5)


def test_rate_2_cannot_trigger_before_the_project_starts():
    assert rate(evaluate([member(0, visits=[("2017-03-01", "1")])]), 2).date == PROJECT_START


def test_a_member_who_exits_unvisitated_stops_blocking_rate_2_unless_everyone_must_be_visitated():
    citizens = [member(0), member(1, visits=(), exit_support=("foertidspension", "2017-12-01"))]
    assert rate(evaluate(citizens), 2).date == date(2017, 12, 1)
    all_members = evaluate(citizens, overrides={"rate2_population": "all"})
    assert not rate(all_members, 2).triggered
    assert rate(all_members, 2).blocked_by["citizens"] == ["member-0001"]


def test_rate_2_not_triggered_names_exactly_the_citizens_still_missing_and_ignores_later_visitations():
    citizens = [member(0), member(1, visits=[("2018-05-01", "2")]), member(2, visits=())]
    result = rate(evaluate(citizens, as_of="2018-03-02"), 2)
    assert not result.triggered
    assert result.blocked_by["citizens"] == ["member-0001", "member-0002"]


def test_rate_1_triggers_on_approval_only_once_approved():
    assert rate(evaluate([member(0)], as_of="2017-06-01"), 1).date == date(2017, 6, 1)
    assert not rate(evaluate([member(0)], as_of="2017-05-31"), 1).triggered


def test_aalborgs_grant_splits_into_the_seeds_three_rates():
    assert [r.amount for r in evaluate([member(0)]).status.rates] == [
        Decimal("3524700.00"),
        Decimal("4699600.00"),
        Decimal("3524700.00"),
    ]


@given(st.decimals(min_value=0, max_value=Decimal("100000000"), places=2))
def test_the_three_rates_always_add_up_to_the_grant_to_the_ore(amount):
    first, second, third = split_grant(amount, PACK.parameters_at(date(2018, 1, 1)))
    assert first + second + third == amount
    assert first == (amount * Decimal("0.3")).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert all(part.as_tuple().exponent >= -2 for part in (first, second, third))


@pytest.mark.parametrize(
    ("citizen", "status"),
    [
        (dict(died_on="2018-01-01"), "doed"),
        (dict(moved_out_on="2017-06-01"), "fraflyttet"),
        (dict(moved_out_on="2017-06-01", died_on="2018-01-01"), "doed"),
        (dict(exit_support=("fleksjob", "2017-06-01")), "fleksjob_ledighedsydelse"),
        (dict(exit_support=("ledighedsydelse", "2017-06-01")), "fleksjob_ledighedsydelse"),
        (dict(exit_support=("selvforsoergende", "2017-06-01")), "arbejde_uddannelse"),
        (dict(exit_support=("foertidspension", "2017-06-01")), "foertidspension"),
    ],
)
def test_a_member_no_longer_active_gets_the_exit_status_of_spec_section_4(citizen, status):
    assert evaluate([member(0, **citizen)], as_of="2018-03-02").status.exits == {status: 1}


def test_a_member_whose_support_simply_ends_is_ingen_registrering():
    ended = member(0).model_copy(
        update={"support": (member(0, exit_support=("dagpenge", "2017-06-01")).support[0],)}
    )
    assert evaluate([ended], as_of="2018-03-02").status.exits == {"ingen_registrering": 1}


def test_a_member_who_moved_out_and_back_stays_fraflyttet():
    back = CitizenTimeline.model_validate(
        {
            **member(0).model_dump(by_alias=True),
            "residence": [
                {"municipality": K, "from": "2000-01-01", "to": "2017-05-31"},
                {"municipality": "101", "from": "2017-06-01", "to": "2017-08-31"},
                {"municipality": K, "from": "2017-09-01", "to": None},
            ],
        }
    )
    assert evaluate([back], as_of="2018-03-02").status.exits == {"fraflyttet": 1}


def test_visitation_counts_active_members_by_their_latest_group_on_the_as_of_date():
    citizens = [
        member(0, visits=[("2017-09-01", "2"), ("2018-01-01", "1")]),
        member(1, visits=[("2018-04-01", "3")]),
        member(2, visits=[("2017-09-01", "udskudt")]),
    ]
    result = evaluate(citizens, as_of="2018-03-02").status
    assert result.visitation == {"1": 1, "2": 0, "3": 0, "udskudt": 1, "mangler": 1}


def test_rate_traces_name_their_rules_facts_parameters_and_sources():
    result = evaluate(group(2, 3))
    rate3 = result.rates[2]
    october = next(e for e in rate3.trace if e.subject == "2017-10")
    assert october.rule == "fsm1.rate3.month_qualifies" and october.parameters["rate3_share"] == Decimal(
        "0.40"
    )
    assert october.facts == {"month": "2017-10", "effort_group": 5, "in_activity": 2}
    assert "40 %" in october.source.quote
    assert {e.rule for e in result.rates[1].trace} == {
        "fsm1.rate2.within_project",
        "fsm1.rate2.whole_group_visitated",
    }


def test_the_synthetic_aalborg_reproduces_seed_002_and_is_deterministic():
    place = municipality("851")
    first = evaluate_municipality(PACK, place.grant, place.citizens, date(2018, 3, 2), engine=Runner()).status
    again = evaluate_municipality(PACK, place.grant, place.citizens, date(2018, 3, 2), engine=Runner()).status
    assert (first.members, first.active, first.exits) == (1220, 969, AALBORG_EXITS)
    assert first.visitation == {"1": 473, "2": 293, "3": 143, "udskudt": 50, "mangler": 10}
    assert first.rates[1].blocked_by["not_visitated"] == 10
    assert first.model_dump(mode="json") == again.model_dump(mode="json")
