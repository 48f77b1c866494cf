"""The project leaders' workbench in Chromium: the README's example scenario
(examples/scenarios/visitate-and-internships.yaml, on run 1) built through the builder's forms, no
script needed; the figures shown are those `fsm simulate --json` prints for the file; the result
downloaded as Excel and read back with openpyxl; the scenario downloaded as YAML gives the same
result to `fsm simulate`."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from engine.faces.i18n import Language, texts
from tests.e2e.conftest import log_in, screenshot
from tests.scenario_documents import without_places
from tests.simulations import on_run_1
from tests.test_simulate_api import cli

EXAMPLE = Path(__file__).parents[2] / "examples" / "scenarios" / "visitate-and-internships.yaml"
DA = texts(Language.da)


def add_change(page, op: str) -> None:
    page.select_option("select[name=new_op]", op)
    page.click("button[name=action][value=add]")


def test_the_readme_example_built_through_the_forms_shows_what_fsm_simulate_prints(
    page, aalborg_site: dict, tmp_path: Path
):
    scenario = on_run_1(EXAMPLE, tmp_path)
    printed = cli("simulate", scenario, "--json", database=aalborg_site["database"])
    assert printed.exit_code == 0, printed.output
    expected = json.loads(printed.stdout)

    log_in(page, "paula", start="/runs/1/municipalities/851")
    page.click("text=Et hvad-nu-hvis-scenarie")
    page.fill("input[name=title]", "visitate the rest by May, 25 internships from March")
    page.fill("input[name=base]", "1")
    page.fill("input[name=as_of]", "2019-07-31")
    add_change(page, "visitate")
    page.fill("input[name=c0-count]", "all")
    page.check("input[name=c0-only_active]")
    page.fill("input[name=c0-date]", "2018-05-31")
    page.select_option("select[name=c0-group]", "1")
    add_change(page, "add_activity")
    page.fill("input[name=c1-count]", "25")
    page.select_option("select[name=c1-activity]", "virksomhedspraktik")
    page.fill("input[name=c1-from]", "2018-03-01")
    page.fill("input[name=c1-days]", "90")
    page.click(".actions button[value=run]")
    shown = page.inner_text("main")
    screenshot(page, "workbench-readme-example", full_page=True)

    for rate in expected["scenario"]["rates"]:
        if rate["triggered"]:
            day, amount = DA.date(date.fromisoformat(rate["date"])), DA.money(Decimal(rate["amount"]))
            assert f"rate {rate['rate']} ville blive udløst den {day}: {amount}" in shown
    money = expected["money"]["total"]
    assert f"forskel: {DA.money(Decimal(money['difference']))}" in shown
    assert f"scenarie: {DA.money(Decimal(money['scenario']))}" in shown
    differing = len(expected["differences"])
    assert DA.ngettext("%(num)s decision differs.", "%(num)s decisions differ.", differing) in shown

    with page.expect_download() as excel:
        page.click("button[name=action][value=xlsx]")
    assert excel.value.suggested_filename == "scenario.xlsx"
    excel.value.save_as(tmp_path / "result.xlsx")
    book = load_workbook(tmp_path / "result.xlsx")
    rates = list(book["Rater"].iter_rows(values_only=True))
    for row, rate in zip(rates[1:], expected["money"]["rates"], strict=False):
        assert row[0] == rate["rate"] and Decimal(str(row[6])) == Decimal(rate["scenario"])
    assert Decimal(str(rates[-1][7])) == Decimal(money["difference"])
    assert len(list(book["Forskelle"].iter_rows())) - 1 == differing

    with page.expect_download() as written:
        page.click("button[name=action][value=yaml]")
    again = tmp_path / "downloaded.yaml"
    written.value.save_as(again)
    replayed = cli("simulate", again, "--json", database=aalborg_site["database"])
    assert replayed.exit_code == 0, replayed.output
    assert without_places(json.loads(replayed.stdout), str(again)) == without_places(expected, str(scenario))
