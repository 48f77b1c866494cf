"""Downloads of every table a page shows — the runs, a run's municipalities, a municipality's rates,
months and members, a citizen's decisions rule by rule, the access log — as Excel workbooks with
real numbers and dates in Danish number formats, as CSV for Danish Excel (`;`, a byte order mark,
`4.699.600,00`, `31-08-2019`) and as CSV with commas; read back with openpyxl and by LibreOffice
(each file opened and its dates and numbers typed, æøå intact); CPR numbers masked unless the role
allows; every download a row of the access log."""

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.faces.web import create_app
from models.access import AccessLog
from tests.conftest import WebRuns
from tests.office import CSV_DANISH, CSV_EVERY_SHEET, libreoffice
from tests.pages import citizen_of, download_routes
from tests.web import csrf_of, logged_in

MONEY = '[$-406]#,##0.00\\ "kr."'
SHARE = "[$-406]0.0\\ %"
MONTH = "[$-406]mmmm yyyy"
CPR_IN_FULL = re.compile(r"\b\d{6}-\d{4}\b")
MEMBERS = "/runs/2/municipalities/851/downloads/members"
DOWNLOADS = {
    "/downloads/runs.{fmt}": "/downloads/runs",
    "/runs/{run_id}/downloads/municipalities.{fmt}": "/runs/2/downloads/municipalities",
    "/runs/{run_id}/municipalities/{municipality}/downloads/{table}.{fmt}": "/runs/2/municipalities/851/downloads/rates",
    "/runs/{run_id}/citizens/{ref}/downloads/rules.{fmt}": "/runs/2/citizens/{ref}/downloads/rules",
    "/diff/downloads/citizens.{fmt}": "/diff/downloads/citizens?first=1&second=2",
    "/runs/{run_id}/citizens/{ref}/downloads/timeline.{fmt}": "/runs/2/citizens/{ref}/downloads/timeline",
    "/runs/{run_id}/downloads/differences.{fmt}": "/runs/2/downloads/differences",  # test_audit.py
    "/runs/{run_id}/municipalities/{municipality}/distance/downloads/{table}.{fmt}": "/runs/1/municipalities/851/distance/downloads/months",
}
"""Every download route, with a URL of it (without the format); the tests below read each (the
distance's, for a project leader: tests/test_web_scenarios.py)."""


@pytest.fixture(scope="module")
def alice(web_runs: WebRuns):
    with logged_in(web_runs.engine, "alice") as browser:
        yield browser


@pytest.fixture(scope="module")
def ref(web_runs: WebRuns) -> int:
    return citizen_of(web_runs.engine)[0]


def workbook_rows(response, sheet: str | None = None) -> list[tuple]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    page = book[sheet] if sheet else book.worksheets[0]
    assert page.freeze_panes == "A2"
    return list(page.iter_rows())


def csv_rows(response, delimiter: str = ";") -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the byte order mark, for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))


def test_every_download_route_is_read_here(web_runs: WebRuns):
    assert download_routes(create_app(web_runs.engine)) == set(DOWNLOADS)


def test_the_runs_as_excel_have_real_dates_and_numbers_with_danish_titles(alice):
    rows = workbook_rows(alice.get("/downloads/runs.xlsx"))
    assert [c.value for c in rows[0]] == [
        "kørsel",
        "program",
        "opgjort pr.",
        "kommuner",
        "status",
        "levering",
        "startet (UTC)",
        "afsluttet (UTC)",
        "borgere",
        "i målgruppen",
        "afgørelser",
    ]
    assert all(c.font.bold for c in rows[0])
    run2 = next(r for r in rows[1:] if r[0].value == 2)
    assert (
        run2[1].value == "Flere skal med 1"
        and run2[4].value == "færdig"
        and run2[3].value == "alle med tilskud"
    )
    assert (
        run2[2].is_date and run2[2].value == datetime(2019, 8, 31) and run2[2].number_format == "dd-mm-yyyy"
    )
    assert run2[6].is_date and run2[6].number_format == "dd-mm-yyyy hh:mm:ss"
    assert (run2[8].value, run2[9].value, run2[10].value) == (1525, 1220, 2748)
    assert run2[9].number_format == "[$-406]#,##0"
    english = workbook_rows(alice.get("/downloads/runs.xlsx", headers={"Accept-Language": "en"}))
    assert english[0][0].value == "run" and english[1][2].number_format == "yyyy-mm-dd"


def test_a_runs_municipalities_as_excel_and_csv(alice):
    rows = workbook_rows(alice.get("/runs/2/downloads/municipalities.xlsx"))
    titles = [c.value for c in rows[0]]
    assert (
        titles[:4] == ["kommune", "i målgruppen", "aktive", "tilskud"]
        and "rate 2: hvad der mangler" in titles
    )
    line = {title: cell for title, cell in zip(titles, rows[1], strict=True)}
    assert line["kommune"].value == "Aalborg (851)"
    assert line["tilskud"].value == 11749000 and line["tilskud"].number_format == MONEY
    assert line["rate 1 udløst"].value is True and line["rate 2 udløst"].value is False
    assert line["rate 3 dato"].value == datetime(2018, 6, 30)
    assert line["rate 2 beløb"].value == 4699600 and line["rate 2 beløb"].number_format == MONEY
    assert line["rate 2: hvad der mangler"].value == "10 ikke visiteret pr. 31-08-2019"
    danish = csv_rows(alice.get("/runs/2/downloads/municipalities.csv"))
    assert danish[0][:4] == ["kommune", "i målgruppen", "aktive", "tilskud"]
    assert danish[1][:4] == ["Aalborg (851)", "1.220", "969", "11.749.000,00"]
    plain = csv_rows(alice.get("/runs/2/downloads/municipalities.csv?sep=comma"), ",")
    assert plain[1][:4] == ["Aalborg (851)", "1220", "969", "11749000.00"] and "2018-06-30" in plain[1]


def test_a_municipalitys_rates_and_months(alice):
    base = "/runs/2/municipalities/851/downloads"
    rates = workbook_rows(alice.get(f"{base}/rates.xlsx"))
    assert [c.value for c in rates[0]] == ["rate", "udløst", "dato", "beløb", "hvad der mangler"]
    assert [r[0].value for r in rates[1:]] == [1, 2, 3]
    assert rates[2][3].value == 4699600 and rates[2][3].number_format == MONEY and rates[2][2].value is None
    assert (
        rates[3][2].value == datetime(2018, 6, 30) and rates[2][4].value == "10 ikke visiteret pr. 31-08-2019"
    )
    months = workbook_rows(alice.get(f"{base}/months.xlsx"))
    assert [c.value for c in months[0]] == [
        "måned",
        "indsatsgruppe",
        "i indsats",
        "andel",
        "opfylder kravet",
        "mangler",
    ]
    april = next(r for r in months[1:] if r[0].value == datetime(2018, 4, 1))
    assert april[0].number_format == MONTH and (april[1].value, april[2].value) == (473, 194)
    assert (
        april[3].number_format == SHARE and abs(april[3].value - 194 / 473) < 1e-9 and april[4].value is True
    )
    assert csv_rows(alice.get(f"{base}/months.csv"))[9] == ["april 2018", "473", "194", "41,0\xa0%", "ja", ""]
    assert csv_rows(alice.get(f"{base}/months.csv?sep=comma"), ",")[9] == [
        "2018-04",
        "473",
        "194",
        "0.4101",
        "true",
        "",
    ]


def test_the_members_download_has_every_member_the_filter_matches_masked_and_logged(alice, web_runs: WebRuns):
    rows = workbook_rows(alice.get(f"{MEMBERS}.xlsx?status=active&group=1&page=3&per_page=5"))
    assert [c.value for c in rows[0]] == [
        "borger",
        "stadig aktiv",
        "afgangsstatus",
        "visitationsgruppe",
        "holder rate 2 tilbage",
    ]
    assert len(rows) == 1 + 473  # every member the filter matches, not one page of it
    assert all(re.fullmatch(r"\d{6}-xxxx", r[0].value) for r in rows[1:])
    assert {r[3].value for r in rows[1:]} == {"Gruppe 1 – indsatsgruppen"} and {
        r[1].value for r in rows[1:]
    } == {True}
    exited = csv_rows(alice.get(f"{MEMBERS}.csv?status=foertidspension"))
    assert (
        len(exited) == 1 + 75
        and {r[2] for r in exited[1:]} == {"førtidspension"}
        and {r[1] for r in exited[1:]} == {"nej"}
    )
    waiting = csv_rows(alice.get(f"{MEMBERS}.csv?blocks_rate2=true"))
    assert (
        len(waiting) == 1 + 10
        and {r[4] for r in waiting[1:]} == {"ja"}
        and {r[3] for r in waiting[1:]} == {"Mangler visitation"}
    )
    with Session(web_runs.engine) as session:
        logged = session.scalars(select(AccessLog).where(AccessLog.action == "download members xlsx")).all()
    assert len({row.citizen_id for row in logged}) >= 473 and all(row.full_cpr is False for row in logged)
    assert all(CPR_IN_FULL.fullmatch(row.citizen_id) for row in logged)


def test_full_cpr_numbers_only_for_a_role_that_may_see_them(web_runs: WebRuns):
    with logged_in(web_runs.engine, "carol") as carol:
        rows = csv_rows(carol.get(f"{MEMBERS}.csv?blocks_rate2=true"))
    assert len(rows) == 11 and all(CPR_IN_FULL.fullmatch(r[0]) for r in rows[1:])
    with logged_in(web_runs.engine, "otto") as otto:  # an auditor of 101 only
        assert otto.get(f"{MEMBERS}.csv").status_code == 403
        assert csv_rows(otto.get("/runs/2/downloads/municipalities.csv")) == [
            csv_rows(otto.get("/runs/2/downloads/municipalities.csv"))[0]
        ]


def test_a_citizens_decisions_rule_by_rule(alice, ref: int, web_runs: WebRuns):
    rows = workbook_rows(alice.get(f"/runs/2/citizens/{ref}/downloads/rules.xlsx"))
    titles = [c.value for c in rows[0]]
    assert titles == [
        "afgørelse",
        "resultat",
        "afgjort pr.",
        "regel",
        "hvad reglen kontrollerer",
        "opfyldt",
        "fakta",
        "parametre",
        "kilde",
        "citat",
    ]
    first = rows[1]
    assert (
        first[0].value == "Tilhører kommunens bruttomålgruppe, fastlagt på skæringsdatoen"
        and first[1].value == "I MÅLGRUPPEN"
    )
    assert (
        first[2].value == datetime(2016, 12, 31)
        and first[3].value == "fsm1.resident"
        and first[5].value is True
    )
    assert "STAR har i december 2016 udsøgt digitalt" in first[9].value
    assert not any(CPR_IN_FULL.search(str(c.value)) for r in rows for c in r)
    with Session(web_runs.engine) as session:
        logged = session.scalars(select(AccessLog).where(AccessLog.action == "download decisions xlsx")).all()
    assert logged and logged[-1].citizen_id == citizen_of(web_runs.engine)[1]


def test_a_citizens_timeline_with_real_dates_as_the_chart_has_it(alice, ref: int, web_runs: WebRuns):
    page = alice.get(f"/runs/2/citizens/{ref}").text
    rows = workbook_rows(alice.get(f"/runs/2/citizens/{ref}/downloads/timeline.xlsx"))
    assert [c.value for c in rows[0]] == ["spor", "hvad", "fra", "til"]
    assert all(r[2].is_date and r[3].is_date and r[2].number_format == "dd-mm-yyyy" for r in rows[1:])
    shown = [(r[0].value, r[1].value, r[2].value.strftime("%d-%m-%Y")) for r in rows[1:]]
    assert all(f"<td>{lane}</td><td>{what}</td><td>{day}</td>" in page for lane, what, day in shown)
    assert alice.get("/runs/2/downloads/differences.xlsx").status_code == 404  # run 2 is not checked here
    with Session(web_runs.engine) as session:
        logged = session.scalars(select(AccessLog).where(AccessLog.action == "download timeline xlsx")).all()
    assert logged and logged[-1].citizen_id == citizen_of(web_runs.engine)[1]


def test_downloads_without_citizens_are_logged_naming_the_run(alice, web_runs: WebRuns):
    alice.get("/runs/2/municipalities/851/downloads/rates.csv")
    with Session(web_runs.engine) as session:
        row = session.scalars(select(AccessLog).where(AccessLog.action == "download rates csv")).all()[-1]
    assert (row.user, row.run_id, row.citizen_id, row.detail) == ("alice", 2, None, "municipality 851")


def test_file_names_are_in_the_readers_language(alice):
    disposition = alice.get(f"{MEMBERS}.xlsx?group=1").headers["content-disposition"]
    assert disposition.startswith('attachment; filename="k_rsel-2-851-borgere-i-m_lgruppen.xlsx"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "kørsel 2 851 borgere i målgruppen.xlsx"


def test_bad_downloads_are_refused(alice):
    assert alice.get("/runs/2/municipalities/851/downloads/everything.xlsx").status_code == 422
    assert alice.get("/runs/2/municipalities/851/downloads/rates.pdf").status_code == 422
    assert alice.get("/runs/2/municipalities/851/downloads/rates.csv?sep=tab").status_code == 422
    assert alice.get("/runs/99/downloads/municipalities.csv").status_code == 404
    with TestClient(create_app(alice.app.state.engine)) as nobody:
        assert nobody.get("/downloads/runs.xlsx", follow_redirects=False).status_code == 303


def test_the_access_log_downloads_as_excel_and_csv(web_runs: WebRuns, ref: int):
    number = citizen_of(web_runs.engine)[1]
    with logged_in(web_runs.engine, "petra") as petra:
        form = {"citizen_id": number, "csrf": csrf_of(petra.get("/privacy").text)}
        rows = workbook_rows(petra.post("/privacy", data={**form, "format": "xlsx"}))
        assert [c.value for c in rows[0]][:3] == ["hvornår (UTC)", "hvem", "hvad"]
        assert rows[1][0].is_date and rows[1][0].number_format == "dd-mm-yyyy hh:mm:ss"
        plain = csv_rows(petra.post("/privacy", data={**form, "format": "csv-comma"}), ",")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00:00", plain[1][0])


def test_libreoffice_opens_every_download_with_its_dates_numbers_and_letters(alice, ref: int, tmp_path: Path):
    """Each workbook converted to CSV as LibreOffice shows it (Danish formats applied), and each CSV
    for Danish Excel read by LibreOffice in the Danish locale into typed cells."""
    files = {
        "runs": "/downloads/runs",
        "municipalities": "/runs/2/downloads/municipalities",
        "rates": "/runs/2/municipalities/851/downloads/rates",
        "months": "/runs/2/municipalities/851/downloads/months",
        "members": f"{MEMBERS}?group=1",
        "rules": f"/runs/2/citizens/{ref}/downloads/rules",
        "diff": "/diff/downloads/citizens?first=1&second=2",
        "timeline": f"/runs/2/citizens/{ref}/downloads/timeline",
    }
    (tmp_path / "xlsx").mkdir()
    (tmp_path / "csv").mkdir()
    for name, url in files.items():
        path, _, query = url.partition("?")
        suffix = f"?{query}" if query else ""
        (tmp_path / "xlsx" / f"{name}.xlsx").write_bytes(alice.get(f"{path}.xlsx{suffix}").content)
        (tmp_path / "csv" / f"{name}.csv").write_bytes(alice.get(f"{path}.csv{suffix}").content)
    shown = tmp_path / "shown"
    libreoffice(sorted((tmp_path / "xlsx").iterdir()), CSV_EVERY_SHEET, shown, tmp_path)
    sheets = {p.name.split("-")[0]: p.read_text(encoding="utf-8") for p in shown.glob("*.csv")}
    assert set(sheets) == set(files)
    assert "31-08-2019" in sheets["runs"] and "kørsel;program;opgjort pr." in sheets["runs"]
    assert "Aalborg (851);1.220;969;11.749.000,00 kr." in sheets["municipalities"]
    assert "2;FALSE;;4.699.600,00 kr.;10 ikke visiteret pr. 31-08-2019" in sheets["rates"]
    assert "april 2018;473;194;41,0 %;TRUE;" in sheets["months"]
    assert "Gruppe 1 – indsatsgruppen" in sheets["members"] and "31-12-2016" in sheets["rules"]
    assert sheets["diff"].startswith("kommune;borger;afgørelse;før;efter;fejler nu;fordi")
    typed = tmp_path / "typed"
    libreoffice(sorted((tmp_path / "csv").iterdir()), "xlsx", typed, tmp_path, infilter=CSV_DANISH)
    read = {
        p.stem: list(load_workbook(p).worksheets[0].iter_rows(values_only=True)) for p in typed.glob("*.xlsx")
    }
    assert set(read) == set(files)
    assert read["runs"][0][:3] == ("kørsel", "program", "opgjort pr.")
    run2 = next(r for r in read["runs"][1:] if r[0] == 2)
    assert run2[2] == datetime(2019, 8, 31) and run2[8:] == (1525, 1220, 2748)
    assert read["municipalities"][1][:4] == ("Aalborg (851)", 1220, 969, 11749000)
    assert read["rates"][2][3] == 4699600 and read["rates"][3][2] == datetime(2018, 6, 30)
    april = next(r for r in read["months"] if r[0] == datetime(2018, 4, 1))
    assert april[1:3] == (473, 194) and abs(april[3] - 194 / 473) < 0.0005
    assert read["members"][1][3] == "Gruppe 1 – indsatsgruppen" and read["members"][0][1] == "stadig aktiv"
    assert read["rules"][1][2] == datetime(2016, 12, 31) and "udsøgt" in read["rules"][1][9]
    assert read["timeline"][0] == ("spor", "hvad", "fra", "til") and isinstance(
        read["timeline"][1][2], datetime
    )
    assert read["diff"][0][3:5] == ("før", "efter")  # runs 1 and 2 differ in no citizen: test_diff.py


def test_libreoffice_reads_the_run_export_for_danish_excel(alice, tmp_path: Path):
    path = tmp_path / "run-1.csv"
    path.write_bytes(alice.get("/api/runs/1/export?format=csv").content)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfk\xc3\xb8rsel;kommune;borger;")
    libreoffice(path, "xlsx", tmp_path / "typed", tmp_path, infilter=CSV_DANISH)
    rows = list(load_workbook(tmp_path / "typed" / "run-1.xlsx").worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 2748 and rows[0][:4] == ("kørsel", "kommune", "borger", "afgørelse")
    assert {r[0] for r in rows[1:]} == {1} and {r[7] for r in rows[1:] if r[3] == "fsm1.membership"} == {
        datetime(2016, 12, 31)
    }
    assert {r[6] for r in rows[1:] if r[3] == "fsm1.status"} == {"AKTIV", "UDGÅET"}
