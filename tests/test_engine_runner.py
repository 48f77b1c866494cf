"""The durable-rules runner: several facts evaluated together are decided rule by rule, each rule
once per distinct vector of the facts it looks at, and agree with all rules posted in one session."""

import gc
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rules.decide import compiled
from engine.rules.pack import get_pack
from engine.rules.runner import Firing, Runner

PACK = get_pack("fsm1")
AS_OF = date(2018, 3, 2)
PARAMS = PACK.parameters_at(AS_OF, "851")
RATE2 = compiled(PACK, "fsm1.rate2", PARAMS, AS_OF)
RATE3 = compiled(PACK, "fsm1.rate3", PARAMS, AS_OF)
START, END = date(2017, 8, 1), date(2018, 3, 2)
RULE_BY_RULE = Runner()


def candidate_day(idx: int, offset: int, must: int, missing: int) -> dict:
    return {
        "idx": idx,
        "day": START + timedelta(days=offset),
        "project_start": START,
        "period_end": END,
        "must_be_visitated": must,
        "not_visitated": min(missing, must),
    }


days = st.lists(
    st.tuples(st.integers(-30, 250), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=12
).map(lambda found: [candidate_day(i, *values) for i, values in enumerate(found)])


def verdicts(firings: list[Firing]) -> set[tuple[str, bool, tuple]]:
    return {(f.rule, f.passed, f.keys) for f in firings}


@settings(max_examples=40, deadline=None)
@given(days)
def test_rule_by_rule_agrees_with_every_rule_posted_in_one_session(facts):
    """The memo of RULE_BY_RULE outlives the examples: later ones mostly meet known vectors."""
    one_session = Runner()._session(RATE2, facts)
    assert verdicts(RULE_BY_RULE.evaluate(RATE2, facts)) == verdicts(one_session)
    assert len(one_session) == len(RATE2.rules) * len(facts)


def test_each_rule_sees_only_its_own_facts():
    assert RATE2.rule_facts == {
        "fsm1.rate2.within_project": ("day", "period_end", "project_start"),
        "fsm1.rate2.whole_group_visitated": ("not_visitated",),
    }


def test_vectors_met_before_are_not_posted_again(monkeypatch):
    runner = Runner()
    first = [candidate_day(0, 10, 3, 2), candidate_day(1, 20, 3, 0)]
    runner.evaluate(RATE2, first)
    posted: list[int] = []
    session = runner._session
    monkeypatch.setattr(runner, "_session", lambda c, facts: posted.append(len(facts)) or session(c, facts))
    again = [candidate_day(0, 10, 3, 2), candidate_day(1, 30, 4, 0)]  # a new day, a known count
    found = verdicts(runner.evaluate(RATE2, again))
    assert posted == [1]  # within_project: only the new day; whole_group_visitated: no session at all
    assert found == verdicts(Runner()._session(RATE2, again))


def test_a_sequence_rule_is_decided_over_the_facts_together():
    months = [
        {
            "idx": 24217 + i,
            "month": f"2018-0{i + 1}",
            "last_day": date(2018, i + 1, 28),
            "effort_group": 10,
            "in_activity": 4,
        }
        for i in range(3)
    ]
    runs = [f.keys for f in Runner().evaluate(RATE3, months) if f.rule == "fsm1.rate3.consecutive_months"]
    assert runs == [(0, 1, 2)]


MEMBERSHIP_PARAMS = PACK.parameters_at(date(2016, 12, 31), "851")
MEMBERSHIP = compiled(PACK, "fsm1.membership", MEMBERSHIP_PARAMS, date(2016, 12, 31))


def membership_facts(**changed) -> dict:
    facts = {
        "resident_on_cutoff": True,
        "alive_on_cutoff": True,
        "death_date": None,
        "support_on_cutoff": "kontanthjaelp",
        "match_on_cutoff": "aktivitetsparat",
        "window_first_day": date(2011, 12, 31),
        "window_last_day": date(2016, 12, 31),
        "window_first_day_covered": True,
        "longest_break_days": 0,
        "longest_break_first_day": None,
        "longest_break_last_day": None,
        "integration_programme_days_in_window": 0,
        "integration_programme_last_day_in_window": None,
    }
    return {**facts, **changed}


def test_one_citizen_is_decided_rule_by_rule_each_rule_once_per_vector_of_its_own_facts(monkeypatch):
    runner = Runner()
    first = runner.decide_each(MEMBERSHIP, membership_facts())
    posted: list[str] = []
    session = runner._session
    monkeypatch.setattr(runner, "_session", lambda c, facts: posted.append(c.rules[0]) or session(c, facts))
    longer = runner.decide_each(MEMBERSHIP, membership_facts(longest_break_days=29))
    shorter = runner.decide_each(
        MEMBERSHIP, membership_facts(longest_break_days=28, match_on_cutoff="jobparat")
    )
    assert posted == ["fsm1.five_years_on_support", "fsm1.activity_ready", "fsm1.five_years_on_support"]
    assert list(first) == list(MEMBERSHIP.rules) and all(first.values())
    assert [rule for rule, passed in longer.items() if not passed] == ["fsm1.five_years_on_support"]
    assert [rule for rule, passed in shorter.items() if not passed] == ["fsm1.activity_ready"]
    assert runner.decide_each(MEMBERSHIP, membership_facts(longest_break_days=3)) is first  # shared mapping
    assert len(posted) == 4  # longest_break_days 3: five_years_on_support posted once more, nothing else


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.booleans(), st.sampled_from(["aktivitetsparat", "jobparat"])),
        min_size=1,
        max_size=8,
    )
)
def test_rule_by_rule_verdicts_equal_the_whole_ruleset_posted_at_once(citizens):
    runner = Runner()
    for days, covered, match in citizens:
        facts = membership_facts(
            longest_break_days=days, window_first_day_covered=covered, match_on_cutoff=match
        )
        whole = {f.rule: f.passed for f in Runner()._session(MEMBERSHIP, [facts])}
        assert dict(runner.decide_each(MEMBERSHIP, facts)) == whole


def test_sessions_leave_no_cyclic_garbage():
    """durable's own promise makes a self-referencing closure per action: garbage that only the cyclic
    collector frees, ~15 KB a session (and workers once ran with the collector paused)."""
    runner = Runner()
    gc.collect()
    gc.disable()
    try:
        for days in range(300):
            runner.decide_each(MEMBERSHIP, membership_facts(longest_break_days=days))
        assert gc.collect() == 0
    finally:
        gc.enable()
