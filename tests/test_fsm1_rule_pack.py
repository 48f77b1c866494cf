"""The FSM1 rule pack: the facts its membership rules name are derived, every membership rule has a
scenario, the compiled ruleset is golden, and its content hash follows its files. What holds for
every pack (sources quoted, parameters used, no threshold in code) is in tests/test_rule_packs.py."""

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine.rules.compile import CompileError, compile_decision
from engine.rules.facts.fsm1 import membership_facts
from engine.rules.pack import (
    RULES_DIR,
    FactRef,
    PackError,
    Ratio,
    get_pack,
    load_pack,
)
from engine.rules.programmes.fsm1 import decide_citizen, membership_parameters
from engine.rules.runner import Runner
from tests.fsm1_timelines import AALBORG, CUTOFF, MEMBERSHIP_RULES, SCENARIOS, TESTS, timeline
from tests.test_rule_packs import engine_sources, walk

GOLDEN = TESTS / "golden" / "fsm1.membership.json"
PACK = get_pack("fsm1")
MEMBERSHIP = PACK.decision("fsm1.membership")


@pytest.mark.parametrize(
    "name",
    ["cutoff_date", "lookback_years", "lookback_support", "min_activity_days", "company_directed_activities"],
)
def test_parameters_the_facts_depend_on_are_read_by_the_engine_as_parameters(name: str) -> None:
    """These shape the facts themselves (no rule condition names them), so code must read them by name."""
    readers = [path.name for path, text in engine_sources().items() if f'params["{name}"]' in text]
    assert readers, f"{name} is read nowhere in engine/ as params[{name!r}]"


@pytest.mark.parametrize("rule", MEMBERSHIP.rules, ids=lambda r: r.id)
def test_every_fact_a_membership_condition_names_is_derived_and_listed_in_the_rule(rule) -> None:
    params = membership_parameters(PACK, AALBORG)
    derived = set(membership_facts(timeline(), AALBORG, params))
    named: set[str] = set()
    for cond in walk(rule.when):
        if isinstance(cond, Ratio):
            named |= {cond.numerator, cond.denominator}
        else:
            named.add(cond.fact)
            if isinstance(cond.operand, FactRef):
                named.add(cond.operand.fact)
    assert named, f"{rule.id} looks at no fact"
    assert named <= derived, f"{rule.id} names facts membership_facts does not derive: {named - derived}"
    assert named <= set(rule.facts), f"{rule.id} does not list {named - set(rule.facts)} under facts"
    assert set(rule.facts) <= derived, f"{rule.id} shows facts nobody derives: {set(rule.facts) - derived}"


def test_the_membership_decision_has_exactly_the_six_rules_of_spec_section_4_in_order() -> None:
    assert tuple(rule.id for rule in MEMBERSHIP.rules) == MEMBERSHIP_RULES


@pytest.mark.parametrize("rule_id", MEMBERSHIP_RULES)
def test_every_membership_rule_has_a_scenario_file(rule_id: str) -> None:
    assert (SCENARIOS / f"{rule_id}.yaml").is_file()


# -- content hash, golden ruleset, rules in force ---------------------------------------------------


def test_the_content_hash_changes_when_a_pack_file_changes_and_returns_when_it_is_restored(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "fsm1"
    shutil.copytree(RULES_DIR / "fsm1", copy)
    assert load_pack(copy).content_hash == PACK.content_hash
    parameters = copy / "parameters.yaml"
    original = parameters.read_text(encoding="utf-8")
    assert original.count("value: 28}") == 1
    parameters.write_text(original.replace("value: 28}", "value: 35}"), encoding="utf-8")
    edited = load_pack(copy)
    assert edited.parameters["max_break_days"].values[0].value == 35
    assert edited.content_hash != PACK.content_hash
    parameters.write_text(original, encoding="utf-8")
    assert load_pack(copy).content_hash == PACK.content_hash


def test_an_edit_of_a_rule_label_alone_also_changes_the_content_hash(tmp_path: Path) -> None:
    copy = tmp_path / "fsm1"
    shutil.copytree(RULES_DIR / "fsm1", copy)
    pack_file = copy / "pack.yaml"
    pack_file.write_text(
        pack_file.read_text(encoding="utf-8").replace("four weeks", "4 weeks", 1), encoding="utf-8"
    )
    assert load_pack(copy).content_hash != PACK.content_hash


def test_the_compiled_membership_ruleset_equals_the_golden_file() -> None:
    params = PACK.parameters_at(CUTOFF)
    compiled = compile_decision(MEMBERSHIP, params, date(2016, 12, 31))
    assert compiled.definition == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(compiled.definition) == {f"{r}${kind}" for r in MEMBERSHIP_RULES for kind in ("pass", "fail")}


def test_a_cut_off_date_before_any_membership_rule_applies_is_refused_not_decided_vacuously() -> None:
    earliest = min(rule.applies_from for rule in MEMBERSHIP.rules)
    with pytest.raises((CompileError, PackError), match="no rule is in force"):
        decide_citizen(
            timeline(),
            AALBORG,
            PACK,
            overrides={"cutoff_date": date.fromordinal(earliest.toordinal() - 1)},
            engine=Runner(),
        )


def test_decimal_parameters_are_read_as_exact_decimals_never_floats() -> None:
    assert PACK.parameters["rate3_share"].values[0].value == Decimal("0.40")
