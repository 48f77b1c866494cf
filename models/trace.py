"""Decisions and their traces (SPEC section 8), as immutable pydantic records.

A trace entry says, for one rule: which rule (id, pack version), passed or failed, the facts it
looked at with their values, the parameter values it used, and the source sentence it implements.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

FactValue = bool | int | str | date | Decimal | list[str] | None


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceCitation(Frozen):
    document: str | None
    title: str
    url: str | None = None
    quote: str
    note: str | None = None


class RuleOutcome(Frozen):
    rule: str
    label: str
    pack_version: str
    passed: bool
    facts: dict[str, Any]
    parameters: dict[str, Any]
    source: SourceCitation
    subject: str | None = None
    """What the rule was applied to when not the decision's subject itself (e.g. a month)."""


class Decision(Frozen):
    decision: str
    label: str
    verdict: str
    """The outcome as the pack words it (e.g. MEMBER, NOT A MEMBER)."""
    subject: str
    municipality: str
    outcome: bool
    decided_on: date
    programme: str
    pack_version: str
    pack_hash: str
    trace: tuple[RuleOutcome, ...]
    detail: dict[str, Any] = {}

    @property
    def failed_rules(self) -> list[str]:
        return list(dict.fromkeys(entry.rule for entry in self.trace if not entry.passed))
