"""The simulation's evaluator: the same result as `evaluate_municipality`, deciding again only the
citizens a change replaced, and nothing reused across as-of dates or parameter overrides."""

from dataclasses import replace
from datetime import date

import pytest

from engine.faces.simulate.evaluator import KEPT, Evaluator
from engine.faces.simulate.operations import State
from engine.rules.pack import get_pack
from engine.rules.programmes import MunicipalityResult, evaluate_municipality, programme_of
from engine.synthetic.aalborg import municipality
from models.domain import Visitation
from tests.simulations import base_of

PACK = get_pack("fsm1")
PLACE = municipality("851", members=60, non_members=15, seed=7)
BASE = base_of(PLACE.citizens, PLACE.grant)


def plainly(state: State, as_of: date) -> MunicipalityResult:
    return evaluate_municipality(
        PACK, BASE.grant, state.timelines.values(), as_of, overrides=dict(state.overrides) or None
    )


def same(found: MunicipalityResult, expected: MunicipalityResult) -> None:
    assert found.status == expected.status
    assert found.evaluations == expected.evaluations
    assert [d.model_dump() for d in found.rates] == [d.model_dump() for d in expected.rates]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The citizens decided, in order (the programme's evaluate_citizen, counted)."""
    module = programme_of(PACK)
    original, decided = module.evaluate_citizen, []

    def counting(place, timeline):
        decided.append(timeline.citizen_id)
        return original(place, timeline)

    monkeypatch.setattr(module, "evaluate_citizen", counting)
    return decided


def visitated(state: State, citizen: str, day: date) -> State:
    timeline = state.timelines[citizen]
    visit = Visitation(programme="fsm1", day=day, group="udskudt")
    changed = timeline.model_validate(
        {**timeline.model_dump(), "visitations": [*timeline.visitations, visit]}
    )
    return replace(state, timelines={**state.timelines, citizen: changed})


def test_a_changed_citizen_is_decided_again_and_the_others_are_not(counted: list[str]):
    evaluate = Evaluator(PACK, BASE)
    state = State.of(BASE.timelines)
    as_of = date(2019, 8, 31)
    first = evaluate(state, as_of)
    assert counted == sorted(state.timelines)
    someone = sorted(state.timelines)[3]
    changed = visitated(state, someone, date(2018, 2, 1))
    counted.clear()
    found = evaluate(changed, as_of)
    assert counted == [someone]
    same(first, plainly(state, as_of))
    same(found, plainly(changed, as_of))
    assert found.status != first.status


def test_outcomes_are_not_reused_across_as_of_dates_or_overrides(counted: list[str]):
    evaluate = Evaluator(PACK, BASE)
    state = State.of(BASE.timelines)
    evaluate(state, date(2019, 8, 31))
    counted.clear()
    earlier = evaluate(state, date(2018, 3, 2))
    assert counted == sorted(state.timelines)
    reformed = replace(state, overrides={"rate3_share": PACK.parameters["rate3_share"].values[-1].value / 2})
    counted.clear()
    found = evaluate(reformed, date(2018, 3, 2))
    assert counted == sorted(state.timelines)
    counted.clear()
    again = evaluate(state, date(2018, 3, 2))
    assert counted == [] and again.status == earlier.status
    same(found, plainly(reformed, date(2018, 3, 2)))


def test_an_evaluator_keeps_the_outcomes_of_its_last_few_as_of_dates_only(counted: list[str]):
    evaluate = Evaluator(PACK, BASE)
    state = State.of(BASE.timelines)
    days = [date(2018, 3, day) for day in range(1, KEPT + 2)]
    for day in days:
        evaluate(state, day)
    counted.clear()
    evaluate(state, days[-1])
    evaluate(state, days[1])
    assert counted == []
    evaluate(state, days[0])
    assert counted == sorted(state.timelines)
