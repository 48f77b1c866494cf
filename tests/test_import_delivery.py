"""`fsm import`: every bad row rejected with file, line, column and reason; nothing good lost; history kept."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.cli import app, progress_bar
from engine.delivery import DeliveryError, read_delivery
from engine.importing import import_folder
from engine.store import latest_delivery, load_grants, load_timelines
from models.db import CitizenVersion, Delivery, SupportRow

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad_delivery"
EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"

EXPECTED_REJECTS = [
    ("citizens.csv", 4, "citizen_id", "has no real date"),
    ("citizens.csv", 5, "birth_date", "required when citizen_id is a pseudonym"),
    ("citizens.csv", 7, "citizen_id", "listed twice (first on line 2)"),
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
    ("visitations.csv", 3, "date", "a second fsm1 visitation on this day (first on line 2)"),
    ("visitations.csv", 4, "programme,group", "not a fsm2 group"),
    ("grants.csv", 3, "municipality", "a second row for 851 fsm1"),
    ("grants.csv", 4, "amount", "at most 2 decimals"),
    ("grants.csv", 5, "project_start,project_end", "project_end (2017-08-01) is before project_start"),
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
    for stats in content.files:
        assert stats.accepted + stats.rejected == stats.rows_read, stats.name
        assert stats.rejected == sum(1 for r in content.rejects if r.file == stats.name)


def test_good_rows_next_to_bad_ones_are_kept():
    content = read_delivery(BAD)
    assert sorted(content.citizens) == ["010180-1234", "020280-1235", "pseudo_2"]
    kept = content.citizens["010180-1234"]
    assert [s.support.value for s in kept["support"]] == ["kontanthjaelp"]
    assert [v.group.value for v in kept["visitations"]] == ["1"]
    assert [g.municipality for g in content.grants] == ["851"]


def test_cpr_numbers_are_masked_in_the_rejects():
    assert {r.value for r in read_delivery(BAD).rejects if r.column == "citizen_id"} >= {
        "310280-xxxx",
        "010180-xxxx",
    }


def test_import_writes_the_rejects_report_and_exits_3_when_rows_were_rejected(cli_env: Engine):
    result = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "report"])
    assert result.exit_code == 3, result.output
    with open("report/rejects.csv", encoding="utf-8") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["file"], int(r["line"]), r["column"]) for r in report] == [e[:3] for e in EXPECTED_REJECTS]
    summary = json.loads(Path("report/summary.json").read_text())
    assert summary["rejected"] == len(EXPECTED_REJECTS)
    assert all(f["accepted"] + f["rejected"] == f["rows_read"] for f in summary["files"])
    assert rows(cli_env, CitizenVersion) == 3
    assert "citizens.csv" in result.output


def test_a_clean_delivery_imports_with_exit_status_0(cli_env: Engine):
    result = CliRunner().invoke(app, ["import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    with Session(cli_env) as session:
        assert len(list(load_timelines(session))) == 16
        assert [g.municipality for g in load_grants(session)] == ["851"]


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
    folder = tmp_path / "delivery"
    shutil.copytree(EXAMPLE, folder)
    damage(folder)
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 2
    assert message in result.output
    assert rows(cli_env, Delivery) == 0


def test_importing_the_same_delivery_twice_duplicates_nothing(engine: Engine, tmp_path: Path):
    first = import_folder(engine, EXAMPLE, report_dir=tmp_path / "1")
    support_rows = rows(engine, SupportRow)
    second = import_folder(engine, EXAMPLE, report_dir=tmp_path / "2")
    assert (second.stored.delivery_id, second.stored.new) == (first.stored.delivery_id, False)
    assert rows(engine, SupportRow) == support_rows
    assert rows(engine, Delivery) == 1


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_correcting_delivery_keeps_history_so_earlier_knowledge_can_still_be_read(
    engine: Engine, tmp_path: Path
):
    one, two = tmp_path / "one", tmp_path / "two"
    write(one, "citizens.csv", "citizen_id,birth_date,death_date\n0101801234,,\n0202801234,,\n")
    write(
        one,
        "support.csv",
        "citizen_id,support,from,to\n0101801234,kontanthjaelp,2010-01-01,\n0202801234,dagpenge,2011-01-01,\n",
    )
    write(
        one,
        "grants.csv",
        "municipality,programme,amount,approved_on,project_start,project_end\n851,fsm1,100.00,2017-06-01,2017-08-01,2019-08-31\n",
    )
    write(two, "citizens.csv", "citizen_id,birth_date,death_date\n010180-1234,,2018-01-01\n")
    write(two, "support.csv", "citizen_id,support,from,to\n010180-1234,kontanthjaelp,2010-01-01,2017-12-31\n")
    write(
        two,
        "grants.csv",
        "municipality,programme,amount,approved_on,project_start,project_end\n851,fsm1,200.00,2017-06-01,2017-08-01,2019-08-31\n",
    )
    first = import_folder(engine, one, report_dir=tmp_path / "r1").stored.delivery_id
    second = import_folder(engine, two, report_dir=tmp_path / "r2").stored.delivery_id
    with Session(engine) as session:
        assert latest_delivery(session) == second
        before = {t.citizen_id: t for t in load_timelines(session, delivery=first)}
        after = {t.citizen_id: t for t in load_timelines(session)}
        assert before["010180-1234"].support[0].end is None and before["010180-1234"].death_date is None
        assert str(after["010180-1234"].support[0].end) == "2017-12-31"
        assert str(after["010180-1234"].death_date) == "2018-01-01"
        assert after["020280-1234"].support[0].support.value == "dagpenge"  # not listed again: kept
        assert [str(g.amount) for g in load_grants(session, delivery=first)] == ["100.00"]
        assert [str(g.amount) for g in load_grants(session)] == ["200.00"]


def test_timelines_can_be_read_for_one_municipality(engine: Engine, tmp_path: Path):
    import_folder(engine, BAD, report_dir=tmp_path / "r")
    with Session(engine) as session:
        assert [t.citizen_id for t in load_timelines(session, municipality="851")] == [
            "010180-1234",
            "pseudo_2",
        ]
        assert [t.citizen_id for t in load_timelines(session, municipality="657")] == []


def test_the_progress_bar_stays_quiet_in_ci_and_off_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    assert progress_bar("rows").disable
    monkeypatch.delenv("CI")
    assert progress_bar("rows").disable  # pytest's stdout is not a terminal


def test_a_folder_that_does_not_exist_is_refused():
    with pytest.raises(DeliveryError, match="not a folder"):
        read_delivery(DATA / "nowhere")
