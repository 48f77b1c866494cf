"""Programmes: for each rule pack `rules/<programme>/` a module `engine/programmes/<programme>.py`
that evaluates a municipality's project with it — the target group, each member's status, the
monthly results and the rates — by asking the pack's rules (durable-rules) about facts derived by
`engine/facts/<programme>.py`.

A programme module provides the functions of `Programme`; the nightly run, `fsm evaluate`, the
simulation and the web UI only ever call them through `programme_of(pack)`.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import import_module
from typing import Any, Protocol, cast

from engine.decide import Evaluation
from engine.pack import Pack
from engine.runner import Runner
from models.domain import CitizenTimeline, Grant, GrantYear
from models.status import MunicipalityStatus
from models.trace import Decision


@dataclass(frozen=True)
class MunicipalityResult:
    """A municipality's project on an as-of date: its status, every citizen decision, the rates."""

    status: MunicipalityStatus
    evaluations: list[Evaluation]
    """Every citizen decision: membership of every citizen looked at, the status of every member."""
    rates: list[Decision]
    membership_params: Mapping[str, Any]
    rate_params: Mapping[str, Any]


class Programme(Protocol):
    def evaluate_municipality(
        self,
        pack: Pack,
        grant: Grant,
        timelines: Iterable[CitizenTimeline],
        as_of: date,
        *,
        grant_years: Sequence[GrantYear] = (),
        overrides: Mapping[str, Any] | None = None,
        engine: Runner | None = None,
        advance: Callable[[int], None] | None = None,
    ) -> MunicipalityResult:
        """Evaluate every citizen who ever lived in the municipality; `advance(n)` reports progress."""
        ...

    def decide_citizen(
        self,
        timeline: CitizenTimeline,
        municipality: str,
        pack: Pack,
        *,
        as_of: date | None = None,
        overrides: Mapping[str, Any] | None = None,
        engine: Runner | None = None,
    ) -> Decision:
        """One citizen's membership of the municipality's target group, with its trace (`fsm evaluate`)."""
        ...


def programme_of(pack: Pack) -> Programme:
    """The module that evaluates municipalities with this pack."""
    return cast(Programme, import_module(f"engine.programmes.{pack.programme}"))
