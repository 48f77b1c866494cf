"""The web UI on an FSM2 run (Herning-like, seed 003): the run page draws the ladder's two lines at the
values the run used and shows the grant-years warning; the members list filters FSM2's groups; a
participant's page shows eligibility on the day they joined and on the as-of date; replay is identical."""

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.input.importing import import_folder
from engine.runs import audit
from engine.runs.run import nightly_run
from engine.synthetic import herning, write_delivery
from models.runs import StoredDecision
from tests.conftest import add_web_users
from tests.test_web_pages import html
from tests.web import logged_in


@pytest.fixture
def herning_run(engine: Engine, tmp_path: Path) -> Engine:
    write_delivery(tmp_path / "delivery", [herning.municipality()])
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    nightly_run(engine, programme="fsm2", as_of=date(2021, 12, 31))
    add_web_users(engine)
    return engine


@pytest.fixture
def alice(herning_run: Engine) -> Iterator[TestClient]:
    with logged_in(herning_run, "alice") as client:
        yield client


def test_the_run_page_draws_the_ladders_two_lines_and_warns_of_the_grant_years(alice):
    page = html(alice, "/runs/1/municipalities/657")
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert "rate 2, første trin (40\xa0% af tilskuddet)" in chart and "rate 2, hele resten" in chart
    assert (
        "Advarsel: tilskuddets år giver tilsammen 2.235.073,00\xa0kr., ikke tilskuddet på 2.235.074,00\xa0kr. "
        "(forskel 1,00\xa0kr.)" in page
    )
    assert "1.117.537,00\xa0kr." in page


def test_the_members_list_filters_fsm2_groups_and_exits(alice):
    indsats = alice.get(
        "/api/runs/1/municipalities/657/members",
        params={"status": "active", "group": "indsats", "per_page": 500},
    ).json()
    assert indsats["total"] == 520 and {m["group"] for m in indsats["members"]} == {"indsats"}
    moved = alice.get("/api/runs/1/municipalities/657/members", params={"status": "fraflyttet"}).json()
    assert moved["total"] == 25


def test_a_participants_page_shows_eligibility_on_the_day_they_joined_and_today(alice, herning_run: Engine):
    with Session(herning_run) as session:
        ref = session.scalars(
            select(StoredDecision.id).where(
                StoredDecision.decision == "fsm2.eligibility", StoredDecision.day == date(2020, 1, 1)
            )
        ).first()
    page = html(alice, f"/runs/1/citizens/{ref}")
    assert page.count("<caption>Regel for regel: I kommunens målgruppe for FSM2 på en dag") == 2
    assert "DELTAGER" in page and "fsm2.status.stayed" in page


def test_an_fsm2_run_replays_identically(herning_run: Engine):
    found = audit.verify(herning_run, 1)
    assert found.identical and found.decisions > 1500
