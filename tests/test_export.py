"""Exports of a run for auditors: every decision with its trace as JSON lines or CSV, CPR numbers
masked unless asked for; `fsm export`."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.runs import results
from engine.runs.export import CSV_COLUMNS, ExportFormat, export

CPR_IN_FULL = re.compile(r"\b\d{6}-\d{4}\b")


def exported(engine: Engine, run_id: int, fmt: ExportFormat, *, full_cpr: bool = False) -> str:
    with Session(engine) as session:
        return "".join(export(session, results.get_run(session, run_id), fmt, full_cpr=full_cpr))


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


def test_csv_has_a_row_per_trace_entry(stored_runs: Engine):
    text = exported(stored_runs, 1, ExportFormat.csv)
    rows = list(csv.DictReader(io.StringIO(text)))
    documents = [json.loads(line) for line in exported(stored_runs, 1, ExportFormat.jsonl).splitlines()]
    assert tuple(text.splitlines()[0].split(",")) == CSV_COLUMNS
    assert len(rows) == sum(len(d["trace"]) for d in documents)
    first = rows[0]
    assert (first["run"], first["municipality"], first["decision"], first["outcome"]) == (
        "1",
        "851",
        "fsm1.membership",
        "true",
    )
    assert first["subject"].endswith("-xxxx") and json.loads(first["facts"]) and first["source_quote"]
    assert {r["passed"] for r in rows} == {"true", "false"}
    assert CPR_IN_FULL.search(text) is None


@pytest.fixture
def cli_on_runs(stored_runs: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", stored_runs.url.render_as_string(hide_password=False))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_fsm_export_writes_a_file_or_standard_output(
    cli_on_runs: CliRunner, stored_runs: Engine, tmp_path: Path
):
    written = cli_on_runs.invoke(app, ["export", "1", "--format", "csv", "--output", "run-1.csv"])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "run-1.csv").read_text(encoding="utf-8") == exported(stored_runs, 1, ExportFormat.csv)
    printed = cli_on_runs.invoke(app, ["export", "2", "--show-cpr"])
    assert printed.exit_code == 0
    assert printed.stdout == exported(stored_runs, 2, ExportFormat.jsonl, full_cpr=True)


@pytest.mark.parametrize("arguments", [["99"], ["1", "--format", "xml"], ["0"]])
def test_fsm_export_refuses_bad_input_with_status_2(cli_on_runs: CliRunner, arguments: list[str]):
    assert cli_on_runs.invoke(app, ["export", *arguments]).exit_code == 2
