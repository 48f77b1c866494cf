"""The workbench's pages: the distance to each rate with its downloads, the scenario builder (rows
added and removed, run side by side, problems beside their fields, Excel and YAML downloads, a YAML
file uploaded), saved scenarios (saved, listed, shared by link, copied, deleted by their owner only)
and the forecast; each for a project leader of the municipality only (another's is not there: 404),
CPR numbers masked, every citizen shown logged."""

import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.faces.users import add_user
from models.access import AccessLog
from tests.conftest import SAVED, SAVED_KEY, WebRuns
from tests.scenario_documents import without_places
from tests.test_simulate_api import cli
from tests.web import client as web_client
from tests.web import csrf_of, logged_in, login, submit

ROOT = Path(__file__).parent.parent
BUILDER = "/municipalities/851/scenario"
DISTANCE = "/runs/1/municipalities/851/distance"
CPR_IN_FULL = re.compile(r"\b\d{6}-\d{4}\b")
VISITATE = {
    "c0-op": "visitate",
    "c0-count": "all",
    "c0-only_active": "true",
    "c0-date": "2018-05-31",
    "c0-group": "1",
}


@pytest.fixture(scope="module")
def paula(web_runs: WebRuns) -> Iterator[TestClient]:
    with logged_in(web_runs.engine, "paula") as browser:
        yield browser


@pytest.fixture(scope="module")
def pernille(web_runs: WebRuns) -> Iterator[TestClient]:
    """Another project leader of Aalborg."""
    with Session(web_runs.engine) as session, session.begin():
        add_user(session, "pernille", "project_leader", "Harbour-Kettle-85", ["851"])
    with web_client(web_runs.engine) as browser:
        assert login(browser, "pernille", "Harbour-Kettle-85").status_code == 303
        yield browser


def form(browser: TestClient, **fields: str) -> dict[str, str]:
    """The builder's fields with the page's CSRF token, the run's base and these."""
    token = csrf_of(browser.get(BUILDER).text)
    return {"csrf": token, "programme": "fsm1", "base": "1", "as_of": "2019-07-31", **fields}


def log_rows(web_runs: WebRuns, action: str) -> list[AccessLog]:
    with Session(web_runs.engine) as session:
        return list(session.scalars(select(AccessLog).where(AccessLog.action == action)))


def test_the_distance_page_lists_who_rate_2_waits_for_masked_and_the_months_ahead(paula, web_runs: WebRuns):
    page = paula.get(DISTANCE)
    assert page.status_code == 200
    assert (
        "Rate 2: 10 borgere i målgruppen mangler stadig at blive visiteret, senest 31. august 2019"
        in page.text
    )
    assert not CPR_IN_FULL.search(page.text) and page.text.count("-xxxx") >= 10
    assert "3.524.700,00\xa0kr." in page.text and "stadig muligt" in page.text
    assert f"{DISTANCE}/downloads/waiting.xlsx" in page.text and f"{DISTANCE}/downloads/idle.csv" in page.text
    later = paula.get(f"{DISTANCE}?as_of=2019-08-31")
    assert "opgjort pr. 31. august 2019" in later.text and "Rate 2: 10 borgere" in later.text
    assert any(r.detail == "municipality 851" and r.citizen_id for r in log_rows(web_runs, "distance page"))


def test_the_distance_downloads_are_every_row_typed_and_masked(paula, web_runs: WebRuns):
    months = load_workbook(io.BytesIO(paula.get(f"{DISTANCE}/downloads/months.xlsx").content)).worksheets[0]
    rows = list(months.iter_rows(values_only=True))
    assert (
        rows[0][:3] == ("måned", "indsatsgruppe", "i indsats") and len(rows) == 19
    )  # March 2018 to August 2019
    assert rows[1][1:4] == (473, 174, 16)
    waiting = paula.get(f"{DISTANCE}/downloads/waiting.csv?sep=comma").content.decode("utf-8-sig")
    lines = waiting.strip().splitlines()
    assert lines[0] == "borger,status,gruppe" and len(lines) == 11
    assert all(line.split(",")[0].endswith("-xxxx") for line in lines[1:])
    logged = log_rows(web_runs, "download distance waiting csv")
    assert len({r.citizen_id for r in logged}) == 10


@pytest.mark.parametrize(
    "url", [DISTANCE, f"{DISTANCE}/downloads/waiting.xlsx", "/runs/1/municipalities/851/forecast", BUILDER]
)
def test_another_municipalitys_workbench_is_not_there_for_a_project_leader_and_an_auditor_may_not(
    web_runs: WebRuns, url
):
    with logged_in(web_runs.engine, "pia") as pia:
        refused = pia.get(url)
    assert refused.status_code == 404
    assert "der er ingen kommune 851, du må arbejde med" in refused.text
    with logged_in(web_runs.engine, "alice") as alice:
        assert alice.get(url).status_code == 403


def test_rows_are_added_and_removed_and_a_run_shows_baseline_and_scenario_side_by_side(paula):
    added = paula.post(BUILDER, data=form(paula, action="add", new_op="add_activity"))
    assert added.status_code == 200 and 'name="c0-op" value="add_activity"' in added.text
    removed = paula.post(BUILDER, data=form(paula, action="remove-0", **{"c0-op": "add_activity"}))
    assert 'name="c0-op"' not in removed.text
    ran = paula.post(BUILDER, data=form(paula, action="run", **VISITATE))
    assert ran.status_code == 200
    assert "rate 2 ville blive udløst den 31. maj 2018: 4.699.600,00\xa0kr." in ran.text
    assert "forskel: 4.699.600,00\xa0kr." in ran.text and "<svg" in ran.text
    assert "changes[0] (visitate)" in ran.text and not CPR_IN_FULL.search(ran.text)


def test_a_problem_is_shown_beside_its_field_with_the_scenario_files_words(paula):
    wrong = paula.post(BUILDER, data=form(paula, action="run", **{**VISITATE, "c0-date": "2030-01-01"}))
    assert wrong.status_code == 422
    field = re.search(r'<input id="f-c0-date"[^>]*>', wrong.text)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert (
        "01-01-2030 ligger uden for projektperioden 01-08-2017 til 31-08-2019" in wrong.text
    )  # the checks' words
    english = paula.post(
        BUILDER,
        data=form(paula, action="run", **{**VISITATE, "c0-date": "2030-01-01"}),
        headers={"Accept-Language": "en"},
    )
    assert "2030-01-01 is outside the project period 2017-08-01 to 2019-08-31" in english.text
    assert 'role="alert"' in wrong.text


WRONG_KINDS = {
    "as_of": "tomorrow",
    **{**VISITATE, "c0-count": "many"},
    **{"c1-op": "add_activity", "c1-count": "2", "c1-activity": "praktik", "c1-from": "2018-03-01"},
    **{"c1-days": "-1", "c2-op": "visitate", "c2-count": "1", "c2-date": "2018-05-31"},
}
"""A form with values of the wrong kind: a date `tomorrow`, a count `many`, an unknown activity, a
negative number of days and a visitation without its group."""
PYDANTIC = ("Input should", "Field required", "String should", "valid integer", "greater than", "Value error")


def test_values_of_the_wrong_kind_are_told_in_danish_beside_their_fields(paula):
    wrong = paula.post(BUILDER, data=form(paula, action="run", **WRONG_KINDS))
    assert wrong.status_code == 422
    text = html.unescape(wrong.text)
    for danish in (
        "skal være en dato skrevet år-måned-dag, fx 2018-03-01 (fundet 'tomorrow')",
        "skal være et helt tal på mindst 1, 'all' eller en procentdel som '25%' (fundet 'many')",
        "skal være en af koderne virksomhedspraktik, loentilskud, ordinaere_timer, fleksjob, "
        "ordinaer_uddannelse, vejledning, mentor, opkvalificering (fundet 'praktik')",
        "skal være mindst 1 (fundet '-1')",
        "mangler og skal angives",
    ):
        assert danish in text
    for field in ("as_of", "c0-count", "c1-activity", "c1-days", "c2-group"):
        found = re.search(rf'<(input|select) id="f-{field}"[^>]*>', wrong.text)
        assert found and 'aria-invalid="true"' in found.group(0), field
    assert not any(english in text for english in (*PYDANTIC, "must be", "is missing"))
    english = paula.post(
        BUILDER, data=form(paula, action="run", **WRONG_KINDS), headers={"Accept-Language": "en"}
    )
    assert "must be at least 1 (found &#39;-1&#39;)" in english.text
    assert not any(words in html.unescape(english.text) for words in PYDANTIC)


def test_the_api_tells_values_of_the_wrong_kind_in_english_as_fsm_simulate_prints_them(paula):
    document = {
        "municipality": "851",
        "base": 1,
        "as_of": "tomorrow",
        "changes": [
            {"op": "add_activity", "count": 2, "activity": "praktik", "from": "2018-03-01", "days": -1},
            {"op": "visitate", "count": 1, "date": "2018-05-31"},
        ],
    }
    answered = paula.post("/api/simulations", json=document, headers={"Accept-Language": "da"})
    assert answered.status_code == 422
    assert [(p["change"], p["field"], p["message"]) for p in answered.json()["problems"]] == [
        (None, "as_of", "must be a date written year-month-day, such as 2018-03-01 (found 'tomorrow')"),
        (
            0,
            "activity",
            "must be one of the codes virksomhedspraktik, loentilskud, ordinaere_timer, fleksjob, "
            "ordinaer_uddannelse, vejledning, mentor, opkvalificering (found 'praktik')",
        ),
        (0, "days", "must be at least 1 (found -1)"),
        (1, "group", "is missing and must be given"),
    ]


def test_the_yaml_download_run_by_fsm_simulate_gives_what_the_page_and_the_api_give(
    paula, web_runs: WebRuns, tmp_path: Path
):
    fields = form(paula, **VISITATE, title="resten i maj")
    written = paula.post(BUILDER, data={**fields, "action": "yaml"})
    assert written.status_code == 200 and written.headers["content-type"].startswith("application/yaml")
    assert "count: all" in written.text and "group: '1'" in written.text
    path = tmp_path / "scenario.yaml"
    path.write_bytes(written.content)
    printed = cli("simulate", path, "--json", database=web_runs.engine)
    assert printed.exit_code == 0, printed.output
    document = {
        "title": "resten i maj",
        "municipality": "851",
        "base": 1,
        "as_of": "2019-07-31",
        "changes": [
            {"op": "visitate", "count": "all", "only_active": True, "date": "2018-05-31", "group": "1"}
        ],
    }
    answered = paula.post("/api/simulations", json=document).json()
    assert without_places(answered, "scenario") == without_places(json.loads(printed.stdout), str(path))


def test_the_result_as_excel_has_the_simulations_sheets(paula, web_runs: WebRuns):
    before = len(log_rows(web_runs, "scenario xlsx"))
    book = paula.post(BUILDER, data=form(paula, action="xlsx", **VISITATE))
    sheets = load_workbook(io.BytesIO(book.content))
    assert sheets.sheetnames[:2] == ["Rater", "Måneder"]
    rate2 = list(sheets["Rater"].iter_rows(values_only=True))[2]
    assert rate2[0] == 2 and rate2[4] is True and rate2[7] == 4699600
    assert len(log_rows(web_runs, "scenario xlsx")) > before


def test_an_uploaded_yaml_fills_the_form_and_a_broken_one_says_where(paula):
    token = csrf_of(paula.get(BUILDER).text)
    example = (ROOT / "examples" / "scenarios" / "visitate-and-internships.yaml").read_bytes()
    filled = paula.post(f"{BUILDER}/upload", data={"csrf": token}, files={"file": ("x.yaml", example)})
    assert filled.status_code == 200
    assert (
        'name="c1-op" value="add_activity"' in filled.text
        and 'name="c1-count" type="text" value="25"' in filled.text
    )
    broken = paula.post(
        f"{BUILDER}/upload", data={"csrf": token}, files={"file": ("x.yaml", b"changes: [\n")}
    )
    assert broken.status_code == 422 and "line" in broken.text


def test_a_form_without_the_pages_token_is_refused(paula):
    assert paula.post(BUILDER, data={**form(paula, **VISITATE), "csrf": "forged"}).status_code == 403


def test_a_saved_scenario_is_listed_shared_by_link_copied_and_changed_by_its_owner_only(paula, pernille):
    saved = paula.post(
        BUILDER, data=form(paula, action="save", title="gemt af paula", **VISITATE), follow_redirects=False
    )
    assert saved.status_code == 303
    link = saved.headers["location"]
    assert "gemt af paula" in paula.get("/scenarios").text
    assert pernille.get(link).status_code == 404  # not shared
    token = csrf_of(paula.get(link).text)
    assert paula.post(f"{link}/share", data={"csrf": token}).status_code == 200
    opened = pernille.get(link)
    assert opened.status_code == 200 and 'value="gemt af paula"' in opened.text
    mine = csrf_of(opened.text)
    assert pernille.post(f"{link}/delete", data={"csrf": mine}).status_code == 403
    copied = pernille.post(f"{link}/copy", data={"csrf": mine}, follow_redirects=False)
    assert copied.status_code == 303 and copied.headers["location"] != link
    assert "Gemt af pernille" in pernille.get(copied.headers["location"]).text
    assert paula.post(f"{link}/delete", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert paula.get(link).status_code == 404


def test_the_shared_example_opens_filled_in_and_runs_from_the_form(paula):
    opened = paula.get(f"/scenarios/{SAVED_KEY}")
    assert f'value="{SAVED["title"]}"' in opened.text and 'name="c1-op" value="add_activity"' in opened.text
    ran = submit(paula, f"/scenarios/{SAVED_KEY}", {"title": SAVED["title"]})
    assert ran.status_code == 200 and "rate 2 ville blive udløst den 31. maj 2018" in ran.text


def test_the_forecast_page_says_its_assumption_in_words(paula, web_runs: WebRuns):
    page = paula.get("/runs/1/municipalities/851/forecast")
    assert page.status_code == 200
    assert "Prognose fra 2. marts 2018 til 31. august 2019." in page.text
    assert "rate 2 ville blive udløst den 5. marts 2018" in page.text
    assert log_rows(web_runs, "forecast page")
