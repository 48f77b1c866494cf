"""The functions the web's pages and `POST /api/simulations` call: a scenario document gives the
object `fsm simulate --json` prints for it, with every problem named by change and field, for the
municipalities a caller may see only; nothing is written; base data and evaluations kept between
calls give the same results."""

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic_core import to_jsonable_python
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.i18n import texts
from engine.faces.simulate import base as base_module
from engine.faces.simulate.api import (
    EVERY,
    Invalid,
    Refused,
    distance_document,
    forecast_document,
    run_scenario,
    simulate_document,
    warnings_json,
)
from engine.faces.simulate.base import read_only
from engine.faces.simulate.kept import Kept
from engine.rules.pack import _ExactLoader
from tests.scenario_documents import documents, without_places
from tests.simulations import fingerprint, on_run_1

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))


def cli(*args: Any, database: Engine | str | None = None) -> Any:
    url = database.url.render_as_string(hide_password=False) if isinstance(database, Engine) else database
    env = {"DATABASE_URL": url} if url else {}
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_gives_the_object_fsm_simulate_json_prints_for_it_also_as_json(
    stored_runs: Engine, example: Path, tmp_path: Path
):
    scenario = on_run_1(example, tmp_path)
    text = scenario.read_text(encoding="utf-8")
    printed = cli("simulate", scenario, "--json", database=stored_runs)
    assert printed.exit_code == 0, printed.output
    found = simulate_document(
        text, database=stored_runs, municipalities=EVERY, name=str(scenario), directory=scenario.parent
    )
    assert found == json.loads(printed.stdout)
    assert found["differences"]  # (every example shows something)
    as_json = scenario.with_suffix(".json")
    data = yaml.load(text, Loader=_ExactLoader)  # noqa: S506 - a SafeLoader
    as_json.write_text(json.dumps(to_jsonable_python(data), indent=2, ensure_ascii=False), encoding="utf-8")
    from_json = simulate_document(
        as_json.read_bytes(),
        database=stored_runs,
        municipalities=EVERY,
        name=str(as_json),
        directory=scenario.parent,
    )
    json_printed = cli("simulate", as_json, "--json", database=stored_runs)
    assert from_json == json.loads(json_printed.stdout)
    assert without_places(from_json, str(as_json)) == without_places(found, str(scenario))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_generated_scenario_gives_what_fsm_simulate_gives_for_the_same_text(small_folder, data):
    folder, citizens = small_folder
    document = data.draw(documents(citizens, str(folder)))
    text = json.dumps(document, indent=2, ensure_ascii=False)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "scenario.json"
        path.write_text(text, encoding="utf-8")
        printed = cli("simulate", path, "--json", database=f"sqlite:///{directory}/none.sqlite")
        try:
            found = simulate_document(
                text, database=None, municipalities=EVERY, name=str(path), directory=path.parent
            )
        except Invalid as error:
            event("refused")
            assert printed.exit_code == 2 and printed.stdout == ""
            assert printed.stderr == "".join(f"error: {m}\n" for m in error.messages)
            assert [p["text"] for p in error.problems] == error.messages
        else:
            event("simulated")
            assert printed.exit_code == 0, printed.output
            assert found == json.loads(printed.stdout)


SCENARIO = {
    "municipality": "851",
    "base": 1,
    "as_of": "2019-08-31",
    "changes": [
        {"op": "visitate", "count": "all", "only_active": True, "date": "2018-03-01", "group": "udskudt"},
        {
            "op": "add_activity",
            "count": 5000,
            "activity": "virksomhedspraktik",
            "from": "2018-03-01",
            "days": 60,
        },
    ],
}


def test_a_forms_mapping_and_its_json_text_give_the_same_document_with_or_without_lines(stored_runs: Engine):
    from_mapping = simulate_document(SCENARIO, database=stored_runs, municipalities={"851"})
    from_text = simulate_document(json.dumps(SCENARIO), database=stored_runs, municipalities={"851"})
    assert from_mapping["changes"][0]["line"] is None and from_text["changes"][0]["line"] == 1
    assert without_places(from_mapping, "scenario") == without_places(from_text, "scenario")
    rate2 = from_mapping["scenario"]["rates"][1]
    assert (rate2["triggered"], rate2["date"]) == (True, "2018-03-01")


def test_a_count_larger_than_those_it_applies_to_is_a_warning_beside_its_field(stored_runs: Engine):
    simulation = run_scenario(SCENARIO, database=stored_runs, municipalities=EVERY)
    (warning,) = warnings_json(simulation)
    assert (warning["severity"], warning["change"], warning["op"], warning["field"]) == (
        "warning",
        1,
        "add_activity",
        "count",
    )
    assert warning["message"].startswith("asked for 5000, but there are ")
    assert warning["text"] == f"scenario, changes[1].count: {warning['message']}"
    assert warning["text"] in simulation.warnings


def problems(scenario: Any, **options: Any) -> list[dict[str, Any]]:
    with pytest.raises(Invalid) as raised:
        run_scenario(scenario, municipalities=EVERY, **{"database": None, **options})
    return raised.value.problems


def test_every_problem_names_its_change_operation_field_and_the_message_of_the_yaml_checks(
    stored_runs: Engine,
):
    document = {
        "municipality": "851",
        "base": 1,
        "as_of": "2019-08-31",
        "changes": [
            {"op": "visitate", "count": "many", "date": "2018-03-01", "group": "1"},
            {"op": "visit", "count": 1},
            {"op": "add_activity", "count": 2, "activity": "virksomhedspraktik", "from": "2018-03-01"},
            {"op": "exit", "count": 1, "date": "2018-03-01", "reason": "left", "colour": "red"},
        ],
    }
    found = problems(document, database=stored_runs)
    assert [(p["change"], p["op"], p["field"], p["line"]) for p in found] == [
        (0, "visitate", "count", None),
        (1, "visit", "op", None),
        (2, "add_activity", None, None),
        (3, "exit", "reason", None),
        (3, "exit", "colour", None),
    ]
    assert found[0]["message"] == (
        "must be a whole number of at least 1, 'all', or a percentage such as '25%' (found 'many')"
    )
    assert found[1]["message"].startswith("unknown operation 'visit'; the operations are visitate, ")
    assert found[2]["message"] == "give either `days` (how many days) or `to` (the last day)"
    assert found[4]["message"].startswith("unknown key; the keys here are ")
    assert [p["text"] for p in found] == [f"scenario, {p['place']}: {p['message']}" for p in found]
    checked = {
        **document,
        "changes": [
            {"op": "visitate", "count": 1, "date": "2020-03-01", "group": "indsats"},
            {"op": "move_group", "citizens": ["010101-1234"], "date": "2018-03-01", "group": "2"},
        ],
    }
    text = json.dumps(checked, indent=2)
    lines = text.splitlines()

    def line(fragment: str) -> int:
        return next(n for n, found in enumerate(lines, start=1) if fragment in found)

    found = problems(text, database=stored_runs)
    assert [(p["change"], p["field"], p["item"], p["line"], p["message"]) for p in found] == [
        (
            0,
            "date",
            None,
            line('"2020-03-01"'),
            "2020-03-01 is outside the project period 2017-08-01 to 2019-08-31",
        ),
        (0, "group", None, line('"indsats"'), "'indsats' is not a fsm1 group (1, 2, 3, udskudt)"),
        (
            1,
            "citizens",
            0,
            line('"010101-1234"'),
            "010101-xxxx is not a citizen of municipality 851 in the base data",
        ),
    ]


def test_texts_that_are_no_scenario_are_problems_with_their_line():
    (not_utf8,) = problems(b"municipality: \xff\n")
    assert not_utf8["message"].startswith("not UTF-8 text") and not_utf8["path"] == []
    (broken,) = problems('{"municipality": "851",\n  "changes": [}')
    assert (broken["line"], broken["field"]) == (2, None) and broken["message"].startswith("not valid YAML")
    (empty,) = problems("")
    assert empty["message"] == "the scenario file is empty"
    (twice,) = problems('{"municipality": "851",\n "municipality": "657"}')
    assert (twice["field"], twice["line"], twice["message"]) == (
        "municipality",
        2,
        "given twice (first on line 1)",
    )
    (listed,) = problems("[1, 2]")
    assert listed["message"] == "must be a mapping of keys to values"
    (control,) = problems('{"municipality": "851",\n "title": "a\x7fb"}')
    assert (control["line"], control["message"]) == (
        2,
        "not valid YAML: character #x007f: special characters are not allowed",
    )
    (half,) = problems('{"municipality": "851",\n "title": "\\ud83d"}')
    assert (half["line"], half["message"]) == (
        2,
        "not valid YAML: half a surrogate pair (\\uD800-\\uDFFF) is no character",
    )
    (spelled,) = problems('{"municipality": "851", "title": "\\ud83d\\ude00", "colour": 1}')
    assert spelled["field"] == "colour"  # the pair JSON escapes is one character: the title is fine


def test_a_delivery_folder_is_no_base_for_the_api_and_a_missing_run_is_a_problem_at_base(
    stored_runs: Engine,
):
    (folder,) = problems({"municipality": "851", "base": "../delivery", "as_of": "2018-03-02", "changes": []})
    assert (folder["field"], folder["message"]) == (
        "base",
        "a delivery folder cannot be the base here: give latest or a run id",
    )
    (missing,) = problems({**SCENARIO, "base": 9}, database=stored_runs)
    assert (missing["field"], missing["message"]) == ("base", "there is no run 9")
    (failed,) = problems({**SCENARIO, "base": 3}, database=stored_runs)
    assert failed["message"] == "run 3 is failed, not finished"


def test_a_municipality_the_caller_may_not_see_is_refused_before_any_data_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.sqlite'}")
    with pytest.raises(Refused):
        run_scenario(SCENARIO, database=None, municipalities={"657"})
    with pytest.raises(Refused):
        forecast_document("851", database=None, municipalities=frozenset())
    with pytest.raises(Refused):
        distance_document("851", database=None, municipalities=["101", "657"])
    assert not (tmp_path / "nothing.sqlite").exists()
    with pytest.raises(Invalid, match="there is no database"):  # allowed: then the data is looked for
        run_scenario(SCENARIO, database=None, municipalities={"851"})


def test_simulations_forecasts_and_distances_write_nothing_to_the_database(stored_runs: Engine):
    before = fingerprint(stored_runs)
    simulate_document(SCENARIO, database=stored_runs, municipalities=EVERY, kept=Kept())
    forecast_document("851", database=stored_runs, municipalities=EVERY, base=1)
    distance_document("851", database=stored_runs, municipalities=EVERY, run=1, as_of=None)
    assert fingerprint(stored_runs) == before


def test_the_forecast_is_fsm_forecasts_object_with_its_assumption_in_words_in_either_language(
    stored_runs: Engine,
):
    printed = cli(
        "forecast", "--municipality", "851", "--base", "1", "--json", "--lang", "da", database=stored_runs
    )
    assert printed.exit_code == 0, printed.output
    danish = forecast_document("851", database=stored_runs, municipalities=EVERY, base=1, t=texts("da"))
    words = danish.pop("words")
    assert danish == json.loads(printed.stdout)
    assert words["language"] == "da" and words["assumption"].startswith(
        "Prognose fra 2. marts 2018 til 31. august 2019."
    )
    assert all(" ville " in line for line in words["outlook"]) and len(words["outlook"]) == 3
    assert danish["forecast"]["outlook"][0].startswith(
        "rate 1 would"
    )  # the JSON is the same in every language
    english = forecast_document("851", database=stored_runs, municipalities=EVERY, base=1)
    assert english["words"]["assumption"] == english["forecast"]["assumption"]
    assert english["words"]["outlook"] == english["forecast"]["outlook"]
    assert (
        english["simulation"]["title"] == "forecast of Aalborg (851)"
        and danish["simulation"]["title"] == "prognose for Aalborg (851)"
    )


def test_kept_base_data_are_read_once_and_give_the_same_documents(
    stored_runs: Engine, monkeypatch: pytest.MonkeyPatch
):
    reads: list[int] = []
    original = base_module.load_timelines

    def counting(session, *, delivery, municipality):
        reads.append(delivery)
        return original(session, delivery=delivery, municipality=municipality)

    monkeypatch.setattr(base_module, "load_timelines", counting)
    kept = Kept(size=1)
    plain = simulate_document(SCENARIO, database=stored_runs, municipalities=EVERY)
    assert simulate_document(SCENARIO, database=stored_runs, municipalities=EVERY, kept=kept) == plain
    assert simulate_document(SCENARIO, database=stored_runs, municipalities=EVERY, kept=kept) == plain
    assert distance_document("851", database=stored_runs, municipalities=EVERY, run=1, kept=kept) == (
        distance_document("851", database=stored_runs, municipalities=EVERY, run=1)
    )
    assert len(reads) == 3  # the plain simulation, the first kept one, the plain distance
    reformed = {**SCENARIO, "changes": [{"op": "set_parameter", "name": "rate3_share", "value": "0.30"}]}
    assert simulate_document(reformed, database=stored_runs, municipalities=EVERY, kept=kept) == (
        simulate_document(reformed, database=stored_runs, municipalities=EVERY)
    )
    simulate_document({**SCENARIO, "base": 2}, database=stored_runs, municipalities=EVERY, kept=kept)
    reads.clear()
    simulate_document(SCENARIO, database=stored_runs, municipalities=EVERY, kept=kept)  # run 1 was dropped
    assert reads == [1]


def test_a_simulations_read_only_connection_is_writable_again_whichever_the_pool_gives_next(engine: Engine):
    """SQLite's `query_only` is a connection's: with two connections in the pool, the one a
    simulation read with must come back writable (it once came back read-only, and the web's access
    log then could not be written)."""

    with engine.connect() as one, engine.connect() as other:  # two connections in the pool
        one.execute(text("select 1"))
        other.execute(text("select 1"))
    for _ in range(3):
        with read_only(engine) as session:
            session.execute(text("select count(*) from runs"))
    for _ in range(3):
        with engine.begin() as connection:
            connection.execute(text("create table if not exists written_after (x integer)"))
            connection.execute(text("insert into written_after values (1)"))
