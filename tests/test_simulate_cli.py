"""`fsm simulate` and `fsm forecast` on a real database (SQLite and PostgreSQL) and on a delivery
folder: the baseline is the run's own status, the real data and the runs are untouched, mistakes
exit 2 with every line named, and the example scenarios work against the demo data."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.cli import common as cli_app
from engine.faces.simulate.base import read_only
from engine.input.importing import import_folder
from engine.runs.run import nightly_run
from engine.synthetic import write_delivery
from engine.synthetic.aalborg import municipality
from models.database import make_engine, upgrade
from models.db import Delivery
from tests.simulations import fingerprint

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples" / "scenarios"
RUN_AS_OF = date(2018, 3, 2)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_app.console, "width", 200)


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def write(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


SCENARIO = """municipality: "851"
title: visitate the rest before the status date
changes:
  - op: visitate
    count: all
    only_active: true
    date: 2018-03-01
    group: udskudt
  - op: exit
    count: 2
    date: 2018-02-01
    reason: selvforsoergende
"""


def test_simulate_evaluates_the_runs_data_its_baseline_is_the_runs_status_and_it_writes_nothing(
    small: Engine, tmp_path: Path
):
    before = fingerprint(small)
    status = json.loads(invoke("status", "--municipality", "851", "--json").stdout)[0]
    scenario = write(tmp_path / "scenario.yaml", SCENARIO)
    result = invoke(
        "simulate", scenario, "--json", "--xlsx", tmp_path / "out.xlsx", "--chart", tmp_path / "out.svg"
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["baseline"] == status  # as of the run's own date, the baseline is the run's status
    assert shown["simulation"]["base"] == {"run": 1, "delivery": 1, "run_as_of": "2018-03-02"}
    rate2 = next(r for r in shown["scenario"]["rates"] if r["rate"] == 2)
    assert (status["rates"][1]["triggered"], rate2["triggered"], rate2["date"]) == (False, True, "2018-03-01")
    assert shown["money"]["rates"][1]["difference"] == f"{status['rates'][1]['amount']}"
    assert (
        shown["scenario"]["exits"].get("arbejde_uddannelse", 0)
        == status["exits"].get("arbejde_uddannelse", 0) + 2
    )
    assert "wrote" in result.stderr and (tmp_path / "out.svg").read_bytes().startswith(b"<?xml")
    assert load_workbook(tmp_path / "out.xlsx").sheetnames == [
        "Rates",
        "Months",
        "Differences",
        "Changes",
        "Assumptions",
    ]
    again = invoke("simulate", scenario, "--json")
    assert again.stdout == result.stdout
    assert invoke("forecast", "--municipality", "851", "--json").exit_code == 0
    assert invoke("simulate", scenario).exit_code == 0
    assert fingerprint(small) == before


def test_the_base_can_be_a_run_id_and_a_missing_run_is_an_error_naming_the_line(
    small: Engine, tmp_path: Path
):
    latest = json.loads(invoke("simulate", write(tmp_path / "a.yaml", SCENARIO), "--json").stdout)
    by_id = json.loads(
        invoke("simulate", write(tmp_path / "b.yaml", SCENARIO + "base: 1\n"), "--json").stdout
    )
    assert by_id["scenario"] == latest["scenario"] and by_id["differences"] == latest["differences"]
    missing = invoke("simulate", write(tmp_path / "c.yaml", SCENARIO + "base: 7\n"))
    assert missing.exit_code == 2 and missing.stdout == ""
    assert missing.stderr == f"error: {tmp_path / 'c.yaml'}, line 13, base: there is no run 7\n"


def test_a_scenario_with_mistakes_exits_2_naming_every_line_without_a_traceback(
    small: Engine, tmp_path: Path
):
    body = SCENARIO.replace("count: all", "count: al").replace("reason: selvforsoergende", "reason: left")
    result = invoke("simulate", write(tmp_path / "bad.yaml", body), "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'bad.yaml'}, line 5, changes[0].count: must be a whole number of at least 1, 'all', "
        "or a percentage such as '25%' (found 'al')",
        f"error: {tmp_path / 'bad.yaml'}, line 12, changes[1].reason: must be one of doed, fraflyttet, "
        "ingen_registrering or a support code (kontanthjaelp, uddannelseshjaelp, integrationsydelse, "
        "overgangsydelse, sygedagpenge, ressourceforloeb, jobafklaring, revalidering, ledighedsydelse, fleksjob, "
        "dagpenge, foertidspension, folkepension, selvforsoergende, ikke_berettiget) (found 'left')",
    ]
    wrong_chart = invoke("simulate", write(tmp_path / "ok.yaml", SCENARIO), "--chart", tmp_path / "chart.pdf")
    assert wrong_chart.exit_code == 2 and "must end in .png or .svg" in wrong_chart.stderr


def test_the_database_refuses_writes_in_a_simulations_session(engine: Engine):
    with read_only(engine) as session, pytest.raises(DBAPIError):
        session.execute(
            Delivery.__table__.insert().values(
                imported_at=datetime(2018, 1, 1, tzinfo=UTC), source="x", checksum="y", citizens=0
            )
        )
    with engine.begin() as connection:  # and the connection is writable again afterwards
        connection.execute(text("create table written_after (x integer)"))


def test_forecast_projects_to_the_project_end_and_states_its_assumption(small: Engine):
    result = invoke("forecast", "--municipality", "851", "--json", "--trend-months", "2")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["simulation"]["as_of"] == "2019-08-31" and shown["scenario"]["as_of"] == "2019-08-31"
    forecast = shown["forecast"]
    assert forecast["from"] == "2018-03-02" and forecast["window"]["weeks"] == 8
    assert len(forecast["trend"]["months"]) == 2
    assert forecast["assumption"].startswith("Forecast from 2 March 2018 to 31 August 2019. Visitation: ")
    assert [line.split(" would")[0] for line in forecast["outlook"]] == ["rate 1", "rate 2", "rate 3"]
    text_ = invoke("forecast", "--municipality", "851", "--until", "2018-06-30")
    assert text_.exit_code == 0 and "Assumption" in text_.stdout and "rate 2 would" in text_.stdout
    assert invoke("forecast", "--municipality", "999").exit_code == 2


def test_a_delivery_folder_is_simulated_with_no_database_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    nowhere = tmp_path / "nothing-here.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{nowhere}")
    scenario = write(
        tmp_path / "s.yaml",
        f"municipality: '851'\nbase: {ROOT / 'examples' / 'delivery'}\nas_of: 2018-03-02\nchanges: []\n",
    )
    refused = invoke("simulate", scenario)
    assert (
        refused.exit_code == 2
        and "line 4, changes: no changes, and a delivery folder has no as-of date" in refused.stderr
    )
    result = invoke("simulate", EXAMPLES / "example-delivery.yaml", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (
        shown["simulation"]["base"]["folder"] == str(ROOT / "examples" / "delivery")
        and shown["baseline"]["members"] == 12
    )
    latest = invoke("simulate", write(tmp_path / "latest.yaml", SCENARIO))
    assert latest.exit_code == 2 and "there is no database" in latest.stderr
    assert not nowhere.exists()


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What `./dev demo` builds: Aalborg 851 run as of 2018-03-02, in an SQLite file (its URL)."""
    folder = tmp_path_factory.mktemp("demo")
    engine = make_engine(f"sqlite:///{folder / 'fsm.sqlite'}")
    upgrade(engine)
    write_delivery(folder / "delivery", [municipality("851")])
    import_folder(engine, folder / "delivery", report_dir=folder / "report")
    nightly_run(engine, as_of=RUN_AS_OF)
    engine.dispose()
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_scenario_works_against_the_demo_data(
    demo_database: str, example: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DATABASE_URL", demo_database)
    result = invoke("simulate", example, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["differences"], "an example should show something"
    assert shown["baseline"]["municipality"] == shown["scenario"]["municipality"] == "851"
