"""FSM2 through the product: a Herning-like municipality imported, the nightly run, `fsm status --json`
(the shape of FSM1's), `fsm explain` with the parameters of each decision's own day, `fsm evaluate`,
and `fsm demo --programme fsm2` — on SQLite and PostgreSQL."""

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.importing import import_folder
from engine.rules.pack import get_pack
from engine.rules.programmes import evaluate_municipality
from engine.synthetic import herning, write_delivery
from models.runs import StoredDecision
from models.status import MunicipalityStatus

PLACE = herning.municipality()


@pytest.fixture
def imported(cli_env: Engine, tmp_path: Path) -> Engine:
    write_delivery(tmp_path / "delivery", [PLACE])
    import_folder(cli_env, tmp_path / "delivery", report_dir=tmp_path / "report")
    return cli_env


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_the_status_json_of_an_fsm2_run_has_fsm1s_shape_with_two_rates_the_counted_months_and_warnings(
    imported: Engine,
):
    invoke("run", "--programme", "fsm2", "--as-of", "2021-12-31", "--workers", "1")
    (document,) = json.loads(invoke("status", "--municipality", "657", "--json").output)
    assert set(document) == set(MunicipalityStatus.model_fields)
    assert (document["programme"], document["as_of"], document["grant"]) == (
        "fsm2",
        "2021-12-31",
        "2235074.00",
    )
    assert [(r["rate"], r["amount"]) for r in document["rates"]] == [(1, "1117537.00"), (2, "1117537.00")]
    assert document["grant_years"] == [
        {"year": 2019, "amount": "631215.00"},
        {"year": 2020, "amount": "858805.00"},
        {"year": 2021, "amount": "745053.00"},
    ]
    assert any("2,235,073.00 kr, not to the grant of 2,235,074.00 kr" in w for w in document["warnings"])
    assert document["months"][0]["month"] == "2019-12" and len(document["months"]) == 25
    assert set(document["visitation"]) == {"indsats", "rehab", "fritaget", "mangler"}
    assert set(document["exits"]) <= {"doed", "fraflyttet", "folkepension"}
    in_memory = evaluate_municipality(
        get_pack("fsm2"), PLACE.grant, PLACE.citizens, date(2021, 12, 31), grant_years=PLACE.grant_years
    )
    assert document == json.loads(in_memory.status.model_dump_json())


def test_explain_shows_eligibility_with_the_law_of_its_own_day_and_the_participation(imported: Engine):
    invoke("run", "--programme", "fsm2", "--as-of", "2021-12-31", "--workers", "1")
    with Session(imported) as session:
        citizen = session.scalars(
            select(StoredDecision.citizen_id).where(
                StoredDecision.decision == "fsm2.eligibility", StoredDecision.day == date(2019, 12, 1)
            )
        ).first()
    explained = invoke("explain", citizen, "--run", "1", "--show-cpr").output
    assert explained.count("In the municipality's FSM2 target group on a day") == 2
    assert "fsm2.status.stayed" in explained and "PARTICIPATES" in explained
    assert "eligible_support = kontanthjaelp, integrationsydelse" in explained  # in force on 2019-12-01
    assert "eligible_support = kontanthjaelp, overgangsydelse" in explained  # in force on 2021-12-31


def test_fsm_evaluate_decides_fsm2_membership_on_any_day(tmp_path: Path):
    citizen = tmp_path / "citizen.json"
    citizen.write_text(
        json.dumps(
            {
                "citizen_id": "150390-1234",
                "residence": [{"municipality": "657", "from": "2000-01-01", "to": None}],
                "support": [{"support": "integrationsydelse", "from": "2015-01-01", "to": None}],
                "match": [{"category": "aktivitetsparat", "from": "2015-01-01", "to": None}],
            }
        )
    )
    found = {}
    for day in ("2019-12-31", "2020-01-01", "2020-03-14"):
        result = invoke(
            "evaluate", str(citizen), "--programme", "fsm2", "--municipality", "657", "--as-of", day, "--json"
        )
        found[day] = json.loads(result.output)["failed_rules"]
    assert found == {
        "2019-12-31": ["fsm2.aged_30"],
        "2020-01-01": ["fsm2.aged_30", "fsm2.qualifying_support"],
        "2020-03-14": ["fsm2.aged_30", "fsm2.qualifying_support"],
    }


def test_the_fsm2_demo_imports_runs_and_prints_herning(cli_env: Engine):
    output = invoke("demo", "--programme", "fsm2", "--workers", "1").output.replace("\xa0", " ")
    assert "Municipality Herning (657) — Flere skal med 2, as of 31 December 2021" in " ".join(output.split())
    assert "grant by year: 2019: DKK 631,215.00, 2020: DKK 858,805.00, 2021: DKK 745,053.00" in " ".join(
        output.split()
    )
