"""Exports of a run for auditors: every decision with its trace as JSON lines, a row per decision (or
per trace entry) as CSV for Danish Excel (`;`, a byte order mark) or with commas, CPR numbers masked
unless asked for; `fsm export`."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces import run_export
from engine.faces.cli import app
from engine.faces.downloads import BOM, Separator
from engine.faces.i18n import Language, texts
from engine.runs import results
from engine.runs.export_formats import ExportFormat

CPR_IN_FULL = re.compile(r"\b\d{6}-\d{4}\b")


def exported(engine: Engine, run_id: int, fmt: ExportFormat, **options) -> str:
    with Session(engine) as session:
        return "".join(run_export.lines(session, results.get_run(session, run_id), fmt, **options))


def rows(text: str, delimiter: str = ";") -> list[dict[str, str]]:
    assert text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(BOM)), delimiter=delimiter))


def test_json_lines_hold_every_decision_with_its_trace_in_order_cpr_masked(stored_runs: Engine):
    text = exported(stored_runs, 2, ExportFormat.jsonl)
    documents = [json.loads(line) for line in text.splitlines()]
    assert len(documents) == 2748
    assert [d["decision"] for d in documents] == sorted(d["decision"] for d in documents)
    statuses = [d for d in documents if d["decision"] == "fsm1.status"]
    assert len(statuses) == 1220 and sum(d["outcome"] for d in statuses) == 969
    assert all(d["subject"].endswith("-xxxx") for d in statuses)
    rate2 = next(d for d in documents if d["decision"] == "fsm1.rate2")
    assert rate2["failed_rules"] == ["fsm1.rate2.whole_group_visitated"]
    assert len(rate2["detail"]["blocked_by"]["citizens"]) == 10
    membership = next(d for d in documents if d["decision"] == "fsm1.membership")
    assert {"rule", "passed", "facts", "parameters", "source"} <= set(membership["trace"][0])
    assert CPR_IN_FULL.search(text) is None


def test_full_cpr_numbers_only_when_asked_for(stored_runs: Engine):
    full = exported(stored_runs, 2, ExportFormat.jsonl, full_cpr=True)
    assert len(set(CPR_IN_FULL.findall(full))) == 1525
    assert "-xxxx" not in full


def test_csv_is_a_row_per_decision_for_danish_excel(stored_runs: Engine):
    """`;`, a byte order mark, dates as Danish Excel reads them, words in the chosen language."""
    text = exported(stored_runs, 2, ExportFormat.csv, t=texts(Language.da))
    found = rows(text)
    assert len(found) == 2748
    assert list(found[0]) == [
        "kørsel",
        "kommune",
        "borger",
        "afgørelse",
        "hvad der afgøres",
        "udfald",
        "resultat",
        "afgjort pr.",
        "regler, der ikke er opfyldt",
        "detaljer",
        "regelsættets version",
    ]
    statuses = [r for r in found if r["afgørelse"] == "fsm1.status"]
    assert len(statuses) == 1220 and sum(r["udfald"] == "ja" for r in statuses) == 969
    assert {r["resultat"] for r in statuses} == {"AKTIV", "UDGÅET"} and statuses[0][
        "kommune"
    ] == "Aalborg (851)"
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4}", r["afgjort pr."]) for r in found)
    rate2 = next(r for r in found if r["afgørelse"] == "fsm1.rate2")
    assert (
        rate2["udfald"] == "nej"
        and rate2["regler, der ikke er opfyldt"] == "fsm1.rate2.whole_group_visitated"
    )
    assert (
        rate2["detaljer"].startswith("blocked_by: 10 ikke visiteret pr. 31-08-2019: ")
        and "og 5 flere" in rate2["detaljer"]
    )
    assert any(r["detaljer"] == "group: 1" for r in statuses)
    assert CPR_IN_FULL.search(text) is None


def test_csv_with_commas_has_plain_values_and_english_words(stored_runs: Engine):
    found = rows(exported(stored_runs, 1, ExportFormat.csv, separator=Separator.comma), ",")
    assert len(found) == 2748 and found[0]["run"] == "1"
    assert {r["outcome"] for r in found} == {"true", "false"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["decided on"]) for r in found)
    assert {r["verdict"] for r in found if r["decision"] == "fsm1.membership"} == {"MEMBER", "NOT A MEMBER"}


def test_the_csv_of_trace_entries_has_a_row_per_rule_of_each_decision(stored_runs: Engine):
    text = exported(stored_runs, 1, ExportFormat.csv_trace)
    found = rows(text)
    documents = [json.loads(line) for line in exported(stored_runs, 1, ExportFormat.jsonl).splitlines()]
    assert len(found) == sum(len(d["trace"]) for d in documents)
    first = found[0]
    assert (first["run"], first["municipality"], first["decision"], first["outcome"]) == (
        "1",
        "Aalborg (851)",
        "fsm1.membership",
        "yes",
    )
    assert first["citizen"].endswith("-xxxx") and json.loads(first["facts"]) and first["quote"]
    assert {r["passed"] for r in found} == {"yes", "no"}
    assert CPR_IN_FULL.search(text) is None


@pytest.fixture
def cli_on_runs(stored_runs: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", stored_runs.url.render_as_string(hide_password=False))
    monkeypatch.delenv("FSM_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_fsm_export_writes_a_file_or_standard_output(
    cli_on_runs: CliRunner, stored_runs: Engine, tmp_path: Path
):
    written = cli_on_runs.invoke(app, ["export", "1", "--format", "csv", "--output", "run-1.csv"])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "run-1.csv").read_bytes().decode() == exported(stored_runs, 1, ExportFormat.csv)
    danish = cli_on_runs.invoke(app, ["export", "1", "-f", "csv-trace", "--sep", "comma", "--lang", "da"])
    assert danish.exit_code == 0
    assert danish.stdout_bytes.decode() == exported(
        stored_runs, 1, ExportFormat.csv_trace, separator=Separator.comma, t=texts(Language.da)
    )
    printed = cli_on_runs.invoke(app, ["export", "2", "--show-cpr"])
    assert printed.exit_code == 0
    assert printed.stdout == exported(stored_runs, 2, ExportFormat.jsonl, full_cpr=True)


@pytest.mark.parametrize("arguments", [["99"], ["1", "--format", "xml"], ["0"], ["1", "--sep", "tab"]])
def test_fsm_export_refuses_bad_input_with_status_2(cli_on_runs: CliRunner, arguments: list[str]):
    assert cli_on_runs.invoke(app, ["export", *arguments]).exit_code == 2
