"""FSM1 membership scenarios (tests/scenarios/fsm1.<rule id>.yaml), one per sentence a domain expert can check.

Every scenario runs through the real path: pack → parameters (with its overrides) → facts → compiled
ruleset → durable-rules → decision with trace. The pytest id of each case is the scenario's sentence.
"""

from typing import Any

import pytest

from engine.rules.pack import get_pack
from engine.rules.programmes.fsm1 import decide_citizen
from engine.rules.runner import Runner
from tests.fsm1_timelines import AALBORG, MEMBERSHIP_RULES, load_scenarios, scenario_files, timeline

FIELDS = {"name", "timeline", "municipality", "overrides", "member", "failed_rules", "facts", "xfail"}


def _cases() -> list[Any]:
    cases = []
    for path in scenario_files():
        for scenario in load_scenarios(path):
            marks = [pytest.mark.xfail(reason=scenario["xfail"], strict=True)] if "xfail" in scenario else []
            cases.append(pytest.param(path.stem, scenario, id=scenario["name"], marks=marks))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def engine() -> Runner:
    return Runner()


@pytest.mark.parametrize(("rule_id", "scenario"), CASES)
def test_scenario(rule_id: str, scenario: dict[str, Any], engine: Runner) -> None:
    decision = decide_citizen(
        timeline(**scenario.get("timeline", {})),
        scenario.get("municipality", AALBORG),
        get_pack("fsm1"),
        overrides=scenario.get("overrides"),
        engine=engine,
    )
    assert (decision.outcome, decision.failed_rules) == (scenario["member"], scenario["failed_rules"])
    assert [entry.rule for entry in decision.trace] == list(MEMBERSHIP_RULES)
    seen = {name: value for entry in decision.trace for name, value in entry.facts.items()}
    for name, expected in scenario.get("facts", {}).items():
        assert seen[name] == expected, f"fact {name}"


def test_every_scenario_file_names_a_membership_rule_and_every_scenario_is_well_formed() -> None:
    names = []
    for path in scenario_files():
        assert path.stem in MEMBERSHIP_RULES, f"{path.name} names no membership rule"
        for scenario in load_scenarios(path):
            assert set(scenario) <= FIELDS, f"{path.name}: unknown keys {set(scenario) - FIELDS}"
            assert {"name", "member", "failed_rules"} <= set(scenario), path.name
            assert scenario["member"] == (scenario["failed_rules"] == []), scenario["name"]
            assert all(rule in MEMBERSHIP_RULES for rule in scenario["failed_rules"]), scenario["name"]
            names.append(scenario["name"])
    assert len(names) == len(set(names)), "scenario sentences must be unique (they are the test ids)"


def test_every_membership_rule_file_has_a_scenario_where_its_rule_fails_and_one_where_the_citizen_is_a_member() -> (
    None
):
    for path in scenario_files():
        scenarios = [s for s in load_scenarios(path) if "xfail" not in s]
        assert any(path.stem in s["failed_rules"] for s in scenarios), f"{path.name}: its rule never fails"
        assert any(s["member"] for s in scenarios), f"{path.name}: no passing scenario"


def test_failed_rules_in_every_scenario_are_listed_in_the_order_of_the_rule_pack() -> None:
    for path in scenario_files():
        for scenario in load_scenarios(path):
            failed = scenario["failed_rules"]
            assert failed == sorted(failed, key=MEMBERSHIP_RULES.index), scenario["name"]
