"""A simulation: the base data evaluated as it is (the baseline) and with the scenario's changes
applied one after another, each evaluated by the same rule pack (durable-rules) through
`engine.rules.programmes.evaluate_municipality`. Pure given its base data: nothing is written anywhere.

A scenario with no changes and an as-of date later than its base's (or with `forecast:`) is a
forecast: engine/faces/simulate/forecast.py generates the changes that continue the current pace.
"""

from dataclasses import dataclass, replace
from datetime import date

from engine.collector import collector_paused
from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.base import BaseData
from engine.faces.simulate.checks import check_changes, parameter_value
from engine.faces.simulate.compare import ChangeRef, Difference, Payout, differences, payouts
from engine.faces.simulate.evaluator import Evaluator
from engine.faces.simulate.forecast import Projection, measure, project
from engine.faces.simulate.kept import Kept
from engine.faces.simulate.loading import LoadedScenario, Located, Place, Problem, Problems, Source
from engine.faces.simulate.operations import Applied, State, apply
from engine.faces.simulate.scenario import Change, ForecastOptions, Scenario, SetParameter
from engine.faces.simulate.terms import Terms, terms_of
from engine.rules.pack import Pack, get_pack
from engine.rules.programmes import MunicipalityResult
from engine.rules.runner import Runner


@dataclass(frozen=True)
class Step:
    """One change applied, and the evaluation after it (and all changes before it)."""

    ref: ChangeRef
    change: Change
    citizens: tuple[str, ...]
    result: MunicipalityResult


@dataclass(frozen=True)
class Simulation:
    """Baseline and scenario of one municipality as of a day, what differs and what it is worth."""

    source: Source
    scenario: Scenario
    pack: Pack
    terms: Terms
    base: BaseData
    as_of: date
    baseline: MunicipalityResult
    steps: tuple[Step, ...]
    state: State
    """The citizens' timelines and parameter overrides after every change."""
    differences: tuple[Difference, ...]
    payouts: tuple[Payout, ...]
    warnings: tuple[str, ...]
    warned: tuple[Located, ...] = ()
    """The warnings about places in the scenario (also in `warnings`), for a form to show by the field."""
    projection: Projection | None = None

    @property
    def result(self) -> MunicipalityResult:
        """The scenario's evaluation: after every change."""
        return self.steps[-1].result if self.steps else self.baseline

    def outlook(self, t: Texts = ENGLISH) -> list[str]:
        """Whether and when each rate triggers in the scenario, in words."""
        return [
            t._(
                "rate %(rate)s would trigger on %(day)s: %(amount)s",
                rate=rate.rate,
                day=t.date(rate.date),
                amount=t.money(rate.amount),
            )
            if rate.triggered and rate.date is not None
            else t._("rate %(rate)s would not trigger by %(day)s", rate=rate.rate, day=t.date(self.as_of))
            for rate in self.result.status.rates
        ]


@collector_paused()
def simulate(
    loaded: LoadedScenario,
    base: BaseData,
    *,
    engine: Runner | None = None,
    kept: Kept | None = None,
) -> Simulation:
    """Evaluate the baseline and the scenario; raises ScenarioError naming the line of every problem.
    With `kept`, outcomes decided on `base` before are reused (kept.py)."""
    scenario, source = loaded.scenario, loaded.source
    try:
        pack, terms = get_pack(scenario.programme), terms_of(scenario.programme)
    except ValueError as error:  # a PackError, or a programme the simulation does not know
        raise source.error([Problem(("programme",), str(error))]) from None
    as_of = scenario.as_of or base.as_of
    if as_of is None:
        raise source.error(
            [Problem(("as_of",), "give as_of: a delivery folder has no as-of date of its own")]
        )
    errors, warned = check_changes(
        scenario.changes, pack, terms, base.grant, {t.citizen_id for t in base.timelines}, as_of
    )
    if errors:
        raise source.error(errors)
    state = State.of(base.timelines)
    evaluate = kept.evaluator(base, pack) if kept else Evaluator(pack, base, engine)
    baseline = evaluate(state, as_of)
    changes: tuple[Change, ...] = scenario.changes
    projection = None
    options = _forecast(scenario, base, as_of, source)
    if options is not None:
        projection = _projection(options, terms, base, state, as_of, source, evaluate)
        changes = projection.changes
    steps: list[Step] = []
    result = baseline
    for index, change in enumerate(changes):
        place: Place = ("changes", index)
        try:
            applied = _applied(change, state, result, pack, terms, evaluate)
        except Problems as found:
            raise source.error(found.within(place)) from None
        state = applied.state
        warned.extend(Problem((*place, *p.path), p.message) for p in applied.warnings)
        if applied.citizens or isinstance(change, SetParameter):
            try:
                result = evaluate(state, as_of)
            except ValueError as error:  # the rules refuse a reformed value (a PackError, a code)
                message = f"the rules cannot be evaluated after this change: {error}"
                raise source.error([Problem(place, message)]) from None
        ref = ChangeRef(index, change.op, source.lines.get(place))  # no line: generated by a forecast
        steps.append(Step(ref, change, applied.citizens, result))
    located = tuple(source.located(w) for w in warned)
    warnings = [*base.warnings, *(w.text for w in located)]
    if base.pack_hash not in (None, pack.content_hash):
        warnings.append(
            f"the base run used rule pack {base.pack_hash[:12]}; baseline and scenario are both evaluated "
            f"with the installed pack {pack.content_hash[:12]}"
        )
    results = [baseline, *(step.result for step in steps)]
    return Simulation(
        source=source,
        scenario=scenario.model_copy(update={"changes": changes}),
        pack=pack,
        terms=terms,
        base=base,
        as_of=as_of,
        baseline=baseline,
        steps=tuple(steps),
        state=state,
        differences=tuple(differences(results, [s.ref for s in steps], terms.month_rule)),
        payouts=tuple(payouts(baseline.status, results[-1].status)),
        warnings=tuple(warnings),
        warned=located,
        projection=projection,
    )


def _applied(
    change: Change, state: State, result: MunicipalityResult, pack: Pack, terms: Terms, evaluate: Evaluator
) -> Applied:
    """The state after one change; `result` is the evaluation of `state` (whom a change applies to)."""
    if isinstance(change, SetParameter):
        value = parameter_value(pack, change.name, change.value)  # checked before: no Problem here
        return Applied(replace(state, overrides={**state.overrides, change.name: value}), ())
    return apply(change, state, evaluate.context(terms, state, result))


def _forecast(scenario: Scenario, base: BaseData, as_of: date, source: Source) -> ForecastOptions | None:
    """The forecast's options: given, or implied by a scenario with no changes and a later as-of date."""
    if scenario.forecast is not None and scenario.changes:
        raise source.error(
            [Problem(("forecast",), "a forecast projects the base data alone: drop `changes`")]
        )
    if scenario.forecast is not None or scenario.changes:
        return scenario.forecast
    if base.as_of is not None and as_of > base.as_of:
        return ForecastOptions()
    why = "as_of is not later than the base run's" if base.as_of else "a delivery folder has no as-of date"
    message = f"no changes, and {why}: nothing to simulate (give changes, a later as_of, or `forecast: {{from: YYYY-MM-DD}}`)"
    raise source.error([Problem(("changes",), message)])


def _projection(
    options: ForecastOptions,
    terms: Terms,
    base: BaseData,
    state: State,
    as_of: date,
    source: Source,
    evaluate: Evaluator,
) -> Projection:
    start = options.start or base.as_of
    project_period = base.grant.project
    if start is None:
        raise source.error(
            [Problem(("forecast",), "give `from`: a delivery folder has no as-of date to start from")]
        )
    end = min(as_of, project_period.last)
    if not project_period.first <= start < end:
        raise source.error(
            [
                Problem(
                    ("forecast", "from") if options.start else ("as_of",),
                    f"a forecast runs from a day in the project period ({project_period.first} to "
                    f"{project_period.last}) to a later as_of; here from {start} to {as_of}",
                )
            ]
        )
    at_start = evaluate(state, start)
    pace = measure(options, start, evaluate.context(terms, state, at_start), at_start)
    return project(
        pace, terms, state, at_start, base.grant, end, lambda s: evaluate.context(terms, s, at_start)
    )
