"""The distance to each rate: the visitation rate's list is the rules' own and visitating it reaches
the rate; a month's need is exactly how many of the month's idle effort-group members must be given
activity for it to qualify; the run of months left; FSM2's ladder; the edges of the project; CPR
masked; `fsm distance` prints the same; and all of it on both databases for a stored run."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.simulate.api import EVERY, Invalid, distance_document, distance_of, simulate_document
from engine.faces.simulate.distance import Distance, distance, distance_json
from engine.faces.simulate.evaluator import Evaluator
from engine.faces.simulate.simulation import simulate
from engine.faces.simulate.terms import terms_of
from engine.rules.pack import get_pack
from engine.runs.results import get_run, statuses
from tests.fsm2_timelines import GRANT as FSM2_GRANT
from tests.fsm2_timelines import participant
from tests.simulations import base_of, header, scenario
from tests.test_rate_edges import evaluate, member

FSM1, FSM2 = get_pack("fsm1"), get_pack("fsm2")


def distance_in_memory(citizens, as_of: date, programme: str = "fsm1", grant=None) -> Distance:
    base = base_of(citizens, grant, as_of)
    return distance(base, as_of, terms_of(programme), Evaluator(get_pack(programme), base))


# -- the visitation rate ---------------------------------------------------------------------------


def test_the_visitation_rate_waits_for_the_runs_own_list_and_visitating_it_reaches_the_rate(
    stored_runs: Engine,
):
    found = distance_of("851", database=stored_runs, municipalities=EVERY, run=1)
    with Session(stored_runs) as session:
        (stored,) = statuses(session, get_run(session, 1), "851")
    waiting = found.visitation.waiting
    assert [w.citizen_id for w in waiting] == stored.rates[1].blocked_by["citizens"] and waiting
    assert {(w.status, w.group) for w in waiting} == {(None, "mangler")}  # rate2_population: active
    assert (found.visitation.deadline, found.visitation.days_left) == (date(2019, 8, 31), 547)
    assert found.rates == tuple(stored.rates)
    document = {"municipality": "851", "base": 1, "as_of": "2018-03-02"}
    visit = {"op": "visitate", "date": "2018-03-02", "group": "udskudt"}
    ids = [w.citizen_id for w in waiting]
    everyone = simulate_document(
        {**document, "changes": [{**visit, "citizens": ids}]}, database=stored_runs, municipalities=EVERY
    )
    assert everyone["scenario"]["rates"][1] | {"blocked_by": None} == {
        "rate": 2,
        "triggered": True,
        "date": "2018-03-02",
        "amount": "4699600.00",
        "blocked_by": None,
    }
    all_but_one = simulate_document(
        {**document, "changes": [{**visit, "citizens": ids[1:]}]}, database=stored_runs, municipalities=EVERY
    )
    assert all_but_one["scenario"]["rates"][1]["blocked_by"]["citizens"] == [found_masked(ids[0])]


def found_masked(citizen: str) -> str:
    return f"{citizen[:6]}-xxxx"


def test_the_list_names_whom_the_rate_waits_for_with_their_status_when_every_member_must_be_visitated():
    citizens = [
        member(0, visits=()),
        member(1, visits=(), exit_support=("foertidspension", "2017-10-01")),
        member(2),
    ]
    base = base_of(citizens, as_of=date(2018, 3, 2))
    day = date(2018, 3, 2)
    active = distance(base, day, terms_of("fsm1"), Evaluator(FSM1, base))
    assert [(w.citizen_id, w.status, w.group) for w in active.visitation.waiting] == [
        ("member-0000", None, "mangler")
    ]
    every = distance(base, day, terms_of("fsm1"), Evaluator(FSM1, base), {"rate2_population": "all"})
    assert [(w.citizen_id, w.status) for w in every.visitation.waiting] == [
        ("member-0000", None),
        ("member-0001", "foertidspension"),
    ]


# -- the monthly share -----------------------------------------------------------------------------


def effort_group(busy: int, idle: int) -> list:
    """Members in group 1 from 2017-09-01; the first `busy` in work placement all of October 2017."""
    return [
        member(n, activities=[("virksomhedspraktik", "2017-10-01", "2017-10-31")] if n < busy else ())
        for n in range(busy + idle)
    ]


@settings(max_examples=15, deadline=None)
@given(busy=st.integers(0, 6), idle=st.integers(1, 9))
def test_a_months_need_is_exactly_how_many_of_its_idle_members_must_be_given_activity(busy, idle):
    as_of = date(2017, 10, 15)
    found = distance_in_memory(effort_group(busy, idle), as_of)
    october = found.months[0]
    assert (found.month, october.month, october.effort_group, october.in_activity) == (
        "2017-10",
        "2017-10",
        busy + idle,
        busy,
    )
    (need,) = october.needs
    assert need.step.rule == "fsm1.rate3.month_qualifies" and need.step.share == Decimal("0.40")
    assert [i.citizen_id for i in found.idle] == [f"member-{n:04d}" for n in range(busy, busy + idle)]
    assert {(i.group, i.activity_days, i.active) for i in found.idle} == {("1", 0, True)}

    def october_qualifies(given: int) -> bool:
        return _qualifies(effort_group(busy, idle), [i.citizen_id for i in found.idle[:given]])

    assert october_qualifies(need.more)
    if need.more:
        assert not october_qualifies(need.more - 1)


def _qualifies(citizens, given: list[str]) -> bool:
    """Whether October 2017 qualifies once the `given` members have three days of activity in it."""
    if given:
        names = ", ".join(given)
        change = f"  - {{op: add_activity, citizens: [{names}], activity: loentilskud, from: 2017-10-20, days: 3}}\n"
        result = simulate(scenario(header("2017-10-31") + change), base_of(citizens)).result
    else:
        result = evaluate(citizens, as_of="2017-10-31")
    (october,) = [m for m in result.status.months if m.month == "2017-10"]
    return october.qualifies


def test_the_run_of_months_so_far_and_the_months_left_to_complete_one():
    two_busy = [
        member(
            n,
            visits=[("2017-08-01", "1")],
            activities=[("loentilskud", "2017-09-01", "2017-10-31")] if n < 2 else (),
        )
        for n in range(5)
    ]
    found = distance_in_memory(two_busy, date(2017, 11, 5))
    run = found.run
    assert (run.step.months, run.so_far, run.still_needed, run.months_left, run.last_start, run.possible) == (
        3,
        2,
        1,
        22,
        "2019-06",
        True,
    )
    late = distance_in_memory(two_busy, date(2019, 7, 15))
    assert (late.run.so_far, late.run.months_left, late.run.last_start, late.run.possible) == (
        0,
        2,
        None,
        False,
    )
    assert [m.month for m in late.months] == ["2019-07", "2019-08"]


def test_before_the_project_and_after_it():
    citizens = effort_group(1, 3)
    before = distance_in_memory(citizens, date(2017, 7, 1))
    assert before.visitation.waiting == () and before.visitation.reason == "the project starts on 2017-08-01"
    assert len(before.months) == 25 and before.month is None and before.idle == ()
    after = distance_in_memory(citizens, date(2019, 12, 31))
    assert (after.visitation.days_left, after.months, after.month, after.idle) == (0, (), None, ())
    assert after.run.months_left == 0 and not after.run.possible


# -- FSM2 ------------------------------------------------------------------------------------------


def test_fsm2_has_no_visitation_rate_and_a_ladder_of_two_steps_each_month_ahead_lacks():
    twenty = [participant(citizen_id=f"p{n:02d}") for n in range(20)]
    found = distance_in_memory(twenty, date(2020, 6, 30), "fsm2", FSM2_GRANT)
    assert found.visitation is None and found.run is None
    assert [(s.rule, s.share, s.months, s.pays, s.reached) for s in found.steps] == [
        ("fsm2.rate2.first_step", Decimal("0.15"), 1, Decimal("894029.60"), False),
        ("fsm2.rate2.full_step", Decimal("0.20"), 1, Decimal("1117537.00"), False),
    ]
    assert found.months[0].month == "2020-07" and found.months[-1].month == "2021-12"
    assert {tuple(n.more for n in m.needs) for m in found.months} == {(3, 4)}
    assert found.month == "2020-06" and len(found.idle) == 20
    three_worked = [
        participant(
            citizen_id=f"p{n:02d}",
            activities=[["ordinaere_timer", date(2020, 3, 1), date(2020, 3, 10)]] if n < 3 else [],
        )
        for n in range(20)
    ]
    reached = distance_in_memory(three_worked, date(2020, 6, 30), "fsm2", FSM2_GRANT)
    assert [s.reached for s in reached.steps] == [True, False]
    assert {tuple((n.step.rule, n.more) for n in m.needs) for m in reached.months} == {
        (("fsm2.rate2.full_step", 4),)
    }


# -- as JSON, in the terminal, on both databases ---------------------------------------------------


def test_the_json_masks_cpr_numbers_unless_full_ones_are_asked_for(stored_runs: Engine):
    masked = distance_document("851", database=stored_runs, municipalities={"851"}, run=1)
    full = distance_document("851", database=stored_runs, municipalities={"851"}, run=1, full_cpr=True)
    waiting = [c["citizen"] for c in full["visitation"]["citizens"]]
    assert [c["citizen"] for c in masked["visitation"]["citizens"]] == [found_masked(c) for c in waiting]
    assert [i["citizen"] for i in masked["idle"]] == [found_masked(i["citizen"]) for i in full["idle"]]
    assert all(c[7:] != "xxxx" for c in waiting)
    assert masked["months"][0] == {
        "month": "2018-03",
        "effort_group": masked["months"][0]["effort_group"],
        "in_activity": masked["months"][0]["in_activity"],
        "needs": [
            {
                "step": "fsm1.rate3.month_qualifies",
                "more": masked["months"][0]["needs"][0]["more"],
                "pays": "3524700.00",
            }
        ],
    }
    later = distance_document(
        "851", database=stored_runs, municipalities={"851"}, run=1, as_of=date(2018, 9, 30)
    )
    assert later["as_of"] == "2018-09-30" and later["base"] == {
        "run": 1,
        "delivery": 1,
        "run_as_of": "2018-03-02",
    }
    assert later["months"][0]["month"] == "2018-10"


def test_fsm_distance_prints_the_document_and_words_and_fails_in_one_line(stored_runs: Engine):
    env = {"DATABASE_URL": stored_runs.url.render_as_string(hide_password=False), "COLUMNS": "160"}
    runner = CliRunner()
    printed = runner.invoke(app, ["distance", "-m", "851", "--run", "1", "--json"], env=env)
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == distance_document(
        "851", database=stored_runs, municipalities=EVERY, run=1
    )
    words = runner.invoke(app, ["distance", "-m", "851", "--run", "1"], env=env)
    assert (
        words.exit_code == 0
        and "members are still to be visitated, by 31 August 2019 (547 days left)" in words.stdout
    )
    danish = runner.invoke(app, ["distance", "-m", "851", "--run", "1", "--lang", "da"], env=env)
    assert danish.exit_code == 0 and "mangler stadig at blive visiteret" in danish.stdout
    for args, message in (
        (["--run", "9"], "error: distance, base: there is no run 9\n"),
        (
            ["--programme", "fsm3"],
            "error: distance, programme: the simulation knows fsm1, fsm2, not 'fsm3' yet\n",
        ),
        (["-m", "999"], "error: distance, municipality: municipality 999 has no grant in the base data\n"),
    ):
        refused = runner.invoke(app, ["distance", "-m", "851", *args], env=env)
        assert (refused.exit_code, refused.stdout, refused.stderr) == (2, "", message)


def test_a_distance_of_another_programme_than_the_run_is_a_problem(stored_runs: Engine):
    with pytest.raises(Invalid, match="no fsm2 run has finished yet"):
        distance_of("657", database=stored_runs, municipalities=EVERY, programme="fsm2")


def test_the_distance_as_json_is_plain_data():
    found = distance_in_memory(effort_group(1, 3), date(2018, 3, 2))
    document = distance_json(found)
    assert json.loads(json.dumps(document)) == document
    assert document["project"] == {"first": "2017-08-01", "last": "2019-08-31"}
    assert document["visitation"]["still_to_visitate"] == 0 and document["rates"][1]["triggered"]
    assert date.fromisoformat(document["as_of"]) + timedelta(
        days=document["visitation"]["days_left"]
    ) == date(2019, 8, 31)
