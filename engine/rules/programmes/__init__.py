"""Programmes: for each rule pack `rules/<programme>/` a module `engine/rules/programmes/<programme>.py`
that evaluates a municipality's project with it — the target group, each member's status, the
monthly results and the rates — by asking the pack's rules (durable-rules) about facts derived by
`engine/rules/facts/<programme>.py`.

A programme module provides the functions of `Programme`, in two steps so that a national run can
spread the citizens over processes: `evaluate_citizen` decides on one citizen in one municipality
and returns what the municipality's totals need of them (their *contribution*); `conclude` turns
the contributions of every citizen of a municipality into its status and rate decisions.
`evaluate_municipality` does both for a municipality in memory (a simulation, a test, a replay).

A citizen's outcome also says on which as-of dates it would be the same (`CitizenOutcome.stable`),
so that a later night can carry it over instead of evaluating the citizen again (engine/runs/carry.py).
Contributions are plain values (tuples, numbers, text, None), so that they can be stored as JSON;
`conclude` accepts them back as lists.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from importlib import import_module
from typing import Any, NamedTuple, Protocol, cast

from engine.rules import phrases
from engine.rules.decide import Evaluation
from engine.rules.pack import Pack, PackError, Parameters
from engine.rules.runner import Runner, runner
from models.domain import CitizenTimeline, Grant, GrantYear
from models.periods import FOREVER, ONE_DAY, Span, months_inside
from models.status import GrantYearAmount, MonthResult, MunicipalityStatus, RateResult
from models.trace import Decision


@dataclass(frozen=True)
class Municipality:
    """Everything fixed while one municipality's project is evaluated: the pack, the grant, the
    as-of date and the parameter values in force (for the target group, and for the rates)."""

    pack: Pack
    grant: Grant
    as_of: date
    grant_years: tuple[GrantYear, ...]
    membership_params: Parameters
    rate_params: Parameters
    engine: Runner | None = None
    """None: the process's own runner (a worker process makes its own)."""
    rates_pending: str | None = None
    """Why the rates cannot be decided on the as-of date (their rules or parameters are not yet in
    force), or None: they can."""

    @property
    def code(self) -> str:
        return self.grant.municipality

    @cached_property
    def months(self) -> tuple[Span, ...]:
        """The months the monthly results look at: wholly inside the project, on or after the pack's
        first rule date (no rule decides anything earlier), ended by the as-of date; none while
        the rates are pending."""
        if self.rates_pending:
            return ()
        first = first_rule_day(self.pack)
        return tuple(
            month
            for month in months_inside(self.grant.project)
            if first <= month.first and month.last <= self.as_of
        )

    def runner(self) -> Runner:
        return self.engine or runner()


class CitizenOutcome(NamedTuple):
    evaluations: list[Evaluation]
    """The citizen's decisions in the municipality (membership; a member's status)."""
    contribution: Any
    """What the municipality's conclusion needs of this citizen (the programme's own, plain values)."""
    stable: Span
    """The as-of dates on which the evaluation gives the same: the same contribution and the same
    decisions, except that a decision made on the as-of date is made on that date instead (its
    `day` fact too). So no fact the evaluation looks at may change on these dates."""


ALWAYS = Span(date.min, FOREVER)


def stable_around(day: date, changes: Iterable[date], within: Span = ALWAYS) -> Span:
    """The longest run of days around `day`, `within` those, that none of `changes` (first days of
    something new: a period starts, ends the day before, a month has ended ...) cuts."""
    first, last = within
    for change in changes:
        if change <= day:
            first = max(first, change)
        else:
            last = min(last, change - ONE_DAY)
    return Span(first, last)


@dataclass(frozen=True)
class Concluded:
    status: MunicipalityStatus
    rates: list[Decision]
    """One decision per rate, in the order of `status.rates`."""


@dataclass(frozen=True)
class MunicipalityResult:
    """A municipality's project on an as-of date: its status, every citizen decision, the rates."""

    status: MunicipalityStatus
    evaluations: list[Evaluation]
    """Every citizen decision: membership of every citizen looked at, the status of every member."""
    rates: list[Decision]
    place: Municipality
    """What the evaluation was made under (pack, grant, as-of date, parameters)."""

    @property
    def membership_params(self) -> Parameters:
        return self.place.membership_params

    @property
    def rate_params(self) -> Parameters:
        return self.place.rate_params


def status_of(
    place: Municipality,
    *,
    members: int,
    exits: Mapping[str, int],
    visitation: Mapping[str, int],
    rates: list[RateResult],
    months: list[MonthResult],
    outside: int,
    warnings: Sequence[str] = (),
    grant_years: Sequence[GrantYear] = (),
) -> MunicipalityStatus:
    """A municipality's status as every programme reports it (the shape of `fsm status --json`);
    `outside`: citizens outside the target group with the programme's visitations or activities."""
    ignored = (
        [phrases.OUTSIDE_THE_TARGET_GROUP(outside=outside, programme=place.pack.programme.upper())]
        if outside
        else []
    )
    return MunicipalityStatus(
        municipality=place.code,
        programme=place.pack.programme,
        as_of=place.as_of,
        grant=place.grant.amount,
        members=members,
        active=sum(visitation.values()),
        exits=dict(sorted(exits.items())),
        visitation=dict(visitation),
        rates=rates,
        months=months,
        warnings=[*ignored, *warnings],
        grant_years=[GrantYearAmount(year=y.year, amount=y.amount) for y in grant_years],
    )


class Programme(Protocol):
    def prepare(
        self,
        pack: Pack,
        grant: Grant,
        as_of: date,
        *,
        grant_years: Sequence[GrantYear] = (),
        overrides: Mapping[str, Any] | None = None,
        engine: Runner | None = None,
    ) -> Municipality:
        """The parameters in force and everything else fixed for the municipality's evaluation."""
        ...

    def evaluate_citizen(self, place: Municipality, timeline: CitizenTimeline) -> CitizenOutcome:
        """One citizen who ever lived in the municipality: their decisions and contribution."""
        ...

    def conclude(self, place: Municipality, contributions: Sequence[Any]) -> Concluded:
        """The municipality's status and rate decisions from every citizen's contribution, in
        citizen order."""
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

    def trace_parameters(
        self, pack: Pack, decision: str, day: date, municipality: str, stored: Mapping[str, Mapping[str, Any]]
    ) -> Mapping[str, Any]:
        """The parameter values a stored decision was made under; `stored` has the run's sets by
        name: "membership" (Municipality.membership_params) and "rates" (rate_params)."""
        ...

    def share_thresholds(self, params: Mapping[str, Any]) -> dict[str, Decimal]:
        """The lines a chart of the monthly share is drawn against, by label (shares of 1)."""
        ...


def first_rule_day(pack: Pack) -> date:
    """The first day on which any rule of the pack applies: the first as-of date it can decide on."""
    return min(rule.applies_from for rule in pack.rules())


def check_decidable(pack: Pack, day: date) -> None:
    """Raise PackError for a day before the pack's first rule date (nothing can be decided on it)."""
    if day < first_rule_day(pack):
        raise PackError(
            f"the {pack.programme} rules apply from {first_rule_day(pack)}: nothing can be decided as of {day}"
        )


def rates_pending(pack: Pack, params: Parameters, day: date) -> str | None:
    """Why the pack's rates cannot be decided on `day` (a rate rule not yet applying, or one of their
    parameters without a value in force), or None when they can."""
    rules = [rule for d in pack.decisions if d.id.startswith(f"{pack.programme}.rate") for rule in d.rules]
    later = sorted(rule.applies_from for rule in rules if rule.applies_from > day)
    if later:
        return phrases.RATE_RULES_LATER(day=day, first=later[0])
    missing = sorted({name for rule in rules for name in rule.parameters if name not in params})
    if missing:
        return phrases.RATE_PARAMETERS_MISSING(day=day, missing=", ".join(missing))
    return None


def programme_of(pack: Pack) -> Programme:
    """The module that evaluates municipalities with this pack."""
    return cast(Programme, import_module(f"engine.rules.programmes.{pack.programme}"))


def evaluate_municipality(
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
    """Evaluate every citizen who ever lived in the municipality, in memory; `advance(n)` reports progress."""
    programme = programme_of(pack)
    place = programme.prepare(pack, grant, as_of, grant_years=grant_years, overrides=overrides, engine=engine)
    evaluations: list[Evaluation] = []
    contributions = []
    for timeline in timelines:
        outcome = programme.evaluate_citizen(place, timeline)
        evaluations.extend(outcome.evaluations)
        contributions.append(outcome.contribution)
        if advance:
            advance(1)
    concluded = programme.conclude(place, contributions)
    return MunicipalityResult(concluded.status, evaluations, concluded.rates, place)
