"""The `fsm` command line for FSM1 membership and rules: JSON traces, CPR masking, bad input, help texts."""

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer.main
from freezegun import freeze_time
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.cli import common as cli_app
from engine.rules import pack as rule_packs
from engine.rules.pack import RULES_DIR, get_pack, load_pack
from tests.fsm1_timelines import MEMBERSHIP_RULES

ROOT = Path(__file__).parent.parent
MEMBER = ROOT / "examples" / "citizens" / "member.json"
BREAK_29 = ROOT / "examples" / "citizens" / "break_of_29_days.json"
CPR = "050379-1234"  # the citizen_id of examples/citizens/member.json


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at 80 columns under CliRunner; a wide console keeps each value on one line."""
    monkeypatch.setattr(cli_app.console, "width", 1000)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def citizen(**changes: Any) -> dict[str, Any]:
    document = json.loads(MEMBER.read_text(encoding="utf-8"))
    document.update(changes)
    return document


def written(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "citizen.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


# -- evaluate --------------------------------------------------------------------------------------


def test_evaluate_json_of_a_member_has_the_verdict_the_failed_rules_and_a_full_trace() -> None:
    result = invoke("evaluate", str(MEMBER), "--municipality", "851", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["member"], document["failed_rules"]) == (True, [])
    assert [entry["rule"] for entry in document["trace"]] == list(MEMBERSHIP_RULES)
    for entry in document["trace"]:
        assert entry["passed"] is True
        assert entry["facts"] and isinstance(entry["facts"], dict)
        assert "cutoff_date" in entry["parameters"]
        assert entry["source"]["quote"].strip()
        assert entry["pack_version"] == get_pack("fsm1").version
    assert document["pack_hash"] == get_pack("fsm1").content_hash


def test_evaluate_json_of_a_29_day_break_names_the_failing_rule_with_the_break_and_its_parameter() -> None:
    result = invoke("evaluate", str(BREAK_29), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["member"], document["failed_rules"]) == (False, ["fsm1.five_years_on_support"])
    (entry,) = [e for e in document["trace"] if e["rule"] == "fsm1.five_years_on_support"]
    assert entry["passed"] is False
    assert entry["facts"]["longest_break_days"] == 29
    assert entry["parameters"]["max_break_days"] == 28
    assert "mere end fire uger" in entry["source"]["quote"]


def test_evaluate_masks_the_cpr_number_by_default_in_json_and_in_text() -> None:
    for args in (["--json"], []):
        result = invoke("evaluate", str(MEMBER), *args)
        assert result.exit_code == 0, result.output
        assert "050379-xxxx" in result.output
        assert CPR not in result.output and "0503791234" not in result.output


def test_evaluate_shows_the_full_cpr_number_only_when_asked_with_show_cpr() -> None:
    result = invoke("evaluate", str(MEMBER), "--json", "--show-cpr")
    assert json.loads(result.stdout)["subject"] == CPR
    assert CPR in invoke("evaluate", str(MEMBER), "--show-cpr").output


def bad_inputs() -> list[Any]:
    supports = citizen()["support"]
    return [
        pytest.param(
            citizen(support=[supports[0], {**supports[1], "support": "kontanthjalp"}]),
            "support[1]",
            id="unknown support code",
        ),
        pytest.param(
            citizen(support=[{**supports[0], "from": "2012-03-31", "to": "2009-02-01"}, supports[1]]),
            "support[0]",
            id="a period ending before it starts",
        ),
        pytest.param(
            citizen(support=[supports[0], {**supports[1], "from": "2012-03-01"}]),
            "support[1]",
            id="overlapping supports",
        ),
        pytest.param(
            citizen(citizen_id="310280-1234"), "citizen_id", id="a CPR number with an impossible date"
        ),
        pytest.param('{"citizen_id": "0503791234", "support": [', "malformed JSON", id="malformed JSON"),
        pytest.param(
            citizen(residence=[{"municipality": "8510", "from": "2001-04-01"}]),
            "residence[0]",
            id="bad municipality",
        ),
    ]


@pytest.mark.parametrize(("document", "named"), bad_inputs())
def test_bad_input_exits_2_with_one_message_naming_the_field_and_no_traceback(
    tmp_path: Path, document: Any, named: str
) -> None:
    result = invoke("evaluate", str(written(tmp_path, document)), "--json")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.output and "1234" not in result.output


def test_a_missing_file_exits_2_with_one_message_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nobody.json"
    result = invoke("evaluate", str(missing))
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_the_installed_fsm_script_evaluates_a_citizen_in_a_real_process() -> None:
    script = Path(sys.executable).parent / "fsm"
    done = subprocess.run(
        [str(script), "evaluate", str(MEMBER), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["member"] is True and document["subject"] == "050379-xxxx"
    bad = subprocess.run(
        [str(script), "evaluate", str(ROOT / "no-such-file.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr


# -- rules -----------------------------------------------------------------------------------------


def test_fsm_rules_lists_the_six_membership_rules() -> None:
    result = invoke("rules")
    assert result.exit_code == 0, result.output
    for rule_id in MEMBERSHIP_RULES:
        assert rule_id in result.output


def test_fsm_rules_show_gives_the_source_sentence_and_the_break_parameter() -> None:
    result = invoke("rules", "show", "fsm1.five_years_on_support")
    assert result.exit_code == 0, result.output
    rule = get_pack("fsm1").rule("fsm1.five_years_on_support")
    assert rule.source.quote in result.output
    assert "max_break_days" in result.output and "28" in result.output


@pytest.mark.parametrize("rule_id", [rule.id for rule in get_pack("fsm1").rules()])
def test_fsm_rules_show_works_for_every_rule_of_the_pack(rule_id: str) -> None:
    result = invoke("rules", "show", rule_id)
    assert result.exit_code == 0, result.output
    assert rule_id in result.output and "condition:" in result.output


@pytest.mark.parametrize("rule_id", ["fsm1.no_such_rule", "nosuch.rule"])
def test_an_unknown_rule_id_exits_2_with_a_message(rule_id: str) -> None:
    result = invoke("rules", "show", rule_id)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output


def command_paths() -> list[list[str]]:
    paths = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_the_command_tree_has_the_commands_this_file_relies_on() -> None:
    assert {("evaluate",), ("rules",), ("rules", "show")} <= {tuple(p) for p in command_paths()}


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: "fsm " + " ".join(p))
def test_every_command_and_sub_command_help_has_an_example(path: list[str]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.fixture
def dated_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fsm1 pack with a (hypothetical) reform: max_break_days becomes 35 from 2030-01-01."""
    copy = tmp_path / "fsm1"
    shutil.copytree(RULES_DIR / "fsm1", copy)
    parameters = copy / "parameters.yaml"
    text = parameters.read_text(encoding="utf-8")
    old = "    - {from: 2016-01-01, value: 28}\n"
    assert text.count(old) == 1
    parameters.write_text(text.replace(old, old + "    - {from: 2030-01-01, value: 35}\n"), encoding="utf-8")
    pack = load_pack(copy)
    monkeypatch.setattr(rule_packs, "get_pack", lambda programme: pack)


@pytest.mark.usefixtures("dated_pack")
@pytest.mark.parametrize(("today", "shown"), [("2029-12-31", 28), ("2030-01-01", 35)])
def test_fsm_rules_shows_the_parameter_values_in_force_today(today: str, shown: int) -> None:
    with freeze_time(today):
        assert date.today() == date.fromisoformat(today)
        result = invoke("rules")
    assert result.exit_code == 0, result.output
    assert f"max_break_days = {shown}" in result.output
    assert f"max_break_days = {63 - shown}" not in result.output


def test_fsm_rules_before_a_parameter_is_in_force_says_so_instead_of_failing() -> None:
    with freeze_time("2016-06-01"):
        result = invoke("rules")
    assert result.exit_code == 0, result.output
    assert "max_break_days = 28" in result.output
    assert "rate1_share = (not in force today)" in result.output
