"""The FSM1 rule pack as a registry: every rule cites its source verbatim, every parameter is used,
every reference resolves, no threshold hides in code, and the compiled ruleset is golden."""

import ast
import json
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.compile import CompileError, compile_decision
from engine.facts.fsm1 import membership_facts
from engine.pack import (
    RULES_DIR,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FactRef,
    PackError,
    ParamRef,
    Ratio,
    get_pack,
    load_pack,
)
from engine.programmes.fsm1 import decide_citizen, membership_parameters
from engine.runner import Runner
from tests.fsm1_timelines import AALBORG, CUTOFF, MEMBERSHIP_RULES, SCENARIOS, TESTS, timeline

ENGINE = Path(__file__).parent.parent / "engine"
GOLDEN = TESTS / "golden" / "fsm1.membership.json"
PACK = get_pack("fsm1")
MEMBERSHIP = PACK.decision("fsm1.membership")


def walk(cond: Condition | None) -> Iterator[Compare | Ratio]:
    if isinstance(cond, AllOf):
        for part in cond.all:
            yield from walk(part)
    elif isinstance(cond, AnyOf):
        for part in cond.any:
            yield from walk(part)
    elif cond is not None:
        yield cond


def source_text(ref: str) -> str | None:
    document = PACK.sources[ref]
    return None if document.file is None else (RULES_DIR / document.file).read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", PACK.rules(), ids=lambda r: r.id)
def test_every_rule_quotes_its_source_word_for_word(rule) -> None:
    assert rule.source.quote.strip(), f"{rule.id} has no quote"
    text = source_text(rule.source.ref)
    if text is not None:  # `spec` has no file: the quote is the SPEC's own words
        assert rule.source.quote in text, (
            f"{rule.id}: quote not found in {PACK.sources[rule.source.ref].file}"
        )


@pytest.mark.parametrize("name", sorted(PACK.parameters))
def test_every_parameter_reference_quotes_its_source_word_for_word(name: str) -> None:
    reference = PACK.parameters[name].reference
    assert reference.ref in PACK.sources and reference.quote.strip()
    text = source_text(reference.ref)
    if text is not None:
        assert reference.quote in text, f"{name}: quote not found in {PACK.sources[reference.ref].file}"


def engine_sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in ENGINE.rglob("*.py")}


@pytest.mark.parametrize("name", sorted(PACK.parameters))
def test_every_parameter_is_used_by_a_rule_or_read_by_the_engine(name: str) -> None:
    by_rule = any(name in rule.parameters for rule in PACK.rules())
    quoted = (f'"{name}"', f"'{name}'")
    by_code = [path.name for path, text in engine_sources().items() if any(q in text for q in quoted)]
    assert by_rule or by_code, f"parameter {name} is used by no rule and read nowhere in engine/"


@pytest.mark.parametrize(
    "name",
    ["cutoff_date", "lookback_years", "lookback_support", "min_activity_days", "company_directed_activities"],
)
def test_parameters_the_facts_depend_on_are_read_by_the_engine_as_parameters(name: str) -> None:
    """These shape the facts themselves (no rule condition names them), so code must read them by name."""
    readers = [path.name for path, text in engine_sources().items() if f'params["{name}"]' in text]
    assert readers, f"{name} is read nowhere in engine/ as params[{name!r}]"


@pytest.mark.parametrize("rule", PACK.rules(), ids=lambda r: r.id)
def test_every_parameter_a_condition_names_is_listed_in_the_rule(rule) -> None:
    named = {c.operand.param for c in walk(rule.when) if isinstance(c.operand, ParamRef)}
    if rule.sequence is not None and isinstance(rule.sequence.length, ParamRef):
        named.add(rule.sequence.length.param)
    assert named <= set(rule.parameters), (
        f"{rule.id} uses {named - set(rule.parameters)} without listing them"
    )


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


# -- no threshold of the pack written into the code -------------------------------------------------

# rate2_population's values are the two choices the code implements (`active`, `all`), not thresholds.
CHOICES = {"rate2_population"}
# engine/synthetic.py writes demo *data* (codes and dates of invented citizens), not rules.
DATA_MODULES = {"synthetic.py"}


def pack_literals() -> dict[str, set[Any]]:
    """What would be a smell in code: each parameter's values in the forms code would spell them."""
    found: dict[str, set[Any]] = {"strings": set(), "numbers": set(), "dates": set()}
    for name, parameter in PACK.parameters.items():
        for dated in parameter.values:
            found["dates"].add(dated.start)
            value = dated.value
            if parameter.type == "date":
                found["dates"].add(value)
            elif parameter.type == "integer" and value >= 10:  # small counts (1, 3, 5) are everywhere
                found["numbers"].add(value)
            elif parameter.type == "decimal":
                found["numbers"] |= {float(value), value * 100}  # 0.40 and 40 (as in 100·A ≥ 40·E)
                found["strings"].add(str(value))  # Decimal("0.40")
            elif parameter.type in ("codes", "code") and name not in CHOICES:
                found["strings"] |= set(value) if isinstance(value, list) else {value}
            elif parameter.type == "mapping":
                found["strings"] |= {str(v) for v in value.values()}
    found["strings"] |= {d.isoformat() for d in found["dates"]}
    return found


def smells(source: str, literals: dict[str, set[Any]]) -> list[str]:
    """Literals of the pack in Python source: code strings, ISO dates, date(y, m, d) of a pack date,
    decimals anywhere, and integer thresholds in comparisons or arithmetic."""
    tree = ast.parse(source)
    found = []
    in_expression: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare | ast.BinOp):
            in_expression |= {id(child) for child in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
            value = node.value
            if isinstance(value, str) and value in literals["strings"]:
                found.append(f"line {node.lineno}: {value!r}")
            elif isinstance(value, str) and value in {
                str(n) for n in literals["numbers"] if isinstance(n, float)
            }:
                found.append(f"line {node.lineno}: Decimal/float text {value!r}")
            elif isinstance(value, float) and value in literals["numbers"]:
                found.append(f"line {node.lineno}: {value!r}")
            elif isinstance(value, int) and value in literals["numbers"] and id(node) in in_expression:
                found.append(f"line {node.lineno}: threshold {value!r}")
        is_date = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "date"
        if is_date and len(node.args) == 3 and all(isinstance(a, ast.Constant) for a in node.args):
            day = date(*(a.value for a in node.args))  # type: ignore[misc]
            if day in literals["dates"]:
                found.append(f"line {node.lineno}: {day}")
    return found


def test_the_threshold_detector_finds_thresholds_written_into_code() -> None:
    planted = (
        "if facts['longest_break_days'] > 28: pass\n"
        "share = Decimal('0.4')\n"
        "rest = Decimal('0.30')\n"
        "ok = 100 * a >= 40 * e\n"
        "if match == 'aktivitetsparat': pass\n"
        "cutoff = date(2016, 12, 31)\n"
        "cutoff = '2016-12-31'\n"
    )
    assert len(smells(planted, pack_literals())) == 7
    assert smells("last = date(year, 2, 28)\nx = people[:5]\n", pack_literals()) == []


def test_no_threshold_of_the_pack_is_written_into_the_engine_code() -> None:
    literals = pack_literals()
    assert {28, 40, "aktivitetsparat", "kontanthjaelp", "2016-12-31", date(2016, 12, 31)} <= (
        literals["numbers"] | literals["strings"] | literals["dates"]
    )
    problems = {
        str(path.relative_to(ENGINE.parent)): smells(text, literals)
        for path, text in engine_sources().items()
        if path.name not in DATA_MODULES
        and (path.parent == ENGINE or path.parent.name in ("facts", "programmes"))
    }
    assert {path: found for path, found in problems.items() if found} == {}


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
    for parameter in PACK.parameters.values():
        if parameter.type == "decimal":
            assert all(isinstance(v.value, Decimal) for v in parameter.values), parameter.name
    assert PACK.parameters["rate3_share"].values[0].value == Decimal("0.40")
