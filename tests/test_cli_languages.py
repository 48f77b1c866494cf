"""`--lang da` (or FSM_LANG=da) for `fsm status`, `explain`, `simulate` and `forecast`: the words of the
source documents and Danish formats in the text, the Excel file and the chart; English by default."""

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.cli import common as cli_app
from models.runs import StoredDecision

NBSP = "\xa0"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_app.console, "width", 220)


@pytest.fixture
def on_runs(stored_runs: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    monkeypatch.setenv("DATABASE_URL", stored_runs.url.render_as_string(hide_password=False))
    monkeypatch.delenv("FSM_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    return stored_runs


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def plain(text: str) -> str:
    """The output with its no-break spaces as spaces (the terminal shows them alike)."""
    return text.replace(NBSP, " ")


def test_status_in_danish_names_groups_exits_and_the_municipality_in_danish_formats(on_runs: Engine):
    result = invoke("status", "--run", "1", "--lang", "da")
    assert result.exit_code == 0, result.output
    shown = plain(result.stdout)
    assert "kørsel 1 (færdig), Flere skal med 1 pr. 2. marts 2018" in shown
    assert (
        "Kommune: Aalborg (851) — Flere skal med 1 pr. 2. marts 2018: 1.220 borgere i målgruppen, 969 aktive"
        in shown
    )
    assert "tilskud 11.749.000,00 kr." in shown
    for group in (
        "Gruppe 1 – indsatsgruppen: 473",
        "Gruppe 2 – skal på rehab.møde: 293",
        "Gruppe 3 – massive helbreds- eller sociale problemer: 143",
        "Udskudt visitation: 50",
        "Mangler visitation: 10",
    ):
        assert group in shown
    assert "førtidspension 75" in shown and "død 8" in shown and "fraflyttet kommunen 16" in shown
    assert "3.524.700,00 kr." in shown and "4.699.600,00 kr." in shown
    assert "10 ikke visiteret pr. 02-03-2018: " in shown
    assert re.search(r"\d{6}-xxxx", shown) and not re.search(r"\d{6}-\d{4}", shown)
    assert "aug. 2017" in shown and re.search(r"\d+,\d %", shown)
    assert "members" not in shown and "kontanthjaelp" not in shown


def test_status_stays_english_by_default_and_fsm_lang_chooses_danish(
    on_runs: Engine, monkeypatch: pytest.MonkeyPatch
):
    english = plain(invoke("status", "--run", "1").stdout)
    assert (
        "Municipality Aalborg (851) — Flere skal med 1, as of 2 March 2018: 1,220 members, 969 active"
        in english
    )
    assert "Group 1 – the effort group: 473" in english and "grant DKK 11,749,000.00" in english
    monkeypatch.setenv("FSM_LANG", "da")
    assert "1.220 borgere i målgruppen" in plain(invoke("status", "--run", "1").stdout)
    assert "1,220 members" in plain(invoke("status", "--run", "1", "--lang", "en").stdout)
    refused = invoke("status", "--run", "1", "--lang", "sv")
    assert refused.exit_code == 2 and "Invalid value for '--lang'" in refused.output


def test_explain_in_danish_shows_the_trace_in_danish(on_runs: Engine):
    with Session(on_runs) as session:
        citizen = session.scalars(
            select(StoredDecision.citizen_id).where(
                StoredDecision.run_id == 1, StoredDecision.decision == "fsm1.membership"
            )
        ).first()
    result = invoke("explain", citizen, "--run", "1", "--lang", "da")
    assert result.exit_code == 0, result.output
    shown = plain(result.stdout)
    assert "Tilhører kommunens bruttomålgruppe, fastlagt på skæringsdatoen — borger " in shown
    assert "kommune Aalborg (851), afgjort pr. 31-12-2016" in shown
    assert "Bor i kommunen på skæringsdatoen" in shown and "Er aktivitetsparat på skæringsdatoen" in shown
    assert "✓ opfyldt" in shown and "fakta: " in shown and "kilde: " in shown
    assert "I MÅLGRUPPEN" in shown or "IKKE I MÅLGRUPPEN" in shown
    assert "window_first_day = 31-12-2011" in shown  # dates as Danish tables show them
    assert "Lives in the municipality" not in shown and citizen not in shown


SCENARIO = """municipality: "851"
title: visitér resten
changes:
  - {op: visitate, count: all, only_active: true, date: 2018-03-01, group: '1'}
  - {op: add_activity, count: 5, activity: loentilskud, from: 2018-02-01, days: 28}
"""


def test_simulate_in_danish_writes_danish_text_excel_and_chart(small: Engine, tmp_path: Path):
    scenario = tmp_path / "scenarie.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = invoke(
        "simulate",
        scenario,
        "--lang",
        "da",
        "--xlsx",
        tmp_path / "ud.xlsx",
        "--chart",
        tmp_path / "andele.svg",
    )
    assert result.exit_code == 0, result.output
    shown = plain(result.stdout)
    assert (
        "scenarie.yaml — visitér resten: kommune Aalborg (851), Flere skal med 1 pr. 2. marts 2018" in shown
    )
    assert "Rater udbetalt pr. opgørelsesdatoen" in shown and " kr." in shown
    assert "visitér til Gruppe 1 – indsatsgruppen den 01-03-2018 (antal all, kun aktive)" in shown
    assert "tilføj løntilskud fra 01-02-2018 til 28-02-2018 (antal 5)" in shown
    assert re.search(r"rate 2 ville (ikke )?blive udløst", shown)
    assert f"skrev {tmp_path / 'ud.xlsx'}" in shown
    book = load_workbook(tmp_path / "ud.xlsx")
    assert book.sheetnames == ["Rater", "Måneder", "Forskelle", "Ændringer", "Antagelser"]
    assert (
        book["Rater"]["D2"].number_format == '[$-406]#,##0.00\\ "kr."'
        and book["Rater"]["D2"].data_type == "n"
    )
    svg = (tmp_path / "andele.svg").read_text(encoding="utf-8")
    assert "andel af indsatsgruppen" in svg and "udgangspunkt" in svg and "rate 3: 40\xa0%" in svg


def test_forecast_in_danish_states_its_assumption_in_danish(small: Engine, tmp_path: Path):
    result = invoke("forecast", "--municipality", "851", "--until", "2018-06-30", "--lang", "da")
    assert result.exit_code == 0, result.output
    shown = plain(result.stdout)
    assert "Simulering forecast — prognose for Aalborg (851)" in shown
    assert "Antagelse: Prognose fra 2. marts 2018 til 30. juni 2018. Visitation: " in shown
    assert "procentpoint om måneden" in shown or "ingen tendens" in shown
    assert "Assumption" not in shown and "would" not in shown
