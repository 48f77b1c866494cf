"""Rule packs: `rules/<programme>/pack.yaml` and its dated `parameters.yaml`, parsed into typed records.

A pack is data an auditor can read; this module only parses and checks it. Its content hash
(SHA-256 over every file of the pack) is recorded with each run so that a run can be replayed
with exactly the rules it used.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, NoReturn, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.rules.installed import RULES_DIR, programmes

Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"]
OPS: tuple[Op, ...] = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in")


class PackError(ValueError):
    """A rule pack or parameter file that cannot be used, with the file and place named."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ParamRef(Frozen):
    param: str


class FactRef(Frozen):
    fact: str


class Compare(Frozen):
    """`fact <op> operand`, the operand a literal, a parameter or another fact of the same record."""

    fact: str
    op: Op
    operand: ParamRef | FactRef | bool | int | str | list[str] | None


class Ratio(Frozen):
    """`numerator / denominator <op> parameter`, compared exactly (no floats)."""

    numerator: str
    denominator: str
    op: Literal["ge", "gt", "le", "lt"]
    operand: ParamRef


class AllOf(Frozen):
    all: tuple["Condition", ...]


class AnyOf(Frozen):
    any: tuple["Condition", ...]


Condition = Compare | Ratio | AllOf | AnyOf


class Source(Frozen):
    ref: str
    quote: str
    note: str | None = None


class Sequence(Frozen):
    """`length` consecutive facts (by their `idx`) on which rule `of` passes."""

    of: str
    length: int | ParamRef


class Rule(Frozen):
    """A rule has a condition (`when`) or is a sequence of another rule's passes, never both."""

    id: str
    label: str
    applies_from: date
    source: Source
    parameters: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    when: Condition | None = None
    sequence: Sequence | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.when is None) == (self.sequence is None):
            raise ValueError(f"rule {self.id} needs exactly one of `when` and `sequence`")
        return self


class ShownAs(Frozen):
    """How a decision's outcome reads to a person (e.g. MEMBER / NOT A MEMBER)."""

    passed: str = "PASSED"
    failed: str = "FAILED"


class DecisionSpec(Frozen):
    id: str
    label: str
    shown_as: ShownAs = ShownAs()
    facts: str
    outcome: Literal[
        "every_rule_passes", "first_passing_fact", "first_passing_fact_per_rule", "first_sequence"
    ] = "every_rule_passes"
    """every_rule_passes: one fact, decided by all rules; first_passing_fact: the earliest of several
    facts on which every rule passes; first_passing_fact_per_rule: for each rule, the earliest fact it
    passes on (the steps of a ladder); first_sequence: the earliest run found by the sequence rule."""
    rules: tuple[Rule, ...]


class SourceDocument(Frozen):
    file: str | None
    """The document's text in the pack's `sources/` (a quote from it is checked against it)."""
    title: str
    url: str | None = None


class DatedValue(Frozen):
    start: date = Field(alias="from")
    value: Any


class Parameter(Frozen):
    name: str
    label: str
    type: Literal["date", "integer", "decimal", "codes", "code", "mapping"]
    reference: Source
    values: tuple[DatedValue, ...]
    by_municipality: Mapping[str, tuple[DatedValue, ...]] = {}

    def in_force(self, day: date, municipality: str | None = None) -> bool:
        return any(v.start <= day for v in (*self.values, *self.by_municipality.get(municipality or "", ())))

    def at(self, day: date, municipality: str | None = None) -> Any:
        """The value in force on `day` (a municipality's own value first, where it has one)."""
        for values in (self.by_municipality.get(municipality or "", ()), self.values):
            in_force = [v for v in values if v.start <= day]
            if in_force:
                return max(in_force, key=lambda v: v.start).value
        raise PackError(f"parameter {self.name} has no value in force on {day}")


class Pack(Frozen):
    programme: str
    version: str
    label: str
    sources: Mapping[str, SourceDocument]
    decisions: tuple[DecisionSpec, ...]
    parameters: Mapping[str, Parameter]
    content_hash: str
    origin: str
    """Where the pack was read from: its directory, or the run that stored it."""
    files: Mapping[str, str]

    def decision(self, decision_id: str) -> DecisionSpec:
        for decision in self.decisions:
            if decision.id == decision_id:
                return decision
        raise KeyError(decision_id)

    def rules(self) -> list[Rule]:
        return [rule for decision in self.decisions for rule in decision.rules]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules():
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def change_days(self, first: date, last: date, municipality: str | None = None) -> list[date]:
        """The days in (first, last] on which a parameter takes a new value or a rule starts to apply:
        between two of them, the pack reads the same."""
        days = {rule.applies_from for rule in self.rules()}
        for parameter in self.parameters.values():
            dated = (*parameter.values, *parameter.by_municipality.get(municipality or "", ()))
            days.update(value.start for value in dated)
        return sorted(day for day in days if first < day <= last)

    def typed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Parameter values read back from JSON (a run's stored parameters) as the pack types them:
        decimals as `Decimal`, dates as `date`."""
        typed = {}
        for name, value in values.items():
            kind = self.parameters[name].type if name in self.parameters else None
            if kind == "decimal" and value is not None:
                value = Decimal(str(value))
            elif kind == "date" and isinstance(value, str):
                value = date.fromisoformat(value)
            typed[name] = value
        return typed

    def parameters_at(
        self, day: date, municipality: str | None = None, overrides: Mapping[str, Any] | None = None
    ) -> "Parameters":
        """The value of every parameter in force on `day` (one not yet in force is left out);
        `overrides` (a simulated reform, or a decision's own date) win."""
        values = {
            name: p.at(day, municipality)
            for name, p in self.parameters.items()
            if p.in_force(day, municipality)
        }
        for name, value in (overrides or {}).items():
            if name not in self.parameters:
                raise PackError(f"{self.programme} has no parameter {name!r}")
            values[name] = value
        return Parameters(values)


class Parameters(dict[str, Any]):
    """An immutable set of parameter values, with a fingerprint to cache compiled rulesets by. A
    dict that refuses changes: a national run reads them a million times, at a dict's speed."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.fingerprint = hashlib.sha256(json.dumps(self, sort_keys=True, default=str).encode()).hexdigest()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("parameter values are immutable: make new ones with Pack.parameters_at")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type["Parameters"], tuple[dict[str, Any]]]:
        return Parameters, (dict(self),)

    def __repr__(self) -> str:
        return f"Parameters({dict(self)!r})"


class _ExactLoader(yaml.SafeLoader):
    """YAML with decimals read as `Decimal`: a threshold of 0.40 must not become a binary float."""


class _PackLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """`_ExactLoader` on libyaml's parser where PyYAML has it: ten times faster, and every run and
    every trace of a stored run reads its pack."""


for _loader in (_ExactLoader, _PackLoader):
    _loader.add_constructor(
        "tag:yaml.org,2002:float", lambda loader, node: Decimal(loader.construct_scalar(node))
    )


def _parse_yaml(text: str, where: str) -> Any:
    try:
        return yaml.load(text, Loader=_PackLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise PackError(f"{where}: {error}") from None


def _condition(raw: Any, where: str) -> Condition:
    """Parse the compact YAML condition syntax (see the header of rules/fsm1/pack.yaml)."""
    if not isinstance(raw, dict):
        raise PackError(f"{where}: a condition is a mapping, got {raw!r}")
    if set(raw) == {"all"} or set(raw) == {"any"}:
        ((key, items),) = raw.items()
        parts = tuple(_condition(item, f"{where}.{key}[{i}]") for i, item in enumerate(items))
        return AllOf(all=parts) if key == "all" else AnyOf(any=parts)
    ops = [key for key in raw if key in OPS]
    if len(ops) != 1 or len(raw) != 2:
        raise PackError(f"{where}: expected {{fact|ratio: ..., <one of {', '.join(OPS)}>: ...}}, got {raw!r}")
    op = ops[0]
    operand = raw[op]
    if isinstance(operand, dict):
        operand = ParamRef(**operand) if "param" in operand else FactRef(**operand)
    try:
        if "ratio" in raw:
            numerator, denominator = raw["ratio"]
            return Ratio(numerator=numerator, denominator=denominator, op=op, operand=operand)
        return Compare(fact=raw["fact"], op=op, operand=operand)
    except (KeyError, ValueError, ValidationError) as error:
        raise PackError(f"{where}: {error}") from None


def content_hash(files: Mapping[str, str]) -> str:
    """SHA-256 over every file of a pack (path, NUL, content), in path order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(files[path].encode("utf-8"))
    return digest.hexdigest()


def load_pack(directory: Path) -> Pack:
    """Parse and check one pack directory; every problem names the file and the place."""
    try:
        files = {
            p.relative_to(directory).as_posix(): p.read_text(encoding="utf-8")
            for p in directory.rglob("*.yaml")
        }
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(f"{directory}: {error}") from None
    return pack_from_files(files, str(directory))


def pack_from_files(files: Mapping[str, str], origin: str) -> Pack:
    """A pack from its files' texts: a directory's, or those a run stored under the pack's content hash."""
    pack_file, parameter_file = f"{origin}/pack.yaml", f"{origin}/parameters.yaml"
    if "pack.yaml" not in files or "parameters.yaml" not in files:
        raise PackError(f"{origin}: a rule pack needs pack.yaml and parameters.yaml")
    raw = _parse_yaml(files["pack.yaml"], pack_file)
    raw_parameters = _parse_yaml(files["parameters.yaml"], parameter_file)
    try:
        decisions = tuple(
            DecisionSpec(
                **{k: v for k, v in d.items() if k != "rules"},
                rules=tuple(
                    Rule(
                        **{k: v for k, v in r.items() if k != "when"},
                        when=_condition(r["when"], f"{pack_file}: {r.get('id')}.when")
                        if "when" in r
                        else None,
                    )
                    for r in d["rules"]
                ),
            )
            for d in raw["decisions"]
        )
        parameters = {name: Parameter(name=name, **spec) for name, spec in raw_parameters.items()}
        pack = Pack(
            programme=raw["programme"],
            version=raw["version"],
            label=raw["label"],
            sources=raw["sources"],
            decisions=decisions,
            parameters=parameters,
            content_hash=content_hash(files),
            origin=origin,
            files=dict(files),
        )
    except (KeyError, TypeError, ValidationError) as error:
        raise PackError(f"{origin}: {error}") from None
    _check(pack)
    return pack


def _check(pack: Pack) -> None:
    """Cross-references: every parameter a rule names exists, every source ref is declared."""
    for rule in pack.rules():
        for name in rule.parameters:
            if name not in pack.parameters:
                raise PackError(f"{pack.origin}/pack.yaml: rule {rule.id} uses unknown parameter {name!r}")
        if rule.source.ref not in pack.sources:
            raise PackError(
                f"{pack.origin}/pack.yaml: rule {rule.id} cites unknown source {rule.source.ref!r}"
            )
    for decision in pack.decisions:
        ids = {rule.id for rule in decision.rules}
        for rule in decision.rules:
            if rule.sequence is not None and rule.sequence.of not in ids:
                raise PackError(
                    f"{pack.origin}/pack.yaml: {rule.id} is a sequence of unknown rule {rule.sequence.of!r}"
                )
    ids = [rule.id for rule in pack.rules()]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise PackError(f"{pack.origin}/pack.yaml: rule ids used twice: {sorted(duplicates)}")


@cache
def get_pack(programme: str) -> Pack:
    """The installed pack of a programme (`fsm1`, `fsm2`, ...)."""
    directory = RULES_DIR / programme
    if not (directory / "pack.yaml").is_file():
        raise PackError(f"no rule pack {programme!r}; known: {', '.join(programmes())}")
    return load_pack(directory)
