"""The Excel workbook of a simulation, read back: one sheet per table, header rows in the chosen
language (æøå intact), real date and number cells with the language's number formats and the values
of the JSON document; and LibreOffice opens it and shows its cells as a Danish reader expects.

The LibreOffice check needs `soffice` (Debian: libreoffice-calc-nogui, which .ci/run installs);
without it the test is skipped with the reason shown, and under CI=true it fails instead."""

import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.faces.i18n import Language, texts
from engine.faces.simulate import document, tables, workbook
from engine.faces.simulate.simulation import Simulation, simulate
from engine.synthetic.aalborg import municipality
from tests.office import CSV_EVERY_SHEET, libreoffice
from tests.simulations import base_of, header, scenario

PLACE = municipality("851", members=80, non_members=10)
SHEETS = ["Rates", "Months", "Differences", "Changes", "Assumptions"]
DANISH_SHEETS = ["Rater", "Måneder", "Forskelle", "Ændringer", "Antagelser"]


@pytest.fixture(scope="module")
def simulation() -> Simulation:
    changes = """  - {op: visitate, count: all, only_active: true, date: 2018-03-15, group: '1'}
  - {op: add_activity, count: 10, activity: loentilskud, from: 2018-02-01, days: 59}
  - {op: set_parameter, name: rate3_share, value: 0.25}
"""
    return simulate(scenario(header("2019-07-31") + changes), base_of(PLACE.citizens, PLACE.grant))


@pytest.fixture(scope="module")
def written(simulation: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "out" / "scenario.xlsx"
    workbook.save(tables.sheets(simulation), path)
    return path


@pytest.fixture(scope="module")
def danish(simulation: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "scenarie.xlsx"
    da = texts(Language.da)
    workbook.save(tables.sheets(simulation, t=da), path, da)
    return path


def rows(path: Path, sheet: str) -> list[tuple]:
    return list(load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True))


def test_one_sheet_per_table_each_with_its_header_row(written: Path):
    book = load_workbook(written)
    assert book.sheetnames == SHEETS
    assert next(book["Rates"].iter_rows(values_only=True))[:4] == (
        "rate",
        "baseline triggered",
        "baseline date",
        "baseline paid (kr)",
    )
    for sheet in book.worksheets:
        assert all(isinstance(title, str) for title in next(sheet.iter_rows(values_only=True)))
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[c].width >= 6 for c in "AB")


def test_rates_are_real_dates_and_amounts_with_two_decimals_equal_to_the_json(
    written: Path, simulation: Simulation
):
    shown = document.document(simulation)
    sheet = load_workbook(written)["Rates"]
    body = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in body] == [1, 2, 3, "total"]
    for row, rate, money in zip(body, shown["scenario"]["rates"], shown["money"]["rates"], strict=False):
        date_cell, paid = row[5], row[6]
        assert row[4].value is rate["triggered"]
        if rate["triggered"]:
            assert date_cell.is_date and isinstance(date_cell.value, datetime)
            assert date_cell.value.date().isoformat() == rate["date"]
        assert paid.data_type == "n" and paid.number_format == '[$-809]"DKK "#,##0.00'
        assert Decimal(str(paid.value)).quantize(Decimal("0.01")) == Decimal(money["scenario"])
        assert Decimal(str(row[7].value)).quantize(Decimal("0.01")) == Decimal(money["difference"])
    total = body[-1]
    assert Decimal(str(total[7].value)).quantize(Decimal("0.01")) == Decimal(
        shown["money"]["total"]["difference"]
    )


def test_months_are_date_cells_with_counts_shares_and_qualification_as_in_the_json(
    written: Path, simulation: Simulation
):
    months = {m["month"]: m for m in document.document(simulation)["scenario"]["months"]}
    sheet = load_workbook(written)["Months"]
    body = list(sheet.iter_rows(min_row=2))
    assert len(body) == len(months)
    for row in body:
        month = row[0]
        assert month.is_date and month.number_format == "[$-809]mmmm yyyy"
        expected = months[month.value.strftime("%Y-%m")]
        assert (row[5].value, row[6].value, row[8].value) == (
            expected["effort_group"],
            expected["in_activity"],
            expected["qualifies"],
        )
        if expected["effort_group"]:
            assert row[7].number_format == "[$-809]0.0%" and row[7].data_type == "n"
            assert abs(row[7].value - expected["in_activity"] / expected["effort_group"]) < 0.00005


def test_differences_and_changes_sheets_name_the_change_and_line_and_mask_cpr_numbers(
    written: Path, simulation: Simulation
):
    differences = rows(written, "Differences")
    assert len(differences) == 1 + len(simulation.differences)
    lines = {row[6] for row in differences[1:]}
    assert lines == {6, 7, 8}  # the reform (line 8) made some months qualify
    changes = rows(written, "Changes")
    assert [(row[0], row[1], row[2], row[4]) for row in changes[1:]] == [
        (step.ref.index, step.ref.line, step.ref.op, len(step.citizens)) for step in simulation.steps
    ]
    picked = [c for step in simulation.steps for c in step.citizens]
    cells = json.dumps(changes + differences, default=str)
    assert picked and all(c not in cells and f"{c[:6]}-xxxx" in cells for c in picked)
    about = dict(rows(written, "Assumptions")[1:])
    assert about["municipality"] == "Aalborg (851)" and isinstance(about["as of"], datetime)
    assert isinstance(about["grant (kr)"], int | float)


def test_the_danish_workbook_has_danish_headers_and_danish_number_formats(
    danish: Path, simulation: Simulation
):
    book = load_workbook(danish)
    assert book.sheetnames == DANISH_SHEETS
    rates = book["Rater"]
    assert [c.value for c in rates[1]][:4] == [
        "rate",
        "udgangspunkt udløst",
        "udgangspunkt dato",
        "udgangspunkt udbetalt (kr.)",
    ]
    assert rates["A5"].value == "i alt"
    triggered = [row for row in rates.iter_rows(min_row=2, max_row=4) if row[2].value is not None]
    assert triggered and all(row[2].is_date and row[2].number_format == "dd-mm-yyyy" for row in triggered)
    for row in rates.iter_rows(min_row=2):
        assert row[3].data_type == "n" and row[3].number_format == '[$-406]#,##0.00\\ "kr."'
    months = book["Måneder"]
    assert [c.value for c in months[1]][-1] == "ændret af"
    body = list(months.iter_rows(min_row=2))
    assert all(row[0].is_date and row[0].number_format == "[$-406]mmmm yyyy" for row in body)
    shares = [row[3] for row in body if row[3].value is not None]
    assert shares and all(c.data_type == "n" and c.number_format == "[$-406]0.0\\ %" for c in shares)
    assert all(
        isinstance(row[1].value, int) and row[1].number_format == "[$-406]#,##0"
        for row in body
        if row[1].value
    )
    about = dict(rows(danish, "Antagelser")[1:])
    assert about["kommune"] == "Aalborg (851)" and isinstance(about["opgjort pr."], datetime)
    assert isinstance(about["tilskud (kr.)"], int | float)
    assert "antal: N tager de første N borgere" in about["valg af borgere"]
    changes = rows(danish, "Ændringer")
    assert changes[1][3].startswith("visitér til Gruppe 1 – indsatsgruppen den 15-03-2018")
    picked = [c for step in simulation.steps for c in step.citizens]
    assert picked and not any(c in json.dumps(changes, default=str) for c in picked)


def test_libreoffice_opens_the_workbook_and_keeps_its_dates_and_numbers(written: Path, tmp_path: Path):
    converted = tmp_path / "converted"
    done = libreoffice(written, "xlsx", converted, tmp_path)
    again = converted / written.name
    assert again.is_file(), done.stdout + done.stderr
    book = load_workbook(again)
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        assert rows(again, name) == rows(written, name)
    date_cell = book["Rates"]["C2"]
    assert date_cell.is_date and book["Rates"]["D2"].data_type == "n"


def test_libreoffice_shows_the_danish_workbook_as_csv_with_its_formats_and_letters(
    danish: Path, tmp_path: Path
):
    """Every sheet to CSV (`;`, UTF-8, cells as shown): the formats are applied, nothing is text that
    should be a number, and æøå survive."""
    converted = tmp_path / "csv"
    done = libreoffice(danish, CSV_EVERY_SHEET, converted, tmp_path)
    sheets = {
        path.stem.removeprefix("scenarie-"): path.read_text(encoding="utf-8")
        for path in converted.glob("*.csv")
    }
    assert set(sheets) == set(DANISH_SHEETS), done.stdout + done.stderr
    rates = [line.split(";") for line in sheets["Rater"].splitlines()]
    assert rates[0][:4] == ["rate", "udgangspunkt udløst", "udgangspunkt dato", "udgangspunkt udbetalt (kr.)"]
    assert [row[0] for row in rates[1:]] == ["1", "2", "3", "i alt"]
    assert all(re.fullmatch(r"\d{2}-\d{2}-\d{4}", row[5]) for row in rates[1:4])  # the scenario's dates
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2} kr\.", row[3]) for row in rates[1:])
    months = [line.split(";") for line in sheets["Måneder"].splitlines()]
    assert months[1][0] == "august 2017" and all(
        re.fullmatch(r"[a-zæøå]+ \d{4}", row[0]) for row in months[1:]
    )
    assert all(re.fullmatch(r"\d{1,3},\d %", row[3]) for row in months[1:] if row[3])
    assert "visitér til Gruppe 1 – indsatsgruppen" in sheets["Ændringer"]
