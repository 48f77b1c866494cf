"""The project leaders' workbench on the web: the `project_leader` role (its municipalities only, CPR
masked, no replay checks), and `POST /api/simulations`, which answers the object `fsm simulate
--json` prints for the same scenario, the problems of one it cannot simulate as the YAML checks name
them, and writes nothing but the access log."""

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.faces.simulate.api import Invalid, read_scenario
from engine.rules.pack import _ExactLoader
from models.access import AccessLog
from tests.conftest import WebRuns
from tests.scenario_documents import without_places
from tests.simulations import fingerprint, on_run_1
from tests.test_simulate_api import cli
from tests.web import bearer, logged_in
from tests.web import client as web_client

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples" / "scenarios").glob("*.yaml") if "delivery" not in p.name)
SCENARIO: dict[str, Any] = {
    "municipality": "851",
    "base": 1,
    "as_of": "2019-08-31",
    "changes": [{"op": "visitate", "count": 10, "date": "2018-04-03", "group": "1"}],
}
ONE_OF_EACH = [
    {"op": "visitate", "count": 10, "date": "2018-04-03", "group": "1"},
    {"op": "add_activity", "count": 5, "activity": "virksomhedspraktik", "from": "2018-03-01", "days": 60},
    {"op": "end_activity", "count": 3, "date": "2018-06-01"},
    {"op": "move_group", "count": 2, "date": "2018-05-01", "group": "2"},
    {"op": "exit", "count": 2, "date": "2018-05-01", "reason": "doed"},
    {"op": "set_parameter", "name": "rate3_share", "value": "0.30"},
]


@pytest.fixture
def api(web_runs: WebRuns) -> TestClient:
    """Paula, a project leader of Aalborg, by her token."""
    return web_client(web_runs.engine)


def post(client: TestClient, web_runs: WebRuns, user: str, document: Any) -> Any:
    return client.post("/api/simulations", json=document, headers=bearer(web_runs.tokens[user]))


def as_json(value: Any) -> Any:
    """A scenario file's data as JSON writes it: decimals as numbers (`0.35`), dates as text."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)  # written by its shortest repr, `0.35`, which the API reads exactly
    return value.isoformat() if isinstance(value, date) else value


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_api_answers_the_object_fsm_simulate_json_prints_for_every_example(
    api, web_runs: WebRuns, tmp_path: Path, example: Path
):
    scenario = on_run_1(example, tmp_path)
    printed = cli("simulate", scenario, "--json", database=web_runs.engine)
    assert printed.exit_code == 0, printed.output
    data = yaml.load(scenario.read_text(encoding="utf-8"), Loader=_ExactLoader)  # noqa: S506 - a SafeLoader
    body = json.dumps(as_json(data))
    answered = api.post(
        "/api/simulations",
        content=body,
        headers={**bearer(web_runs.tokens["paula"]), "Content-Type": "application/json"},
    )
    assert answered.status_code == 200, answered.text
    expected = json.loads(printed.stdout)
    assert without_places(answered.json(), "scenario") == without_places(expected, str(scenario))
    assert answered.json()["differences"]  # (every example shows something)
    assert "-xxxx" in answered.text and not re.search(r"\b\d{6}-\d{4}\b", answered.text)


@pytest.mark.parametrize("change", ONE_OF_EACH, ids=lambda c: c["op"])
def test_every_operation_simulates_through_the_api_as_through_the_engine(api, web_runs: WebRuns, change):
    document = {**SCENARIO, "changes": [change]}
    answered = post(api, web_runs, "paula", document)
    assert answered.status_code == 200, answered.text
    found = answered.json()
    assert found["changes"][0]["change"]["op"] == change["op"]
    assert found["simulation"]["municipality"] == "851" and found["baseline"]["municipality"] == "851"
    if change["op"] != "set_parameter":
        assert found["changes"][0]["changed"] > 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"op": "visitate", "count": 10, "date": "2030-01-01", "group": "1"}, "date"),
        ({"op": "visitate", "count": 10, "date": "2018-04-03", "group": "9"}, "group"),
        (
            {"op": "add_activity", "count": 5, "activity": "nothing", "from": "2018-03-01", "days": 9},
            "activity",
        ),
        ({"op": "exit", "count": -1, "date": "2018-05-01", "reason": "doed"}, "count"),
        ({"op": "set_parameter", "name": "no_such_parameter", "value": "1"}, "name"),
        ({"op": "fly", "count": 1}, "op"),
    ],
    ids=["date-outside", "group", "activity", "count", "parameter", "operation"],
)
def test_a_scenario_it_cannot_simulate_is_422_with_each_problem_named_as_the_yaml_checks_name_it(
    api, web_runs: WebRuns, change, field
):
    document = {**SCENARIO, "changes": [SCENARIO["changes"][0], change]}
    answered = post(api, web_runs, "paula", document)
    assert answered.status_code == 422, answered.text
    problems = answered.json()["problems"]
    assert problems and all(p["change"] == 1 for p in problems)
    assert field in {p["field"] for p in problems}
    assert answered.json()["detail"].startswith("the scenario cannot be simulated: ")
    try:  # what only the base data can tell (a date outside the project) the YAML checks say too
        read_scenario(document)
    except Invalid as error:
        assert [p["message"] for p in error.problems] == [p["message"] for p in problems]


def test_a_project_leader_cannot_simulate_another_municipality_it_is_not_there_for_them(
    api, web_runs: WebRuns
):
    refused = post(api, web_runs, "pia", SCENARIO)
    assert refused.status_code == 404
    assert refused.json() == {"detail": "there is no municipality 851 you may work on"}
    assert post(api, web_runs, "pia", {**SCENARIO, "municipality": "101"}).status_code == 422


def test_an_auditor_may_not_simulate_and_nobody_may_without_credentials(api, web_runs: WebRuns):
    refused = post(api, web_runs, "alice", SCENARIO)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "forbidden: the role auditor may not simulate"}
    assert api.post("/api/simulations", json=SCENARIO).status_code == 401


def test_a_browser_session_may_simulate_from_this_site_only(web_runs: WebRuns):
    browser = logged_in(web_runs.engine, "paula")
    assert browser.post("/api/simulations", json=SCENARIO).status_code == 200
    other = browser.post("/api/simulations", json=SCENARIO, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403


def test_a_simulation_writes_nothing_but_the_access_log_of_the_citizens_it_shows(api, web_runs: WebRuns):
    before = fingerprint(web_runs.engine)
    with Session(web_runs.engine) as session:
        last = max(session.scalars(select(AccessLog.id)), default=0)
    answered = post(api, web_runs, "paula", SCENARIO)
    assert answered.status_code == 200
    after = fingerprint(web_runs.engine)
    changed = {name for name in before if before[name] != after[name]}
    assert changed <= {"access_log", "api_tokens"}, changed  # (the token: when it was last used)
    with Session(web_runs.engine) as session:
        rows = list(
            session.scalars(
                select(AccessLog).where(AccessLog.id > last, AccessLog.action == "simulation api")
            )
        )
    changed_citizens = answered.json()["changes"][0]["changed"]
    assert len(rows) >= changed_citizens > 0
    assert {row.user for row in rows} == {"token:paula-script"} and {row.run_id for row in rows} == {1}
    assert not any(row.full_cpr for row in rows)


def test_a_project_leader_reads_its_municipality_masked_and_may_not_verify_a_run(web_runs: WebRuns):
    browser = logged_in(web_runs.engine, "paula")
    detail = browser.get("/api/runs/2/municipalities/851")
    assert detail.status_code == 200
    assert "-xxxx" in detail.text
    members = browser.get("/api/runs/2/municipalities/851/members").json()
    assert members["members"] and all(m["citizen"].endswith("-xxxx") for m in members["members"])
    refused = browser.post("/api/runs/2/verification")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "forbidden: the role project_leader may not verify"}
    assert logged_in(web_runs.engine, "pia").get("/api/runs/2/municipalities/851").status_code == 403
