"""Baseline against scenario: attribution of each difference to a change, the money, the JSON
document's shape, determinism (the same scenario gives the same bytes) and masked CPR numbers."""

import io
import json
import random
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from engine.faces.render import masked_status
from engine.faces.simulate import document, tables, text
from engine.faces.simulate.simulation import simulate
from engine.rules.pack import get_pack
from engine.rules.programmes import evaluate_municipality
from engine.synthetic.aalborg import municipality
from models.status import MunicipalityStatus
from tests.simulations import base_of, header, scenario, simulated
from tests.test_rate_edges import member

BUSY_35 = [member(i, activities=[("loentilskud", "2018-01-01", "2018-03-31")]) for i in range(7)]
BUSY_35 += [member(100 + i) for i in range(13)]  # 7 of 20 in activity: 35 %
PLACE = municipality("851", members=60, non_members=10)


def test_a_decision_is_attributed_to_the_change_from_which_on_it_differs_and_later_moves_are_named():
    found = simulated(
        """
        - {op: add_activity, count: 1, activity: virksomhedspraktik, from: 2018-04-01, to: 2018-06-30}
        - {op: add_activity, count: 1, activity: virksomhedspraktik, from: 2018-01-01, to: 2018-03-31}
        - {op: set_parameter, name: rate3_share, value: 0.35}
        """,
        BUSY_35,
    )
    rates = {r.rate: r for r in found.result.status.rates}
    assert (rates[3].triggered, rates[3].date) == (True, date(2018, 3, 31))
    (rate3,) = [d for d in found.differences if d.decision == "fsm1.rate3"]
    assert rate3.baseline == {"triggered": False, "date": None, "amount": "3524700.00"}
    assert rate3.scenario == {"triggered": True, "date": "2018-03-31", "amount": "3524700.00"}
    assert (rate3.change.index, rate3.change.line) == (1, 7)  # 8 of 20 = 40 % from January on
    assert [ref.index for ref in rate3.then_changed_by] == []
    april = next(d for d in found.differences if d.subject == "2018-04")
    assert (
        april.change.index == 0 and april.baseline["in_activity"] == 0 and april.scenario["in_activity"] == 1
    )


def test_a_difference_undone_by_a_later_change_is_none_and_one_that_returns_is_attributed_to_its_return():
    undone = simulated(
        """
        - {op: set_parameter, name: rate3_share, value: 0.35}
        - {op: set_parameter, name: rate3_share, value: 0.40}
        """,
        BUSY_35,
    )
    assert undone.differences == () and [p.difference for p in undone.payouts] == [0, 0, 0, 0]
    returned = simulated(
        """
        - {op: set_parameter, name: rate3_share, value: 0.35}
        - {op: set_parameter, name: rate3_share, value: 0.40}
        - {op: set_parameter, name: rate3_share, value: 0.30}
        """,
        BUSY_35,
    )
    assert {(d.decision, d.change.index) for d in returned.differences} == {
        ("fsm1.rate3", 2),
        ("fsm1.rate3.month_qualifies", 2),
    }
    moved = simulated(
        """
        - {op: set_parameter, name: rate3_share, value: 0.35}
        - {op: set_parameter, name: rate3_months, value: 2}
        """,
        BUSY_35,
    )
    (rate3,) = [d for d in moved.differences if d.decision == "fsm1.rate3"]
    assert rate3.change.index == 0 and [r.index for r in rate3.then_changed_by] == [1]
    assert rate3.scenario["date"] == "2018-02-28"


def test_a_month_is_attributed_to_the_change_that_made_its_qualification_differ_not_its_counts():
    found = simulated(
        """
        - {op: move_group, citizens: [member-0100], date: 2018-01-01, group: '2'}
        - {op: set_parameter, name: rate3_share, value: 0.35}
        """,
        BUSY_35,
    )
    january = next(d for d in found.differences if d.subject == "2018-01")
    assert january.baseline == {"effort_group": 20, "in_activity": 7, "qualifies": False}
    assert january.scenario == {"effort_group": 19, "in_activity": 7, "qualifies": True}
    assert january.change.index == 1 and january.then_changed_by == ()
    april = next(d for d in found.differences if d.subject == "2018-04")
    assert april.scenario["qualifies"] is april.baseline["qualifies"] is False
    assert april.change.index == 0  # only its effort group differs, since the move


def test_the_money_difference_per_rate_and_in_total_is_exact_and_the_json_has_it_as_strings():
    found = simulated(
        """
        - {op: set_parameter, name: rate1_share, value: 0.3333}
        - {op: set_parameter, name: rate3_share, value: 0.35}
        """,
        BUSY_35,
    )
    before = [p.baseline for p in found.payouts]
    after = [p.scenario for p in found.payouts]
    assert before == [Decimal("3524700.00"), Decimal("4699600.00"), 0, Decimal("8224300.00")]
    assert after == [
        Decimal("3915941.70"),
        Decimal("4699600.00"),
        Decimal("3133458.30"),
        Decimal("11749000.00"),
    ]
    assert [p.difference for p in found.payouts] == [
        Decimal("391241.70"),
        0,
        Decimal("3133458.30"),
        Decimal("3524700.00"),
    ]
    money = document.document(found)["money"]
    assert money["total"] == {"baseline": "8224300.00", "scenario": "11749000.00", "difference": "3524700.00"}
    assert money["rates"][0] == {
        "rate": 1,
        "baseline": "3524700.00",
        "scenario": "3915941.70",
        "difference": "391241.70",
    }


def test_baseline_and_scenario_have_the_shape_of_fsm_status_json_and_the_baseline_is_the_plain_evaluation():
    found = simulate(
        scenario(header() + "  - {op: visitate, count: 3, date: 2018-03-15, group: '1'}\n"),
        base_of(PLACE.citizens, PLACE.grant),
    )
    shown = json.loads(document.dumps(found))
    assert list(shown) == [
        "simulation",
        "baseline",
        "scenario",
        "differences",
        "money",
        "changes",
        "warnings",
        "forecast",
    ]
    pack = get_pack("fsm1")
    plain = evaluate_municipality(pack, PLACE.grant, PLACE.citizens, date(2019, 8, 31))
    assert shown["baseline"] == masked_status(plain.status)
    for status in (shown["baseline"], shown["scenario"]):
        assert set(status) == set(MunicipalityStatus.model_fields)
        assert MunicipalityStatus.model_validate(status).municipality == "851"
    assert shown["changes"][0]["change"] == {
        "op": "visitate",
        "count": "3",
        "date": "2018-03-15",
        "group": "1",
        "only_active": False,
    }
    for difference in shown["differences"]:
        assert set(difference) >= {"decision", "subject", "baseline", "scenario", "change", "then_changed_by"}
        assert set(difference["change"]) == {"index", "op", "line"} and difference["change"]["line"] == 6


@settings(deadline=None, max_examples=8)
@given(st.integers(1, 12), st.integers(0, 2**32), st.sampled_from(["2018-01-15", "2018-06-01"]))
def test_the_same_scenario_gives_byte_identical_json_whatever_order_the_citizens_come_in(count, seed, day):
    text_ = header() + f"  - {{op: visitate, count: {count}, date: {day}, group: '1'}}\n"
    text_ += f"  - {{op: add_activity, count: {count}, activity: loentilskud, from: {day}, days: 45}}\n"
    shuffled = list(PLACE.citizens)
    random.Random(seed).shuffle(shuffled)
    first = document.dumps(simulate(scenario(text_), base_of(PLACE.citizens, PLACE.grant)))
    again = document.dumps(simulate(scenario(text_), base_of(shuffled, PLACE.grant)))
    assert first == again


def test_cpr_numbers_are_masked_in_json_text_and_tables_unless_asked_for():
    found = simulate(
        scenario(header() + "  - {op: exit, count: 4, date: 2018-03-15, reason: doed}\n"),
        base_of(PLACE.citizens, PLACE.grant),
    )
    picked = found.steps[0].citizens
    assert len(picked) == 4 and all(len(c) == 11 and c[6] == "-" for c in picked)
    console = Console(file=io.StringIO(), width=200)
    text.show(console, found)
    cells = json.dumps([s.rows for s in tables.sheets(found)], default=str)
    for masked in (document.dumps(found), console.file.getvalue(), cells):
        assert all(c not in masked for c in picked)
        assert all(f"{c[:6]}-xxxx" in masked for c in picked)
    full = document.dumps(found, full_cpr=True)
    assert all(c in full for c in picked)
    assert all(
        c in json.dumps([s.rows for s in tables.sheets(found, full_cpr=True)], default=str) for c in picked
    )
