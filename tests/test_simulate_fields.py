"""The form's description of a scenario: every key of every operation described, required exactly
when the model requires it, the "one of" pairs the models insist on, the allowed values of each
programme, the pack's parameters, and the words in Danish."""

from datetime import date
from typing import Any

import pytest

from engine.faces.i18n import texts
from engine.faces.simulate.api import Invalid, read_scenario
from engine.faces.simulate.fields import scenario_fields
from engine.faces.simulate.loading import MODELS
from engine.rules.pack import get_pack
from models.codes import Activity, Support

GOOD = {
    "visitate": {"count": 1, "date": "2018-03-01", "group": "1"},
    "add_activity": {"count": 1, "activity": "virksomhedspraktik", "from": "2018-03-01", "days": 5},
    "end_activity": {"count": 1, "date": "2018-03-01"},
    "move_group": {"count": 1, "date": "2018-03-01", "group": "2"},
    "exit": {"count": 1, "date": "2018-03-01", "reason": "doed"},
    "set_parameter": {"name": "rate3_share", "value": "0.35"},
}


def operation(fields: dict[str, Any], op: str) -> dict[str, Any]:
    return next(o for o in fields["operations"] if o["op"] == op)


EITHER = {"count": 1, "citizens": ["010180-1234"], "days": 5, "to": "2018-03-10"}


def problems(op: str, keys: dict[str, Any]) -> list[str]:
    """The first words of each problem of a scenario with one change."""
    try:
        read_scenario({"municipality": "851", "changes": [{"op": op, **keys}]})
    except Invalid as error:
        return [" ".join(p["message"].split()[:2]) for p in error.problems]
    return []


def valid(op: str, keys: dict[str, Any]) -> bool:
    return not problems(op, keys)


@pytest.mark.parametrize("programme", ["fsm1", "fsm2"])
def test_every_key_of_every_operation_is_described_and_required_exactly_when_the_model_requires_it(
    programme: str,
):
    fields = scenario_fields(programme)
    assert [o["op"] for o in fields["operations"]] == list(MODELS)
    for op, model in MODELS.items():
        described = operation(fields, op)
        keys = {f["name"]: f for f in described["fields"]}
        assert set(keys) == {info.alias or name for name, info in model.model_fields.items()} - {"op"}
        assert all(f["help"] and f["type"] for f in keys.values()), op
        assert valid(op, GOOD[op])
        for name, field in keys.items():
            if field["required"]:
                assert not valid(op, {k: v for k, v in GOOD[op].items() if k != name}), (op, name)
        for first, second in described["one_of"]:
            for keys in (
                {k: v for k, v in GOOD[op].items() if k not in (first, second)},
                {**GOOD[op], first: EITHER[first], second: EITHER[second]},
            ):
                assert problems(op, keys) == ["give either"], (op, keys)


def test_the_allowed_values_are_the_programmes_own():
    fsm1, fsm2 = scenario_fields("fsm1"), scenario_fields("fsm2")

    def choices(fields, op, key):
        return [
            c["value"]
            for c in next(f for f in operation(fields, op)["fields"] if f["name"] == key)["choices"]
        ]

    assert choices(fsm1, "visitate", "group") == ["1", "2", "3", "udskudt"]
    assert choices(fsm2, "move_group", "from_group") == ["indsats", "rehab"]
    assert choices(fsm2, "exit", "reason") == ["doed", "fraflyttet", "folkepension"]
    cash = set(get_pack("fsm1").parameters["current_support"].values[-1].value)
    assert choices(fsm1, "exit", "reason") == [
        "doed",
        "fraflyttet",
        "ingen_registrering",
        *(str(s) for s in Support if s not in cash),
    ]
    activity = next(f for f in operation(fsm2, "add_activity")["fields"] if f["name"] == "activity")
    assert [c["value"] for c in activity["choices"]] == [str(a) for a in Activity]
    assert {c["value"] for c in activity["choices"] if c["counts"]} == {
        "ordinaere_timer",
        "ordinaer_uddannelse",
    }
    assert choices(fsm1, "set_parameter", "name") == sorted(get_pack("fsm1").parameters)


def test_the_packs_parameters_with_their_type_current_value_and_code_list():
    parameters = {p["name"]: p for p in scenario_fields("fsm1")["parameters"]}
    assert set(parameters) == set(get_pack("fsm1").parameters)
    assert parameters["rate3_share"] | {"label": None} == {
        "name": "rate3_share",
        "type": "decimal",
        "label": None,
        "current": "0.40",
        "choices": None,
    }
    assert parameters["cutoff_date"]["current"] == date(2016, 12, 31).isoformat()
    assert parameters["company_directed_activities"]["choices"] == [str(a) for a in Activity]
    assert parameters["rate2_population"]["choices"] is None  # `active` or `all`: no code list of SPEC's


def test_the_scenarios_own_keys_their_defaults_and_the_callers_municipalities():
    fields = scenario_fields("fsm1", municipalities=["851", "657"])
    keys = {f["name"]: f for f in fields["scenario"]}
    assert [(k, f["required"], f["default"]) for k, f in keys.items()] == [
        ("municipality", True, None),
        ("programme", False, "fsm1"),
        ("base", False, "latest"),
        ("as_of", False, None),
        ("title", False, None),
        ("changes", False, []),
        ("forecast", False, None),
    ]
    assert keys["municipality"]["choices"] == [
        {"value": "657", "label": "Herning (657)"},
        {"value": "851", "label": "Aalborg (851)"},
    ]
    assert [f["name"] for f in fields["forecast"]] == ["from", "window_weeks", "trend_months"]
    assert scenario_fields("fsm1")["scenario"][0]["choices"] is None  # any code may be typed
    with pytest.raises(ValueError, match="the simulation knows fsm1, fsm2"):
        scenario_fields("fsm9")


def test_the_words_are_danish_when_asked_for():
    english, danish = scenario_fields("fsm1"), scenario_fields("fsm1", t=texts("da"))
    assert operation(danish, "visitate")["label"] == "Visitér"
    assert operation(danish, "exit")["fields"][0]["help"] != operation(english, "exit")["fields"][0]["help"]
    group = next(f for f in operation(danish, "visitate")["fields"] if f["name"] == "group")
    assert group["choices"][0] == {"value": "1", "label": "Gruppe 1 – indsatsgruppen"}
    rate3 = next(p for p in danish["parameters"] if p["name"] == "rate3_share")
    assert rate3["label"] != next(p for p in english["parameters"] if p["name"] == "rate3_share")["label"]
