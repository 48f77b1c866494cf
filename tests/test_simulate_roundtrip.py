"""The scenario between the form and the file: a document written as YAML is the same scenario and
`fsm simulate` runs it to the same result; an uploaded file fills the form with its document, or
with what it says and its problems by line."""

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.simulate.api import EVERY, Invalid, read_scenario, simulate_document
from engine.faces.simulate.loading import ScenarioError, Source, parse_scenario
from engine.faces.simulate.roundtrip import form_document, read_upload, scenario_yaml
from engine.input.errors import location
from tests.scenario_documents import documents, without_places

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))


def reread(text: str):
    return parse_scenario(text, Source("again.yaml", Path.cwd())).scenario


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_written_again_as_yaml_is_the_same_scenario_and_fills_the_form(example: Path):
    text = example.read_text(encoding="utf-8")
    scenario = parse_scenario(text, Source(str(example), example.parent)).scenario
    written = scenario_yaml(text)
    assert reread(written) == scenario
    upload = read_upload(text, name=example.name)
    assert upload.problems == [] and upload.document == form_document(scenario)
    assert scenario_yaml(upload.document) == written  # (decimals are text in the form's JSON)


def test_the_yaml_reads_as_a_scenario_file_is_written():
    document = {
        "municipality": 851,
        "base": 3,
        "as_of": "2019-07-31",
        "changes": [
            {"op": "visitate", "count": 25, "date": "2018-05-31", "group": "1"},
            {"op": "set_parameter", "name": "rate3_share", "value": "0.35"},
            {"op": "set_parameter", "name": "cutoff_date", "value": "2016-06-30"},
            {"op": "set_parameter", "name": "rate3_months", "value": "two"},
        ],
    }
    assert scenario_yaml(document) == (
        "municipality: '851'\n"
        "programme: fsm1\n"
        "base: 3\n"
        "as_of: 2019-07-31\n"
        "changes:\n"
        "- op: visitate\n"
        "  count: 25\n"
        "  date: 2018-05-31\n"
        "  group: '1'\n"
        "- op: set_parameter\n"
        "  name: rate3_share\n"
        "  value: 0.35\n"
        "- op: set_parameter\n"
        "  name: cutoff_date\n"
        "  value: 2016-06-30\n"
        "- op: set_parameter\n"
        "  name: rate3_months\n"
        "  value: two\n"
    )
    with pytest.raises(Invalid) as raised:
        scenario_yaml({"municipality": "85", "changes": [{"op": "visitate", "count": "many"}]})
    assert [(p["change"], p["field"]) for p in raised.value.problems] == [
        (None, "municipality"),
        (0, "count"),
        (0, "date"),
        (0, "group"),
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_generated_document_as_yaml_runs_to_the_same_result_in_fsm_simulate(small_folder, data):
    folder, citizens = small_folder
    document = json.dumps(data.draw(documents(citizens, str(folder))))  # as a form sends it
    try:
        loaded, _ = read_scenario(document, directory=folder)
    except Invalid:
        return  # no scenario: nothing to write (the problems are the API's, tested there)
    written = scenario_yaml(document)
    assert form_document(reread(written)) == form_document(loaded.scenario)  # (a decimal was text in JSON)
    assert read_upload(written).document == form_document(loaded.scenario)
    assert scenario_yaml(written) == written
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "scenario.yaml"
        path.write_text(written, encoding="utf-8")
        printed = CliRunner().invoke(
            app, ["simulate", str(path), "--json"], env={"DATABASE_URL": f"sqlite:///{directory}/x.sqlite"}
        )
    try:
        found = simulate_document(document, database=None, municipalities=EVERY, directory=folder)
    except ScenarioError as error:
        assert printed.exit_code == 2
        shown = printed.stderr.splitlines()
        assert len(shown) == len(error.found)
        for line, found in zip(shown, error.found, strict=True):  # the same problem at the same place
            assert line.startswith(f"error: {path}") and line.endswith(
                f"{location(found.path)}: {found.message}"
            )
        return
    assert printed.exit_code == 0, printed.output
    assert without_places(json.loads(printed.stdout), str(path)) == without_places(found, "scenario")


def test_an_upload_with_problems_fills_the_form_with_what_it_says_and_each_problem_by_line():
    upload = read_upload(
        "municipality: '851'\nas_of: 2018-03-02\nchanges:\n  - op: visitate\n    count: many\n    date: 2018-03-01\n    group: '1'\n"
    )
    assert upload.document == {
        "municipality": "851",
        "as_of": "2018-03-02",
        "changes": [{"op": "visitate", "count": "many", "date": "2018-03-01", "group": "1"}],
    }
    ((change, field, line),) = [(p["change"], p["field"], p["line"]) for p in upload.problems]
    assert (change, field, line) == (0, "count", 5)
    broken = read_upload(b"changes: [\n")
    assert broken.document is None and broken.problems[0]["message"].startswith("not valid YAML")
    listed = read_upload("- 1\n- 2\n")
    assert listed.document is None and listed.problems[0]["message"] == (
        "must be a mapping of keys to values"
    )
