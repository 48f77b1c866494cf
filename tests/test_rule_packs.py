"""Every rule pack as a registry (sqlite-utils style): every rule and parameter cites its source, word
for word where the source is a file of the pack; every parameter is used; every parameter a condition
names is listed with its rule; no value of a parameter hides in the engine's code as a literal; and
decimals are exact."""

import ast
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.rules.pack import (
    RULES_DIR,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Pack,
    ParamRef,
    Ratio,
    get_pack,
    programmes,
)

ENGINE = Path(__file__).parent.parent / "engine"
PACKS = [get_pack(programme) for programme in programmes()]
RULES = [(pack, rule) for pack in PACKS for rule in pack.rules()]
PARAMETERS = [(pack, name) for pack in PACKS for name in sorted(pack.parameters)]
CHOICES = {"rate2_population"}
"""Parameters whose values are the choices the code implements (FSM1's `active`/`all`), not thresholds."""


def walk(cond: Condition | None) -> Iterator[Compare | Ratio]:
    if isinstance(cond, AllOf):
        for part in cond.all:
            yield from walk(part)
    elif isinstance(cond, AnyOf):
        for part in cond.any:
            yield from walk(part)
    elif cond is not None:
        yield cond


def source_text(pack: Pack, ref: str) -> str | None:
    document = pack.sources[ref]
    return None if document.file is None else (RULES_DIR / document.file).read_text(encoding="utf-8")


def engine_sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in ENGINE.rglob("*.py")}


def test_both_programmes_have_a_pack() -> None:
    assert [pack.programme for pack in PACKS] == ["fsm1", "fsm2"]


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=lambda x: getattr(x, "id", ""))
def test_every_rule_quotes_its_source_word_for_word(pack: Pack, rule) -> None:
    assert rule.id.startswith(f"{pack.programme}."), rule.id
    assert rule.source.quote.strip(), f"{rule.id} has no quote"
    text = source_text(pack, rule.source.ref)
    if text is not None:  # a source without a file is named by title (and address)
        assert rule.source.quote in text, (
            f"{rule.id}: quote not found in {pack.sources[rule.source.ref].file}"
        )


@pytest.mark.parametrize(("pack", "name"), PARAMETERS, ids=lambda x: x if isinstance(x, str) else "")
def test_every_parameter_reference_quotes_its_source_word_for_word(pack: Pack, name: str) -> None:
    reference = pack.parameters[name].reference
    assert reference.ref in pack.sources and reference.quote.strip()
    text = source_text(pack, reference.ref)
    if text is not None:
        assert reference.quote in text, f"{name}: quote not found in {pack.sources[reference.ref].file}"


@pytest.mark.parametrize(("pack", "name"), PARAMETERS, ids=lambda x: x if isinstance(x, str) else "")
def test_every_parameter_is_used_by_a_rule_or_read_by_the_engine(pack: Pack, name: str) -> None:
    by_rule = any(name in rule.parameters for rule in pack.rules())
    quoted = (f'"{name}"', f"'{name}'")
    by_code = [path.name for path, text in engine_sources().items() if any(q in text for q in quoted)]
    assert by_rule or by_code, f"parameter {name} is used by no rule and read nowhere in engine/"


@pytest.mark.parametrize(("pack", "rule"), RULES, ids=lambda x: getattr(x, "id", ""))
def test_every_parameter_a_condition_names_is_listed_in_the_rule(pack: Pack, rule) -> None:
    named = {c.operand.param for c in walk(rule.when) if isinstance(c.operand, ParamRef)}
    if rule.sequence is not None and isinstance(rule.sequence.length, ParamRef):
        named.add(rule.sequence.length.param)
    assert named <= set(rule.parameters), (
        f"{rule.id} uses {named - set(rule.parameters)} without listing them"
    )


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.programme)
def test_decimal_parameters_are_read_as_exact_decimals_never_floats(pack: Pack) -> None:
    for parameter in pack.parameters.values():
        if parameter.type == "decimal":
            assert all(isinstance(v.value, Decimal) for v in parameter.values), parameter.name


# -- no threshold of a pack written into the code ----------------------------------------------------


def pack_literals(pack: Pack) -> dict[str, set[Any]]:
    """What would be a smell in code: each parameter's values in the forms code would spell them."""
    found: dict[str, set[Any]] = {"strings": set(), "numbers": set(), "dates": set()}
    for name, parameter in pack.parameters.items():
        for dated in parameter.values:
            found["dates"].add(dated.start)
            value = dated.value
            if parameter.type == "date":
                found["dates"].add(value)
            elif parameter.type == "integer" and value >= 10:  # small counts (1, 3, 5) are everywhere
                found["numbers"].add(value)
            elif parameter.type == "decimal" and value:  # 0 is everywhere too
                found["numbers"] |= {float(value), value * 100}  # 0.40 and 40 (as in 100·A ≥ 40·E)
                found["strings"].add(str(value))  # Decimal("0.40")
            elif parameter.type in ("codes", "code") and name not in CHOICES:
                found["strings"] |= set(value) if isinstance(value, list) else {value}
            elif parameter.type == "mapping":
                found["strings"] |= {str(v) for v in value.values()}
    found["strings"] |= {d.isoformat() for d in found["dates"]}
    return found


def smells(source: str, literals: dict[str, set[Any]]) -> list[str]:
    """Literals of a pack in Python source: code strings, ISO dates, date(y, m, d) of a pack date,
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
    fsm1, fsm2 = (pack_literals(get_pack(p)) for p in ("fsm1", "fsm2"))
    planted = (
        "if facts['longest_break_days'] > 28: pass\n"
        "share = Decimal('0.4')\n"
        "rest = Decimal('0.30')\n"
        "ok = 100 * a >= 40 * e\n"
        "if match == 'aktivitetsparat': pass\n"
        "cutoff = date(2016, 12, 31)\n"
        "cutoff = '2016-12-31'\n"
    )
    assert len(smells(planted, fsm1)) == 7
    assert smells("last = date(year, 2, 28)\nx = people[:5]\n", fsm1) == []
    law = "if day >= date(2020, 1, 1): codes = ['kontanthjaelp', 'overgangsydelse']\nok = age >= 30\n"
    assert len(smells(law, fsm2)) == 4


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.programme)
def test_no_threshold_of_the_pack_is_written_into_the_engine_code(pack: Pack) -> None:
    literals = pack_literals(pack)
    deciding = ENGINE / "rules"  # the code that decides, facts and programmes included
    problems = {
        str(path.relative_to(ENGINE.parent)): smells(text, literals)
        for path, text in engine_sources().items()
        if deciding in path.parents
    }
    assert {path: found for path, found in problems.items() if found} == {}
