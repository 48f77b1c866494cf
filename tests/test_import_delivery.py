"""`fsm import` reading a delivery: every bad row rejected with file, line, column and reason in a
data officer's words; nothing good lost; what Danish spreadsheets write read, and said so; a file
that would not be read refusing the delivery. One folder of tests/data per kind of bad delivery."""

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
from engine.input import TIMELINE_KINDS
from engine.input.csvfile import CHUNK, LONGEST_LINE
from engine.input.delivery import KIND_BITS, DeliveryError, read_delivery
from engine.input.importing import import_folder
from engine.input.timelines import load_grants, load_timelines
from models.db import CitizenVersion, Delivery, SupportRow

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad_rows_of_every_kind"
EXAMPLE = Path(__file__).parent.parent / "examples" / "delivery"

EXPECTED_REJECTS = [
    ("citizens.csv", 4, "citizen_id", "a CPR number whose first six digits are not a real date"),
    ("citizens.csv", 5, "birth_date", "birth_date is empty: it is required when citizen_id is a pseudonym"),
    ("citizens.csv", 7, "citizen_id", "listed twice (first on line 2)"),  # 010180-1234 = 0101801234
    ("citizens.csv", 8, "death_date", "death_date 'not-a-date' is not a date: write YYYY-MM-DD"),
    (
        "residence.csv",
        3,
        "from,to",
        "overlaps line 2 for the same citizen: two residences on one day (2010-01-01)",
    ),
    ("residence.csv", 4, "municipality", "municipality '85' is not a municipality code: write its 3 digits"),
    (
        "support.csv",
        3,
        "from,to",
        "overlaps line 2 for the same citizen: two supports on one day (2016-12-01)",
    ),
    ("support.csv", 4, "from,to", "the period ends (2009-01-01) before it starts (2010-01-01)"),
    ("support.csv", 5, "support", "support 'lottery' is not a support code: write one of kontanthjaelp,"),
    ("support.csv", 7, "citizen_id", "the citizen is not listed in citizens.csv"),
    ("support.csv", 8, "citizen_id", "the citizen's row in citizens.csv (line 8) was rejected"),
    ("support.csv", 9, "", "5 cells, but the header has 4 columns"),
    ("match.csv", 3, "to", "to '2012-13-01' is not a day of the calendar"),
    ("match.csv", 4, "", 'a quote (") opens in cell 2 and does not close on this line'),
    ("match.csv", 5, "", "3 cells, but the header has 4 columns: a row cut short?"),  # the quote's other half
    ("match.csv", 7, "from,to", "overlaps line 6 for the same citizen: two match categories on one day"),
    (
        "programmes.csv",
        3,
        "programme",
        "'integrationsprogam' is not a programme code (did you mean integrationsprogram?)",
    ),
    ("visitations.csv", 3, "date", "a second fsm1 visitation on 2017-09-01 (first on line 2)"),
    ("visitations.csv", 4, "programme,group", "group '1' is not a fsm2 group: write one of indsats, rehab"),
    ("activities.csv", 4, "from", "from '2017-09-31' is not a day of the calendar"),
    ("activities.csv", 5, "", "an empty row: every cell is empty"),
    ("exemptions.csv", 4, "marking", "marking 'Barsel!' is not a marking: write lower-case letters"),
    ("grants.csv", 3, "municipality", "a second row for 851 fsm1 (first on line 2)"),
    ("grants.csv", 4, "amount", "amount 2235074.001 has more than 2 decimals"),
    (
        "grants.csv",
        5,
        "project_start,project_end",
        "project_end (2017-08-01) is before project_start (2019-08-31)",
    ),
    ("grant_years.csv", 3, "municipality", "a second row for 657 fsm2 2020 (first on line 2)"),
    ("grant_years.csv", 4, "year", "year '20x1' is not a year of 2000–2100: write 4 digits"),
    ("grant_years.csv", 5, "amount", "amount -5.00 is negative"),
]


def rows(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def copied(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder, symlinks=True)
    return folder


def data_lines(path: Path) -> int:
    """The data lines of a file, counted without the product's reader: its non-blank lines after
    the header, lines ending at LF, CRLF or CR."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return sum(1 for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:] if line.strip())


def test_the_timeline_kinds_the_command_line_names_are_the_delivery_s_files():
    assert tuple(KIND_BITS) == TIMELINE_KINDS


def test_every_kind_of_bad_row_is_rejected_with_its_file_line_column_and_reason():
    content = read_delivery(BAD)
    found = [(r.file, r.line, r.column, r.reason) for r in content.rejects]
    assert [f[:3] for f in found] == [e[:3] for e in EXPECTED_REJECTS]
    for (file, line, _, reason), expected in zip(found, EXPECTED_REJECTS, strict=True):
        assert expected[3] in reason, (file, line, reason)


def test_no_reason_uses_the_words_of_a_validation_library():
    for reason in (
        r.reason for r in read_delivery(BAD).rejects + read_delivery(DATA / "strict_values").rejects
    ):
        for jargon in ("Input should", "String should", "valid integer", "pattern", "Value error", "type="):
            assert jargon not in reason


@pytest.mark.parametrize(
    "folder", sorted(p.name for p in DATA.iterdir() if p.is_dir() and (p / "citizens.csv").is_file())
)
def test_rows_read_equal_accepted_plus_rejected_equal_the_files_data_lines(folder: str):
    try:
        content = read_delivery(DATA / folder)
    except DeliveryError:
        return  # refused whole: test_look_alike_files… and test_every_header_problem… say why
    assert content.files
    for stats in content.files:
        assert stats.accepted + stats.rejected == stats.rows_read == data_lines(DATA / folder / stats.name)
        assert stats.rejected == sum(1 for r in content.rejects if r.file == stats.name)


def test_good_rows_next_to_bad_ones_are_kept():
    content = read_delivery(BAD)
    assert sorted(content.citizens) == ["010180-1234", "020280-1235", "pseudo_2"]
    kept = content.citizens["010180-1234"]
    assert [s.support.value for s in kept["support"]] == ["kontanthjaelp"]
    assert [v.group.value for v in kept["visitations"]] == ["1"]
    assert [a.activity.value for a in kept["activities"]] == ["virksomhedspraktik", "mentor"]
    assert [a.activity.value for a in content.citizens["020280-1235"]["activities"]] == ["ordinaere_timer"]
    assert [e.marking for e in content.citizens["020280-1235"]["exemptions"]] == ["barsel", "sygdom"]
    assert [m.category.value for m in content.citizens["pseudo_2"]["match"]] == ["jobparat"]
    assert [g.municipality for g in content.grants] == ["851"]
    assert [(g.year, str(g.amount)) for g in content.grant_years] == [(2020, "631215.00")]


STRICT = [
    ("citizens.csv", 3, "death_date '0' is not a date: write YYYY-MM-DD, e.g. 2018-01-31"),
    ("citizens.csv", 4, "death_date '1514764800' is not a date: write YYYY-MM-DD, e.g. 2018-01-31"),
    ("citizens.csv", 5, "death_date '2017-09-01T00:00:00' is not a date: write YYYY-MM-DD, e.g. 2018-01-31"),
    ("citizens.csv", 6, "death_date 1970-01-01 is before the birth (1975-05-05): a typing mistake?"),
    ("citizens.csv", 7, "birth_date 1875-05-05 is before 1900: a typing mistake? Dates lie in 1900–2100"),
    ("citizens.csv", 8, "birth_date '20180131' is not a date: write YYYY-MM-DD, e.g. 2018-01-31"),
    ("citizens.csv", 9, "birth_date '31-01-2018' is not a date: write YYYY-MM-DD, e.g. 2018-01-31"),
    ("citizens.csv", 10, "death_date 2101-01-01 is after 2100: a typing mistake? Dates lie in 1900–2100"),
    ("residence.csv", 2, "3 cells, but the header has 4 columns: a row cut short?"),
    ("residence.csv", 3, "5 cells, but the header has 4 columns"),
    ("support.csv", 2, "from '2017-09-01T00:00:00' is not a date: write YYYY-MM-DD, e.g. 2018-01-31"),
    ("support.csv", 3, "support 'Kontanthjaelp' is not a support code (did you mean kontanthjaelp?)"),
    ("grants.csv", 2, "amount '1_000_000' is not an amount: write kroner as digits with at most 2 decimals"),
    ("grants.csv", 3, "amount '1e6' is not an amount"),
    ("grants.csv", 4, "amount '1E+2' is not an amount"),
    ("grants.csv", 5, "amount '+100' is not an amount"),
    ("grants.csv", 6, "amount '1234,50' is not an amount (a decimal comma or a thousands separator?)"),
]


def test_dates_amounts_and_row_widths_are_strict_and_every_refusal_says_what_to_write():
    content = read_delivery(DATA / "strict_values")
    found = [(r.file, r.line, r.reason) for r in content.rejects]
    assert [f[:2] for f in found] == [s[:2] for s in STRICT]
    for (file, line, reason), (_, _, expected) in zip(found, STRICT, strict=True):
        assert reason.startswith(expected), (file, line, reason)
    # plain decimals are amounts; a cut row does not become an open-ended period
    assert sorted(g.amount for g in content.grants) == [
        Decimal("1234"),
        Decimal("1234.5"),
        Decimal("1234.56"),
    ]
    assert content.citizens["080580-1621"].get("residence") is None
    assert [(r.start.isoformat(), r.end) for r in content.citizens["pseudo_g"]["residence"]] == [
        ("1998-01-01", None)
    ]


def test_a_stray_quote_rejects_its_own_row_and_reading_goes_on_with_the_next_line():
    content = read_delivery(DATA / "stray_quote")
    assert [(r.file, r.line, r.column) for r in content.rejects] == [("support.csv", 5, "")]
    assert "does not close on this line" in content.rejects[0].reason
    (support,) = [f for f in content.files if f.name == "support.csv"]
    assert (support.rows_read, support.accepted) == (19, 18)
    assert "180589-0795" in content.citizens and "support" not in content.citizens["180589-0795"]


def test_a_quote_opened_on_line_100_of_3000_rejects_line_100_only(tmp_path: Path):
    folder = tmp_path / "delivery"
    folder.mkdir()
    citizens = [f"pseudo_{i}" for i in range(3000)]
    (folder / "citizens.csv").write_text(
        "citizen_id,birth_date,death_date\n" + "".join(f"{c},1980-01-01,\n" for c in citizens)
    )
    support = [f"{c},kontanthjaelp,2010-01-01,\n" for c in citizens]
    support[98] = support[98].replace(",kontanthjaelp", ',"kontanthjaelp')  # line 100
    (folder / "support.csv").write_text("citizen_id,support,from,to\n" + "".join(support))
    content = read_delivery(folder)
    assert [(r.file, r.line) for r in content.rejects] == [("support.csv", 100)]
    assert sum(len(c.get("support", ())) for c in content.citizens.values()) == 2999


def test_nul_bytes_and_quotes_out_of_place_are_rejected_a_quoted_cell_is_read_and_blank_lines_are_not_rows():
    content = read_delivery(DATA / "damaged_lines")
    assert [(r.line, r.reason.split(":")[0]) for r in content.rejects] == [
        (3, "the line holds a NUL byte"),
        (5, 'a quote (") in cell 2 is out of place'),
        (9, "an empty row"),
    ]
    assert [s.support.value for s in content.citizens["080166-3077"]["support"]] == [
        "kontanthjaelp"
    ]  # line 7, quoted
    (support,) = content.files[1:]
    assert (support.rows_read, support.accepted) == (20, 17)  # line 10 is blank: not a row


@pytest.mark.parametrize("length", [3 * LONGEST_LINE, 2 * CHUNK + 7], ids=["within a chunk", "across chunks"])
def test_a_line_too_long_for_a_delivery_is_rejected_and_the_rows_after_it_are_read(
    tmp_path: Path, length: int
):
    folder = copied(EXAMPLE, tmp_path / "delivery")
    lines = (folder / "support.csv").read_text().splitlines(keepends=True)
    lines.insert(3, "x" * length + "\n")
    (folder / "support.csv").write_text("".join(lines))
    content = read_delivery(folder)
    assert [(r.line, r.reason) for r in content.rejects] == [
        (4, f"the line is longer than {LONGEST_LINE:,} characters: is this a CSV file?")
    ]
    assert sum(len(c.get("support", ())) for c in content.citizens.values()) == 19


def test_files_that_look_like_the_deliverys_refuse_it_and_each_is_named_in_one_attempt():
    with pytest.raises(DeliveryError) as refused:
        read_delivery(DATA / "lookalike_files")
    assert refused.value.problems == [
        "Support.csv: did you mean support.csv? It would not be read: rename it (or remove it)",
        "activities.CSV: did you mean activities.csv? It would not be read: rename it (or remove it)",
        "grants.xlsx: did you mean grants.csv? It would not be read: rename it (or remove it)",
        "match (1).csv: did you mean match.csv? It would not be read: rename it (or remove it)",
        "programmes.csv is a link to programmes-2018.csv, which is not there",
        "visitations.csv is a folder, not a file",
    ]


def test_every_header_problem_is_reported_in_one_attempt():
    with pytest.raises(DeliveryError) as refused:
        read_delivery(DATA / "unreadable_headers")
    assert refused.value.problems == [
        "residence.csv: the header must name the columns citizen_id, municipality, from, to: municipality twice",
        "support.csv: the header must name the columns citizen_id, support, from, to: the column to is missing",
        "match.csv: the header must name the columns citizen_id, category, from, to: no column may be named note",
        "programmes.csv: is UTF-16 (Excel's 'Unicode text'): save it as 'CSV UTF-8' or 'CSV (semicolon separated)'",
        "visitations.csv: line 1 must be the header (citizen_id,programme,date,group); it is empty",
        "activities.csv: its cells are separated by tabs: save it as CSV (with , or ;)",
    ]


def test_what_danish_excel_writes_is_read_as_the_same_delivery_and_the_summary_says_how():
    excel, plain = read_delivery(DATA / "danish_excel"), read_delivery(EXAMPLE)
    assert excel.checksum == plain.checksum
    assert excel.citizens == plain.citizens and excel.rejects == []
    notes = {f.name: f.notes for f in excel.files}
    assert notes["citizens.csv"] == (
        "decoded as Windows-1252, not UTF-8 (the first non-UTF-8 byte is on line 2)",
        "cells separated by ';'",
        "an empty last column ignored",
        "columns matched by name (death_date,birth_date,citizen_id)",
    )
    assert notes["support.csv"][0] == "cells separated by ';'"


def test_an_empty_last_column_may_be_left_out_but_a_value_in_it_is_rejected(tmp_path: Path):
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / "citizens.csv").write_text(
        "citizen_id,birth_date,death_date,\npseudo_1,1980-01-01,,\npseudo_2,1980-01-01,\npseudo_3,1980-01-01,,x\n"
    )
    content = read_delivery(folder)
    assert sorted(content.citizens) == ["pseudo_1", "pseudo_2"]
    assert [(r.line, r.reason) for r in content.rejects] == [
        (4, "a value in the empty last column, which has no name")
    ]


def test_the_rejects_report_masks_cpr_numbers_even_inside_a_whole_row_unless_asked_to_show_them(
    cli_env: Engine,
):
    CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "masked"])
    CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "shown", "--show-cpr"])

    def values(folder: str) -> list[str]:
        with open(Path(folder) / "rejects.csv", encoding="utf-8") as handle:
            return [r["value"] for r in csv.DictReader(handle) if r["column"] in ("citizen_id", "")]

    assert values("masked") == [
        "310280-xxxx",
        "010180-xxxx",
        "nobody",
        "050575-xxxx",
        "pseudo_2,kontanthjaelp,2020-01-01,,extra",
        '020280-xxxx,"aktiv',
        'itetsparat",2013-01-01,',
        "",
    ]
    assert values("shown")[:2] == ["3102801234", "010180-1234"] and values("shown")[5] == '020280-1235,"aktiv'


def test_import_writes_the_rejects_report_and_the_summary_and_exits_3_when_rows_were_rejected(
    cli_env: Engine,
):
    result = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "report"])
    assert result.exit_code == 3, result.output
    with open("report/rejects.csv", encoding="utf-8") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["file"], int(r["line"]), r["column"]) for r in report] == [e[:3] for e in EXPECTED_REJECTS]
    summary = json.loads(Path("report/summary.json").read_text())
    assert (summary["rejected"], summary["delivery"], summary["citizens"]) == (len(EXPECTED_REJECTS), 1, 3)
    assert all(f["accepted"] + f["rejected"] == f["rows_read"] for f in summary["files"])
    assert rows(cli_env, CitizenVersion) == 3
    assert "support.csv: 8 rows read = 2 accepted + 6 rejected" in result.output  # plain text off a terminal
    assert not list(Path("report").glob(".*"))  # no partial file left


def test_importing_a_delivery_again_prints_its_original_summary_and_exits_with_its_original_status(
    cli_env: Engine,
):
    first = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "first"])
    again = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "again"])
    assert (first.exit_code, again.exit_code) == (3, 3), again.output
    assert again.output.splitlines()[0].startswith(f"{BAD}: already imported as delivery 1; on ")
    assert first.output.splitlines()[1:-1] == again.output.splitlines()[1:-1]  # the files' lines
    assert Path("again/rejects.csv").read_text() == Path("first/rejects.csv").read_text()
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
        (
            lambda d: (d / "support.csv").write_text("citizen,support,from,to\n"),
            "no column may be named citizen",
        ),
        (lambda d: (d / "support.csv").rename(d / "Support.csv"), "Support.csv: did you mean support.csv?"),
        (
            lambda d: shutil.copy(DATA / "unreadable_headers" / "programmes.csv", d),
            "programmes.csv: is UTF-16",
        ),
    ],
    ids=["missing citizens.csv", "wrong header", "a look-alike name", "UTF-16"],
)
def test_an_unreadable_delivery_changes_nothing_and_exits_2(cli_env: Engine, tmp_path: Path, damage, message):
    import_folder(cli_env, BAD, report_dir=tmp_path / "earlier")
    before = rows(cli_env, Delivery), rows(cli_env, CitizenVersion), rows(cli_env, SupportRow)
    folder = copied(EXAMPLE, tmp_path / "delivery")
    damage(folder)
    result = CliRunner().invoke(app, ["import", str(folder), "--report-dir", "nowhere"])
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.splitlines()[-1] == "error: nothing was imported"
    assert (rows(cli_env, Delivery), rows(cli_env, CitizenVersion), rows(cli_env, SupportRow)) == before
    assert not Path("nowhere").exists()


def test_a_delivery_without_a_kinds_file_is_refused_unless_allowed_and_the_summary_counts_who_lose_their_rows(
    cli_env: Engine,
):
    CliRunner().invoke(app, ["import", str(EXAMPLE)])
    refused = CliRunner().invoke(app, ["import", str(DATA / "missing_kind_file")])
    assert refused.exit_code == 2
    assert (
        "error: support.csv is missing, yet 16 of the citizens it lists had support rows: they would lose them "
        "all (give --allow-missing support if that is meant)"
    ) in refused.output
    assert rows(cli_env, Delivery) == 1
    allowed = CliRunner().invoke(
        app, ["import", str(DATA / "missing_kind_file"), "--allow-missing", "support", "--report-dir", "r"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "16 of the citizens listed lose all their support rows" in allowed.output
    assert json.loads(Path("r/summary.json").read_text())["lose_all_rows"] == {"support": 16}
    with Session(cli_env) as session:
        assert all(t.support == () for t in load_timelines(session))


def test_an_empty_file_says_no_rows_on_purpose_and_the_summary_still_counts_the_losses(
    cli_env: Engine, tmp_path: Path
):
    CliRunner().invoke(app, ["import", str(EXAMPLE)])
    folder = copied(EXAMPLE, tmp_path / "no-visitations")
    (folder / "visitations.csv").write_text("citizen_id,programme,date,group\n")
    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "10 of the citizens listed lose all their visitations rows" in result.output


def test_an_unknown_kind_to_allow_missing_is_refused(cli_env: Engine):
    result = CliRunner().invoke(app, ["import", str(EXAMPLE), "--allow-missing", "suport"])
    assert result.exit_code == 2
    assert "--allow-missing suport: the kinds are residence, support" in result.output


def test_importing_the_same_delivery_twice_duplicates_nothing(engine: Engine, tmp_path: Path):
    first = import_folder(engine, EXAMPLE, report_dir=tmp_path / "1")
    support_rows = rows(engine, SupportRow)
    second = import_folder(engine, EXAMPLE, report_dir=tmp_path / "2")
    assert (second.stored.delivery_id, second.stored.new) == (first.stored.delivery_id, False)
    assert rows(engine, SupportRow) == support_rows
    assert rows(engine, Delivery) == 1


def test_a_report_that_cannot_be_written_imports_nothing_so_its_rejects_are_never_lost(cli_env: Engine):
    Path("taken").write_text("a file where the report's folder would go\n")
    failed = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "taken/report"])
    assert failed.exit_code == 1 and failed.output.startswith("error: ") and failed.output.count("\n") == 1
    assert rows(cli_env, Delivery) == 0
    again = CliRunner().invoke(app, ["import", str(BAD), "--report-dir", "report"])
    assert again.exit_code == 3, again.output
    assert ": imported as delivery" in again.output and Path("report/rejects.csv").is_file()
    assert rows(cli_env, Delivery) == 1


def test_the_progress_bar_stays_quiet_in_ci_and_off_a_terminal(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    assert progress_bar("rows").disable
    monkeypatch.delenv("CI")
    assert progress_bar("rows").disable  # pytest's stdout is not a terminal


def test_a_folder_that_does_not_exist_is_refused():
    with pytest.raises(DeliveryError, match="not a folder"):
        read_delivery(DATA / "nowhere")
