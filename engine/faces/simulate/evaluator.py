"""Evaluating one municipality's data again and again — the baseline, then after every change — with
the programme's own two steps (`evaluate_citizen`, then `conclude`, engine/rules/programmes), deciding
again only the citizens whose timeline a change replaced.

A citizen's outcome depends on nothing but their timeline and what the municipality is evaluated
under (pack, grant, as-of date, parameters): an outcome is kept for a timeline (the very object: the
operations never change one in place, they make a new one) and reused while the as-of date and the
parameter overrides stay the same. A change that touches 25 citizens of 10,000 costs 25 citizens'
decisions and the municipality's conclusion, not 10,000 citizens'; the result is the one
`evaluate_municipality` gives (tests/test_simulate_evaluator.py checks).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.faces.simulate.base import BaseData
from engine.faces.simulate.operations import Context, State
from engine.faces.simulate.terms import Member, Terms
from engine.rules.pack import Pack
from engine.rules.programmes import CitizenOutcome, Municipality, MunicipalityResult, programme_of
from engine.rules.runner import Runner
from models.domain import CitizenTimeline

KEPT = 4
"""How many as-of dates and sets of overrides an evaluator keeps the outcomes of (each holds one
outcome per citizen of the municipality)."""


@dataclass
class _Memo:
    """The outcomes decided under one as-of date and set of overrides, by citizen id."""

    as_of: date
    overrides: Mapping[str, Any]
    place: Municipality
    outcomes: dict[str, tuple[CitizenTimeline, CitizenOutcome]] = field(default_factory=dict)
    views: dict[str, tuple[CitizenTimeline, Member]] = field(default_factory=dict)


class Evaluator:
    """Evaluates states of one municipality's base data; outcomes are reused across evaluations."""

    def __init__(self, pack: Pack, base: BaseData, engine: Runner | None = None) -> None:
        self.pack, self.base, self.engine = pack, base, engine
        self.programme = programme_of(pack)
        self._memos: list[_Memo] = []

    def __call__(self, state: State, as_of: date) -> MunicipalityResult:
        memo = self._memo(as_of, state.overrides)
        evaluations, contributions = [], []
        for citizen, timeline in state.timelines.items():
            known = memo.outcomes.get(citizen)
            if known is not None and known[0] is timeline:
                outcome = known[1]
            else:
                outcome = self.programme.evaluate_citizen(memo.place, timeline)
                memo.outcomes[citizen] = (timeline, outcome)
            evaluations.extend(outcome.evaluations)
            contributions.append(outcome.contribution)
        concluded = self.programme.conclude(memo.place, contributions)
        return MunicipalityResult(concluded.status, evaluations, concluded.rates, memo.place)

    def context(self, terms: Terms, state: State, result: MunicipalityResult) -> Context:
        """What an operation sees of `state`, evaluated as `result` (by this evaluator); a member's
        view is kept like an outcome."""
        memo = next(m for m in self._memos if m.place is result.place)

        def view(timeline: CitizenTimeline) -> Member:
            known = memo.views.get(timeline.citizen_id)
            if known is not None and known[0] is timeline:
                return known[1]
            member = terms.member(timeline, memo.place)
            memo.views[timeline.citizen_id] = (timeline, member)
            return member

        return Context.of(terms, state, result, view)

    def _memo(self, as_of: date, overrides: Mapping[str, Any]) -> _Memo:
        """The memo of these as-of date and overrides; the least recently used of more than KEPT goes."""
        for memo in self._memos:
            if memo.as_of == as_of and memo.overrides == overrides:
                self._memos.remove(memo)
                self._memos.append(memo)
                return memo
        place = self.programme.prepare(
            self.pack,
            self.base.grant,
            as_of,
            grant_years=self.base.grant_years,
            overrides=dict(overrides) or None,
            engine=self.engine,
        )
        memo = _Memo(as_of, dict(overrides), place)
        self._memos = [*self._memos[-(KEPT - 1) :], memo]
        return memo
