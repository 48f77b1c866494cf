"""A scenario's value of the wrong kind is told in our words, not pydantic's: every error type the
scenario's models give (a date that is none, a number that is none, a key missing, a code not among
the codes, a number below its least, …) has a phrase (engine/faces/simulate/phrases.py), made from
the error's type and context, so that the web says it in Danish; a type without one keeps pydantic's
English (nothing breaks), and the set of documents below finds a new field whose type has none."""

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from engine.faces.i18n import Language, texts
from engine.faces.simulate import phrases
from engine.faces.simulate.loading import WORDED, ScenarioError, Source, problems, validated
from engine.faces.simulate.scenario import Scenario
from engine.words import Phrase, recognised
from tests.simulations import scenario

M = {"municipality": "851"}
VISITATE = {"op": "visitate", "count": 1, "date": "2018-03-01", "group": "1"}
ACTIVITY = {"op": "add_activity", "count": 1, "activity": "mentor", "from": "2018-03-01", "days": 3}
CODES = (
    "virksomhedspraktik, loentilskud, ordinaere_timer, fleksjob, ordinaer_uddannelse, vejledning, mentor, "
    "opkvalificering"
)


def change(**keys: Any) -> dict[str, Any]:
    """A scenario of one visitation, its keys replaced (None: left out)."""
    given = {k: v for k, v in {**VISITATE, **keys}.items() if v is not None}
    return {**M, "changes": [given]}


def named(*citizens: Any) -> dict[str, Any]:
    return change(count=None, citizens=list(citizens))


BAD: list[Any] = [
    # the document, the place of its problem, the message
    pytest.param(["a"], (), "must be a mapping of keys to values", id="model_type"),
    pytest.param(None, (), "is empty; give a value", id="no document"),
    pytest.param({}, ("municipality",), "is missing and must be given", id="missing"),
    pytest.param(
        {"municipality": "8510"},
        ("municipality",),
        "must be a municipality's three-digit code, such as 851 (found '8510')",
        id="string_pattern_mismatch",
    ),
    pytest.param({"municipality": ["851"]}, ("municipality",), "must be text", id="string_type"),
    pytest.param({"municipality": None}, ("municipality",), "is empty; give a value", id="empty"),
    pytest.param(
        {"municipality": "\ud800"},
        ("municipality",),
        "must be text without broken characters (found '\\ud800')",
        id="string_unicode",
    ),
    pytest.param({**M, "programme": 3}, ("programme",), "must be text (found 3)", id="programme"),
    pytest.param(
        {**M, "as_of": "tomorrow"},
        ("as_of",),
        "must be a date written year-month-day, such as 2018-03-01 (found 'tomorrow')",
        id="date_from_datetime_parsing",
    ),
    pytest.param(
        {**M, "as_of": "01-03-2018"},
        ("as_of",),
        "must be a date written year-month-day, such as 2018-03-01 (found '01-03-2018')",
        id="day first",
    ),
    pytest.param(
        {**M, "as_of": "2018-02-30"},
        ("as_of",),
        "is written as a date, but there is no such day (found '2018-02-30')",
        id="no such day",
    ),
    pytest.param(
        {**M, "as_of": "0000-01-01"},
        ("as_of",),
        "is written as a date, but there is no such day (found '0000-01-01')",
        id="date_parsing",
    ),
    pytest.param(
        {**M, "as_of": "2018-03-01T10:00"},
        ("as_of",),
        "must be a day without a time of day, such as 2018-03-01 (found '2018-03-01T10:00')",
        id="date_from_datetime_inexact",
    ),
    pytest.param(
        {**M, "as_of": datetime.datetime(2018, 3, 1, 10)},
        ("as_of",),
        "must be a day without a time of day, such as 2018-03-01 (found 2018-03-01 10:00:00)",
        id="a day and a time",
    ),
    pytest.param(
        {**M, "as_of": 20180301},
        ("as_of",),
        "must be a date written year-month-day, such as 2018-03-01 (found 20180301)",
        id="a date as a number",
    ),
    pytest.param(
        {**M, "as_of": True},
        ("as_of",),
        "must be a date written year-month-day, such as 2018-03-01 (found True)",
        id="date_type",
    ),
    pytest.param({**M, "changes": "abc"}, ("changes",), "must be a list (found 'abc')", id="tuple_type"),
    pytest.param({**M, "changes": None}, ("changes",), "is empty; give a value", id="no changes"),
    pytest.param(
        {**M, "changes": ["abc"]},
        ("changes", 0),
        "must be a mapping of keys to values (found 'abc')",
        id="model_attributes_type",
    ),
    pytest.param(
        {**M, "forecast": "abc"},
        ("forecast",),
        "must be a mapping of keys to values (found 'abc')",
        id="forecast not a mapping",
    ),
    pytest.param(
        {**M, "forecast": {"window_weeks": 0}},
        ("forecast", "window_weeks"),
        "must be at least 1 (found 0)",
        id="greater_than_equal",
    ),
    pytest.param(
        {**M, "forecast": {"window_weeks": 200}},
        ("forecast", "window_weeks"),
        "must be at most 104 (found 200)",
        id="less_than_equal",
    ),
    pytest.param(
        {**M, "forecast": {"trend_months": "many"}},
        ("forecast", "trend_months"),
        "must be a whole number (found 'many')",
        id="int_parsing",
    ),
    pytest.param(
        {**M, "forecast": {"window_weeks": Decimal("1.5")}},
        ("forecast", "window_weeks"),
        "must be a whole number, without decimals (found 1.5)",
        id="int_from_float",
    ),
    pytest.param(
        {**M, "forecast": {"window_weeks": [1]}},
        ("forecast", "window_weeks"),
        "must be a whole number",
        id="int_type",
    ),
    pytest.param(
        {**M, "forecast": {"window_weeks": float("inf")}},
        ("forecast", "window_weeks"),
        "must be a whole number (found inf)",
        id="finite_number",
    ),
    pytest.param(
        {**M, "forecast": {"window_weeks": "9" * 5000}},
        ("forecast", "window_weeks"),
        f"is far too large a number (found '{'9' * 5000}')",
        id="int_parsing_size",
    ),
    pytest.param(
        {**M, "forecast": {"from": "x"}},
        ("forecast", "from"),
        "must be a date written year-month-day, such as 2018-03-01 (found 'x')",
        id="forecast from",
    ),
    pytest.param(
        change(date=None), ("changes", 0, "date"), "is missing and must be given", id="a change's key missing"
    ),
    pytest.param(change(group=["1"]), ("changes", 0, "group"), "must be text", id="group"),
    pytest.param(
        change(only_active="maybe"),
        ("changes", 0, "only_active"),
        "must be true or false (found 'maybe')",
        id="bool_parsing",
    ),
    pytest.param(
        change(only_active=[]), ("changes", 0, "only_active"), "must be true or false", id="bool_type"
    ),
    pytest.param(named(), ("changes", 0, "citizens"), "must not be empty", id="too_short"),
    pytest.param(
        change(count=None, citizens="abc"),
        ("changes", 0, "citizens"),
        "must be a list (found 'abc')",
        id="citizens not a list",
    ),
    pytest.param(named(3), ("changes", 0, "citizens", 0), "must be text (found 3)", id="citizen a number"),
    pytest.param(
        named("a b"),
        ("changes", 0, "citizens", 0),
        "must be a CPR number (DDMMYYSSSS or DDMMYY-SSSS) or a pseudonym [A-Za-z0-9_-]{1,64} (found 'a b')",
        id="no citizen id",
    ),
    pytest.param(
        named("3102181234"),
        ("changes", 0, "citizens", 0),
        "is a CPR number with no real birth date (found '310218-xxxx')",
        id="no birth date",
    ),
    pytest.param(
        {**M, "changes": [{**ACTIVITY, "activity": "praktik"}]},
        ("changes", 0, "activity"),
        f"must be one of the codes {CODES} (found 'praktik')",
        id="enum",
    ),
    pytest.param(
        {**M, "changes": [{**ACTIVITY, "days": -1}]},
        ("changes", 0, "days"),
        "must be at least 1 (found -1)",
        id="days below 1",
    ),
    pytest.param(
        {**M, "changes": [{"op": "end_activity", "count": 1, "date": "2018-03-01", "activity": "x"}]},
        ("changes", 0, "activity"),
        f"must be one of the codes {CODES} (found 'x')",
        id="end an unknown activity",
    ),
    pytest.param(
        {**M, "changes": [{"op": "set_parameter", "name": 3, "value": 1}]},
        ("changes", 0, "name"),
        "must be text (found 3)",
        id="parameter name",
    ),
    pytest.param(
        {**M, "changes": [{"op": "set_parameter", "name": "x"}]},
        ("changes", 0, "value"),
        "is missing and must be given",
        id="parameter value",
    ),
    pytest.param(
        {**M, "changes": [{"op": "jump"}]},
        ("changes", 0, "op"),
        "unknown operation 'jump'; the operations are visitate, add_activity, end_activity, move_group, exit, "
        "set_parameter",
        id="union_tag_invalid",
    ),
    pytest.param(
        {**M, "changes": [{"count": 1}]},
        ("changes", 0),
        "a change needs `op`, one of visitate, add_activity, end_activity, move_group, exit, set_parameter",
        id="union_tag_not_found",
    ),
    pytest.param(
        {**M, "colour": "red"},
        ("colour",),
        "unknown key; the keys here are municipality, programme, base, as_of, title, changes, forecast",
        id="extra_forbidden",
    ),
    pytest.param(
        change(count="many"),
        ("changes", 0, "count"),
        "must be a whole number of at least 1, 'all', or a percentage such as '25%' (found 'many')",
        id="value_error",
    ),
]
JARGON = (
    "Input should",
    "String should",
    "Field required",
    "valid integer",
    "Value error",
    "Tuple",
    "Decimal(",
)


def found(document: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ScenarioError) as raised:
        validated(document, Source("scenario", Path.cwd()))
    return [(problem.path, problem.message) for problem in raised.value.found]


@pytest.mark.parametrize(("document", "place", "message"), BAD)
def test_a_value_of_the_wrong_kind_is_told_in_our_words_and_said_in_danish(document, place, message):
    assert found(document) == [(place, message)]
    assert recognised(message) is not None and not any(word in message for word in JARGON)
    danish = texts(Language.da).rules_words(message)
    assert danish != message and not any(word in danish for word in JARGON)


def test_every_error_type_the_scenarios_models_give_has_words_of_ours():
    """A new field whose type gives another error: add its words (phrases.py, loading.py `_said`)
    and a document here that gives it."""
    given = set()
    for document, *_ in (case.values for case in BAD):
        with pytest.raises(ValidationError) as raised:
            Scenario.model_validate(document)
        given |= {entry["type"] for entry in raised.value.errors()}
    assert given - WORDED == set()
    assert WORDED - given == set(), "a type with words that no document here gives"


def test_a_yaml_files_problems_are_our_words_with_the_line():
    with pytest.raises(ScenarioError) as raised:
        scenario(
            "municipality: '851'\nas_of: tomorrow\nchanges:\n  - op: add_activity\n    count: many\n"
            "    activity: praktik\n    from: 2018-03-01\n    days: -1\n  - op: visitate\n    count: 1\n"
            "    group: '1'\n"
        )
    assert raised.value.messages == [
        "scenario.yaml, line 2, as_of: must be a date written year-month-day, such as 2018-03-01 (found "
        "'tomorrow')",
        "scenario.yaml, line 5, changes[0].count: must be a whole number of at least 1, 'all', or a percentage "
        "such as '25%' (found 'many')",
        f"scenario.yaml, line 6, changes[0].activity: must be one of the codes {CODES} (found 'praktik')",
        "scenario.yaml, line 8, changes[0].days: must be at least 1 (found -1)",
        "scenario.yaml, line 9, changes[1].date: is missing and must be given",
    ]


def test_a_list_whose_items_are_wrong_is_not_also_called_empty():
    (only,) = found(named("a b", 3))[1:]
    assert only == (("changes", 0, "citizens", 1), "must be text (found 3)")


def test_danish_says_the_problem_and_the_value_found():
    danish = texts(Language.da).rules_words
    assert danish("must be at least 1 (found -1)") == "skal være mindst 1 (fundet -1)"
    assert danish("is missing and must be given") == "mangler og skal angives"
    assert danish("must be a whole number (found 2018-03-01)") == "skal være et helt tal (fundet 01-03-2018)"
    assert danish(f"must be one of the codes {CODES} (found 'praktik')") == (
        f"skal være en af koderne {CODES} (fundet 'praktik')"
    )


def test_an_error_type_without_words_keeps_pydantics_message():
    class Later(BaseModel):
        name: str = Field(max_length=2)

    with pytest.raises(ValidationError) as raised:
        Later.model_validate({"name": "abc"})
    (problem,) = problems(raised.value, {"name": "abc"})
    assert problem.message == "String should have at most 2 characters (found 'abc')"


def test_each_phrase_is_recognised_as_itself():
    """No earlier phrase (of the rules or the scenario checks) takes a new one's sentence for its own."""
    new = [value for name, value in vars(phrases).items() if isinstance(value, Phrase) and name.isupper()]
    for made in new:
        text = made(**{name: f"<{name} x>" for name in made.pattern.groupindex})
        assert recognised(text) == (made, {name: f"<{name} x>" for name in made.pattern.groupindex})


def test_the_citizen_id_words_are_the_models():
    with pytest.raises(ValidationError) as raised:
        Scenario.model_validate(named("a b"))
    entry = raised.value.errors()[0]
    assert str(entry["ctx"]["error"]) == phrases.CITIZEN_ID()
