"""`fsm import`: every bad row rejected with file, line, column and reason; nothing good lost; exit status."""

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.cli.common import progress_bar
from engine.input.delivery import DeliveryError, read_delivery
from engine.input.importing import import_folder, write_report
from engine.input.storing import Stored
from engine.input.timelines import load_grants, load_timelines
from models.db import CitizenVersion, Delivery, SupportRow

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad_delivery"
EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"

EXPECTED_REJECTS = [
    ("citizens.csv", 4, "citizen_id", "has no real date"),
    ("citizens.csv", 5, "birth_date", "required when citizen_id is a pseudonym"),
    ("citizens.csv", 7, "citizen_id", "listed twice (first on line 2)"),  # 010180-1234 = 0101801234
    ("citizens.csv", 8, "death_date", "not a date"),
    ("residence.csv", 3, "from,to", "overlaps line 2 of residence.csv"),
    ("residence.csv", 4, "municipality", "pattern"),
    ("support.csv", 3, "from,to", "overlaps line 2 of support.csv"),
    ("support.csv", 4, "from,to", "ends (2009-01-01) before it starts (2010-01-01)"),
    ("support.csv", 5, "support", "Input should be 'kontanthjaelp'"),
    ("support.csv", 7, "citizen_id", "not listed in citizens.csv"),
    ("support.csv", 8, "citizen_id", "row in citizens.csv (line 8) was rejected"),
    ("support.csv", 9, "", "more cells than the 4 columns"),
    ("match.csv", 3, "to", "month value is outside expected range"),
    ("match.csv", 4, "category", "Input should be 'aktivitetsparat' or 'jobparat'"),
    ("match.csv", 7, "from,to", "overlaps line 6 of match.csv"),  # line 4's cell spans two lines
    ("programmes.csv", 3, "programme", "Input should be 'integrationsprogram'"),
    ("visitations.csv", 3, "date", "a second fsm1 visitation on this day (first on line 2)"),
    ("visitations.csv", 4, "programme,group", "not a fsm2 group"),
    ("activities.csv", 4, "from", "day value is outside expected range"),
    ("activities.csv", 5, "", "an empty row"),
    ("exemptions.csv", 3, "from,to", "overlaps line 2 of exemptions.csv"),
    ("exemptions.csv", 4, "marking", "pattern"),
    ("grants.csv", 3, "municipality", "a second row for 851 fsm1"),
    ("grants.csv", 4, "amount", "at most 2 decimals"),
    ("grants.csv", 5, "project_start,project_end", "project_end (2017-08-01) is before project_start"),
    ("grant_years.csv", 3, "municipality", "a second row for 657 fsm2 2020 (first on line 2)"),
    ("grant_years.csv", 4, "year", "valid integer"),
    ("grant_years.csv", 5, "amount", "greater than or equal to 0"),
]


def rows(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_every_kind_of_bad_row_is_rejected_with_its_file_line_column_and_reason():
    content = read_delivery(BAD)
    found = [(r.file, r.line, r.column, r.reason) for r in content.rejects]
    assert len(found) == len(EXPECTED_REJECTS)
    for (file, line, column, reason), expected in zip(found, EXPECTED_REJECTS, strict=True):
        assert (file, line, column) == expected[:3]
        assert expected[3] in reason, (file, line, reason)


def test_accepted_plus_rejected_equals_rows_read_for_every_file():
    content = read_delivery(BAD)
    assert len(content.files) == 10  # every kind of file has bad rows
    for stats in content.files:
        assert stats.accepted + stats.rejected == stats.rows_read, stats.name
        assert stats.rejected == sum(1 for r in content.rejects if r.file == stats.name)
    # activities.csv: a byte order mark, a blank line (not a row) and five rows, two of them bad
    assert [(f.rows_read, f.accepted) for f in content.files if f.name == "activities.csv"] == [(5, 3)]


def test_good_rows_next_to_bad_ones_are_kept():
    content = read_delivery(BAD)
    assert sorted(content.citizens) == ["010180-1234", "020280-1235", "pseudo_2"]
    kept = content.citizens["010180-1234"]
    assert [s.support.value for s in kept["support"]] == ["kontanthjaelp"]
    assert [v.group.value for v in kept["visitations"]] == ["1"]
    assert [a.activity.value for a in kept["activities"]] == ["virksomhedspraktik", "mentor"]
    assert [a.activity.value for a in content.citizens["020280-1235"]["activities"]] == ["ordinaere_timer"]
    assert [m.category.value for m in content.citizens["pseudo_2"]["match"]] == ["jobparat"]
    assert [g.municipality for g in content.grants] == ["851"]
    assert [(g.year, str(g.amount)) for g in content.grant_years] == [(2020, "631215.00")]


def test_the_rejects_report_masks_cpr_numbers_unless_asked_to_show_them(tmp_path: Path):
    content = read_delivery(BAD)
    stored = Stored(1, True)

    def citizen_values(**options) -> set[str]:
        with open(write_report(content, tmp_path / str(options), stored, **options) / "rejects.csv") as f:
            return {r["value"] for r in csv.DictReader(f) if r["column"] == "citizen_id"}

    assert citizen_values() == {"310280-xxxx", "010180-xxxx", "nobody", "050575-xxxx"}
    assert citizen_values(show_cpr=True) == {"3102801234", "010180-1234", "nobody", "0505754321"}


def test_import_writes_the_rejects_report_and_exits_3_when_rows_were_rejected(cli_env: Engine):
    result = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "report"])
    assert result.exit_code == 3, result.output
    with open("report/rejects.csv", encoding="utf-8") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["file"], int(r["line"]), r["column"]) for r in report] == [e[:3] for e in EXPECTED_REJECTS]
    assert "0101801234" not in Path("report/rejects.csv").read_text()
    summary = json.loads(Path("report/summary.json").read_text())
    assert summary["rejected"] == len(EXPECTED_REJECTS)
    assert all(f["accepted"] + f["rejected"] == f["rows_read"] for f in summary["files"])
    assert rows(cli_env, CitizenVersion) == 3
    assert "support.csv: 8 rows read = 2 accepted + 6 rejected" in result.output  # plain text off a terminal


def test_importing_a_delivery_again_says_so_and_exits_0_even_with_rejects(cli_env: Engine):
    CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "first"])
    again = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "again"])
    assert again.exit_code == 0, again.output
    assert "already imported as delivery 1" in again.output
    assert rows(cli_env, Delivery) == 1


def test_a_clean_delivery_imports_with_exit_status_0(cli_env: Engine):
    result = CliRunner().invoke(app, ["import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    with Session(cli_env) as session:
        assert len(list(load_timelines(session))) == 16
        grants = load_grants(session)
    assert [(g.municipality, g.amount) for g in grants] == [("851", Decimal("11749000.00"))]
    assert "citizens.csv: 16 rows read = 16 accepted + 0 rejected" in result.output


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "citizens.csv").unlink(), "citizens.csv is missing"),
        (lambda d: (d / "support.csv").write_text("citizen,support,from,to\n"), "the header must be"),
        (
            lambda d: (d / "match.csv").write_bytes(
                "citizen_id,category,from,to\nx\xe6,a,b,c\n".encode("latin-1")
            ),
            "not UTF-8",
        ),
    ],
    ids=["missing citizens.csv", "wrong header", "not UTF-8"],
)
def test_an_unreadable_delivery_changes_nothing_and_exits_2(cli_env: Engine, tmp_path: Path, damage, message):
    import_folder(cli_env, BAD, report_dir=tmp_path / "earlier")
    before = rows(cli_env, Delivery), rows(cli_env, CitizenVersion), rows(cli_env, SupportRow)
    folder = tmp_path / "delivery"
    shutil.copytree(EXAMPLE, folder)
    damage(folder)
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 2
    assert message in result.output
    assert "nothing was imported" in result.output
    assert (rows(cli_env, Delivery), rows(cli_env, CitizenVersion), rows(cli_env, SupportRow)) == before


def test_importing_the_same_delivery_twice_duplicates_nothing(engine: Engine, tmp_path: Path):
    first = import_folder(engine, EXAMPLE, report_dir=tmp_path / "1")
    support_rows = rows(engine, SupportRow)
    second = import_folder(engine, EXAMPLE, report_dir=tmp_path / "2")
    assert (second.stored.delivery_id, second.stored.new) == (first.stored.delivery_id, False)
    assert rows(engine, SupportRow) == support_rows
    assert rows(engine, Delivery) == 1


def test_the_progress_bar_stays_quiet_in_ci_and_off_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    assert progress_bar("rows").disable
    monkeypatch.delenv("CI")
    assert progress_bar("rows").disable  # pytest's stdout is not a terminal


def test_a_folder_that_does_not_exist_is_refused():
    with pytest.raises(DeliveryError, match="not a folder"):
        read_delivery(DATA / "nowhere")
