"""FSM2's payout (SPEC section 6): rate 1 on approval, rate 2 as a ladder on the best month so far —
at 14.99 %, 15 %, 19.99 % and 20 % exactly — and the grant-years schedule with its warning."""

from datetime import date
from decimal import Decimal

import pytest

from engine.rules.pack import get_pack
from engine.rules.programmes import fsm2
from engine.rules.programmes.fsm2 import Contribution
from engine.rules.runner import Runner
from tests.fsm2_timelines import GRANT, GRANT_YEARS

PACK = get_pack("fsm2")
DECEMBER, JANUARY = 0, 1  # the bits of the project's first two months (Municipality.months)
RATE1 = Decimal("1117537.00")  # 50 % of 2,235,074.00
FIRST_STEP = Decimal("894029.60")  # 40 % of the grant
REST = Decimal("1117537.00")  # the grant less rate 1


def members(effort: int, counted: int, month: int = DECEMBER) -> list[Contribution]:
    """`effort` members of the effort group in `month`, the first `counted` of them counted."""
    return [
        Contribution(
            True,
            group="indsats",
            effort_months=1 << month,
            counted_months=1 << month if i < counted else 0,
        )
        for i in range(effort)
    ]


def concluded(contributions, as_of=date(2019, 12, 31), grant=GRANT, grant_years=GRANT_YEARS):
    place = fsm2.prepare(PACK, grant, as_of, grant_years=grant_years, engine=Runner())
    return fsm2.conclude(place, contributions)


@pytest.mark.parametrize(
    ("counted", "triggered", "amount"),
    [(1499, False, Decimal("0.00")), (1500, True, FIRST_STEP), (1999, True, FIRST_STEP), (2000, True, REST)],
    ids=["14.99 %", "15 %", "19.99 %", "20 %"],
)
def test_rate_2_is_a_ladder_on_the_month_share_compared_exactly(counted, triggered, amount) -> None:
    status = concluded(members(10_000, counted)).status
    rate2 = status.rates[1]
    assert (rate2.rate, rate2.triggered, rate2.amount) == (2, triggered, amount)
    assert rate2.date == (date(2019, 12, 31) if triggered else None)
    assert status.months[0].qualifies is triggered


def test_below_the_first_step_rate_2_pays_nothing_and_says_that_this_is_an_assumption() -> None:
    result = concluded(members(10_000, 1499))
    rate2 = result.status.rates[1]
    assert (
        "assumption" in rate2.blocked_by["assumption"]
        and "rate2_below_first_step_payout" in rate2.blocked_by["assumption"]
    )
    assert rate2.blocked_by["months"] == [{"month": "2019-12", "needed": 1, "effort_group": 10_000}]
    entries = result.rates[1].trace
    assert {e.rule for e in entries} == {"fsm2.rate2.first_step", "fsm2.rate2.full_step"}
    assert all(
        e.parameters.get("rate2_below_first_step_payout", Decimal(0)) == Decimal("0.00") for e in entries
    )


def test_at_the_first_step_rate_2_says_how_many_more_the_full_step_needs() -> None:
    rate2 = concluded(members(10_000, 1999)).status.rates[1]
    assert rate2.blocked_by["months"] == [{"month": "2019-12", "needed": 1, "effort_group": 10_000}]
    assert [s["reached_in"] for s in rate2.blocked_by["steps"]] == [None, "2019-12"]


def test_each_step_is_triggered_by_the_first_month_that_reaches_it_and_a_weaker_month_later_takes_nothing_back() -> (
    None
):
    december = members(100, 16)  # 16 %: the first step
    january = members(100, 21, JANUARY)  # 21 %: the whole rest
    february = members(100, 2, JANUARY + 1)
    status = concluded(december + january + february, as_of=date(2020, 2, 29)).status
    rate2 = status.rates[1]
    assert (rate2.triggered, rate2.date, rate2.amount, rate2.blocked_by) == (
        True,
        date(2020, 1, 31),
        REST,
        None,
    )
    assert [m.qualifies for m in status.months] == [True, True, False]
    assert sum(rate.amount for rate in status.rates) == GRANT.amount


def test_a_month_without_an_effort_group_has_no_share_and_reaches_no_step() -> None:
    status = concluded([Contribution(True, group="mangler")]).status
    assert status.months[0].effort_group == 0 and not status.months[0].qualifies
    assert not status.rates[1].triggered


def test_rate_1_is_half_the_grant_and_triggered_on_approval() -> None:
    status = concluded(members(10, 0)).status
    assert (status.rates[0].triggered, status.rates[0].date, status.rates[0].amount) == (
        True,
        date(2019, 11, 29),
        RATE1,
    )
    later = GRANT.model_copy(update={"approved_on": date(2020, 1, 15)})
    assert not concluded(members(10, 0), grant=later).status.rates[0].triggered


def test_a_schedule_of_grant_years_that_does_not_add_up_to_the_grant_is_a_warning_not_an_error() -> None:
    status = concluded(members(10, 0)).status
    assert [(y.year, y.amount) for y in status.grant_years] == [
        (2019, Decimal("631215.00")),
        (2020, Decimal("858805.00")),
        (2021, Decimal("745053.00")),
    ]
    assert status.warnings == [
        "the grant's years add up to 2,235,073.00 kr, not to the grant of 2,235,074.00 kr (difference 1.00 kr)"
    ]
    fixed = [*GRANT_YEARS[:2], GRANT_YEARS[2].model_copy(update={"amount": Decimal("745054.00")})]
    assert concluded(members(10, 0), grant_years=fixed).status.warnings == []
