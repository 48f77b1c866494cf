"""Diffs miss nothing (issue 16, point 2; issue 14, point 1): a municipality-level summary first —
members, exits, visitation, each rate's date and amount, each month — with why; then the citizens, a
page at a time; runs of different programmes refused unless asked for; other as-of dates and
deliveries said first; computed once per pair and stored. On SQLite and PostgreSQL."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.importing import import_folder
from engine.runs import diff as diffs
from engine.runs import results
from engine.runs.run import nightly_run
from engine.synthetic import Municipality, aalborg, herning, write_delivery
from engine.words import worded
from models.access import AccessLog
from models.domain import ActivityPeriod, SupportPeriod
from models.runs import DiffChange, RunDiff, StoredDecision
from tests.conftest import WebRuns, add_web_users
from tests.fsm2_timelines import GRANT as FSM2_GRANT
from tests.fsm2_timelines import participant
from tests.web import logged_in

SMALL = aalborg.municipality("851", 30)


def deliver(engine: Engine, folder: Path, places: list[Municipality]) -> None:
    write_delivery(folder / "delivery", places)
    import_folder(engine, folder / "delivery", report_dir=folder / "report")


def compared(engine: Engine, first: int, second: int, **options: bool) -> diffs.Diff:
    with Session(engine) as session:
        return diffs.compare(
            session, results.get_run(session, first), results.get_run(session, second), **options
        )


def only(found: diffs.Diff, code: str) -> dict:
    (entry,) = [m for m in found.summary["municipalities"] if m["code"] == code]
    return worded(entry)


def test_a_raised_grant_changes_every_rate_s_amount_and_says_why(engine: Engine, tmp_path: Path):
    grant = SMALL.grant.model_copy(update={"amount": Decimal("1000000")})
    deliver(engine, tmp_path / "1", [Municipality("851", grant, SMALL.citizens)])
    nightly_run(engine, as_of=date(2019, 8, 31))
    raised = grant.model_copy(update={"amount": Decimal("2000000")})
    deliver(engine, tmp_path / "2", [Municipality("851", raised, SMALL.citizens[:1])])
    nightly_run(engine, as_of=date(2019, 8, 31))
    found = compared(engine, 1, 2)
    entry = only(found, "851")
    assert entry["figures"] == [{"what": "grant", "before": "1000000.00", "after": "2000000.00"}]
    assert [(r["rate"], r["before"]["amount"], r["after"]["amount"]) for r in entry["rates"]] == [
        (1, "300000.00", "600000.00"),
        (2, "400000.00", "800000.00"),
        (3, "300000.00", "600000.00"),
    ]
    assert all(r["why"][0] == "the grant: 1000000.00 → 2000000.00 kr" for r in entry["rates"])
    assert found.total == 0 and worded(found.summary["runs"]["notes"]) == [
        "run 1 read the data as known after delivery 1, run 2 after delivery 2"
    ]


def fsm2_place(counted: int) -> Municipality:
    """20 participants in indsats; `counted` of them in ordinary hours in January 2020."""
    hours = [ActivityPeriod(activity="ordinaere_timer", start=date(2020, 1, 6), end=date(2020, 1, 10))]
    citizens = [
        participant(citizen_id=f"p{i:02d}").model_copy(
            update={"activities": tuple(hours) if i < counted else ()}
        )
        for i in range(20)
    ]
    return Municipality(FSM2_GRANT.municipality, FSM2_GRANT, citizens)


def test_an_fsm2_rate_2_falling_a_step_on_the_same_trigger_date_is_listed(engine: Engine, tmp_path: Path):
    deliver(engine, tmp_path / "1", [fsm2_place(4)])  # 20 %: the whole rest
    nightly_run(engine, programme="fsm2", as_of=date(2020, 3, 31))
    fewer = fsm2_place(3)  # 15 %: the first step only
    deliver(engine, tmp_path / "2", [Municipality(fewer.code, fewer.grant, fewer.citizens[3:4])])
    nightly_run(engine, programme="fsm2", as_of=date(2020, 3, 31))
    entry = only(compared(engine, 1, 2), "657")
    (rate,) = entry["rates"]
    assert (rate["rate"], rate["before"], rate["after"]) == (
        2,
        {"triggered": True, "date": "2020-01-31", "amount": "1117537.00"},
        {"triggered": True, "date": "2020-01-31", "amount": "894029.60"},
    )
    assert "fsm2.rate2.full_step reached in no month" in " ".join(rate["why"])
    assert "months whose qualification changed" not in " ".join(rate["why"])  # 2020-01 still qualifies
    (month,) = entry["months"]
    assert (month["month"], month["before"]["in_activity"], month["after"]["in_activity"]) == (
        "2020-01",
        4,
        3,
    )
    assert month["why"] == "share 20.0 % → 15.0 %"


def test_a_later_as_of_date_adds_months_and_says_so(engine: Engine, tmp_path: Path):
    deliver(engine, tmp_path, [SMALL])
    for day in (date(2018, 3, 2), date(2018, 6, 1)):
        nightly_run(engine, as_of=day)
    found = compared(engine, 1, 2)
    assert worded(found.summary["runs"]["notes"]) == [
        "run 1 is as of 2018-03-02, run 2 as of 2018-06-01: decisions may change with the date alone"
    ]
    entry = only(found, "851")
    (rate3,) = [r for r in entry["rates"] if r["rate"] == 3]  # still not triggered, but further on
    assert rate3["before"] == rate3["after"] and rate3["before"]["triggered"] is False
    assert rate3["why"][0].startswith("what held it back: ") and "months short" in rate3["why"][0]
    assert "months whose qualification changed" in rate3["why"][1] or len(rate3["why"]) == 1
    months = entry["months"]
    assert [(m["month"], m["before"], m["why"]) for m in months] == [
        (month, None, "looked at by run 2 only (as of 2018-06-01: a month counts once it has ended)")
        for month in ("2018-03", "2018-04", "2018-05")
    ]


@pytest.fixture
def two_programmes(cli_env: Engine, tmp_path: Path) -> Engine:
    place = herning.municipality()
    deliver(cli_env, tmp_path, [SMALL, Municipality(place.code, place.grant, place.citizens[:50])])
    nightly_run(cli_env, as_of=date(2019, 8, 31))
    nightly_run(cli_env, programme="fsm2", as_of=date(2020, 6, 30))
    return cli_env


def test_runs_of_different_programmes_are_refused_unless_asked_for(two_programmes: Engine):
    add_web_users(two_programmes)
    refused = CliRunner().invoke(app, ["diff", "1", "2"])
    assert refused.exit_code == 2
    assert refused.output.startswith("error: run 1 is fsm1, run 2 is fsm2: runs of different programmes")
    asked = CliRunner().invoke(app, ["diff", "1", "2", "--cross-programme", "--json"])
    assert asked.exit_code == 0, asked.output
    document = json.loads(asked.output)
    assert document["runs"]["notes"][0].startswith("the runs are of different programmes (fsm1, fsm2)")
    assert document["total"] > 0
    with logged_in(two_programmes, "alice") as client:
        response = client.get("/api/diff?first=1&second=2")
        assert response.status_code == 400 and "different programmes" in response.json()["detail"]
        assert client.get("/diff?first=1&second=2").status_code == 400
        assert (
            client.get("/api/diff?first=1&second=2&cross_programme=true").json()["total"] == document["total"]
        )


def retired_later(engine: Engine, folder: Path, count: int) -> list[str]:
    """Delivery 2: `count` active members went on førtidspension from 2019-01-01; their ids."""
    run = StoredDecision
    with Session(engine) as session:
        active = session.scalars(
            select(run.citizen_id)
            .where(run.run_id == 1, run.decision == "fsm1.status", run.outcome.is_(True))
            .order_by(run.citizen_id)
            .limit(count)
        ).all()
    people = [c for c in SMALL.citizens if c.citizen_id in active]
    retired = [
        c.model_copy(
            update={
                "support": (
                    SupportPeriod(support="kontanthjaelp", start=date(2010, 1, 1), end=date(2018, 12, 31)),
                    SupportPeriod(support="foertidspension", start=date(2019, 1, 1), end=None),
                )
            }
        )
        for c in people
    ]
    deliver(engine, folder, [Municipality("851", SMALL.grant, retired)])
    return sorted(active)


@pytest.fixture
def retirements(cli_env: Engine, tmp_path: Path) -> Engine:
    deliver(cli_env, tmp_path / "1", [SMALL])
    nightly_run(cli_env, as_of=date(2019, 8, 31))
    retired_later(cli_env, tmp_path / "2", 5)
    nightly_run(cli_env, as_of=date(2019, 8, 31))
    return cli_env


def test_a_diff_is_computed_once_and_stored(retirements: Engine, monkeypatch: pytest.MonkeyPatch):
    first = compared(retirements, 1, 2)
    monkeypatch.setattr(diffs, "_computed", lambda *args: pytest.fail("computed again"))
    assert compared(retirements, 1, 2) == first
    with Session(retirements) as session:
        assert session.scalar(select(func.count()).select_from(RunDiff)) == 1
        assert session.scalar(select(func.count()).select_from(DiffChange)) == first.total == 5


def test_a_diff_stored_by_another_release_is_computed_again(retirements: Engine):
    first = compared(retirements, 1, 2)
    with Session(retirements) as session, session.begin():
        stored = session.get(RunDiff, (1, 2))
        stored.summary = {**stored.summary, "version": 0, "citizen_changes": 99}
    again = compared(retirements, 1, 2)
    assert again == first and again.summary["version"] == diffs.VERSION


def naive_changes(engine: Engine, first: int, second: int) -> list[tuple[str, str, str, str, str]]:
    """The reference: every citizen decision of both runs in memory, the latest day's per key."""

    def latest(run_id: int) -> dict:
        with Session(engine) as session:
            rows = session.scalars(
                select(StoredDecision)
                .where(StoredDecision.run_id == run_id, StoredDecision.citizen_id.is_not(None))
                .order_by(StoredDecision.day)
            )
            return {(r.municipality, r.citizen_id, r.decision): (r.outcome, r.value, r.group) for r in rows}

    before, after = latest(first), latest(second)
    return sorted(
        (m, d, c, str(before.get((m, c, d))), str(after.get((m, c, d))))
        for m, c, d in before.keys() | after.keys()
        if before.get((m, c, d)) != after.get((m, c, d))
    )


def test_the_citizens_changes_are_those_a_naive_comparison_finds(retirements: Engine):
    found = compared(retirements, 1, 2)
    with Session(retirements) as session:
        stored = diffs.changes(session, found, limit=10_000)
    assert len(stored) == found.total == 5
    assert [c.subject for c in stored] == sorted(c.subject for c in stored)
    assert [(c.municipality, c.decision, c.subject) for c in stored] == [
        (m, d, c) for m, d, c, *_ in naive_changes(retirements, 1, 2)
    ]
    assert {(c.before.split(",")[0], c.after.split(", ")[1]) for c in stored} == {
        ("passed", "exit foertidspension")
    }
    assert stored[0].failed_after == ["fsm1.status.cash_benefit"]
    assert stored[0].facts_changed == {"support_on_day": ("kontanthjaelp", "foertidspension")}
    entry = only(found, "851")
    assert {
        "what": "exits.foertidspension",
        "before": entry["figures"][1]["before"],
        "after": entry["figures"][1]["before"] + 5,
    } in entry["figures"]


def test_fsm_diff_pages_the_citizens_after_the_summary_and_masks_cpr(retirements: Engine):
    runner = CliRunner()
    first = runner.invoke(app, ["diff", "1", "2", "--per-page", "2"], terminal_width=200)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0].startswith("From run 1 (fsm1 as of 2019-08-31, delivery 1, every municipality) to run 2")
    assert lines[2] == "5 citizens' decisions changed; 1 municipalities changed, 0 unchanged"
    assert lines[3] == "municipality Aalborg (851): 5 citizens' decisions changed"
    assert "citizens: 5 changes, page 1 of 3" in first.output and "more: --page 2" in first.output
    assert sum("fsm1.status: passed" in line for line in lines) == 2
    assert "-xxxx" in first.output
    third = json.loads(
        runner.invoke(app, ["diff", "1", "2", "--per-page", "2", "--page", "3", "--json"]).output
    )
    assert (third["summary"], third["total"], len(third["changes"])) == (None, 5, 1)
    shown = json.loads(runner.invoke(app, ["diff", "1", "2", "--json", "--show-cpr", "-m", "851"]).output)
    assert [c["subject"] for c in shown["changes"]] == [s for s in sorted(shown_ids(retirements))]
    none = json.loads(runner.invoke(app, ["diff", "1", "2", "--json", "-m", "101"]).output)
    assert (none["total"], none["summary"]["municipalities"]) == (0, [])
    assert runner.invoke(app, ["diff", "1", "9"]).exit_code == 2


def shown_ids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(DiffChange.citizen_id)))


def test_the_web_pages_the_diff_and_logs_every_citizen_it_shows(retirements: Engine):
    add_web_users(retirements)
    with logged_in(retirements, "alice") as client:
        page = client.get("/diff?first=1&second=2").text
        assert "kommune Aalborg (851): afgørelser ændret for 5 borgere" in page
        assert "afgange førtidspension" in page and page.count("/runs/2/citizens/") == 5
        english = client.get("/diff?first=1&second=2", headers={"Accept-Language": "en"}).text
        assert "municipality Aalborg (851): 5 citizens&#39; decisions changed" in english
        api = client.get("/api/diff?first=1&second=2&per_page=2&page=2").json()
        assert (api["summary"], api["total"], len(api["changes"])) == (None, 5, 2)
        assert all(c["subject"].endswith("-xxxx") for c in api["changes"])
        filtered = client.get("/api/diff?first=1&second=2&municipality=851").json()
        assert [m["code"] for m in filtered["summary"]["municipalities"]] == ["851"]
    with Session(retirements) as session:
        logged = session.execute(select(AccessLog.action, AccessLog.citizen_id).order_by(AccessLog.id)).all()
    ids = sorted(shown_ids(retirements))
    assert [c for a, c in logged if a == "diff 1→2 page"] == ids + ids  # in Danish, then in English
    assert [c for a, c in logged if a == "diff 1→2 api"] == ids[2:4] + ids


def test_the_web_downloads_every_citizen_of_a_diff_at_once(retirements: Engine):
    add_web_users(retirements)
    with logged_in(retirements, "alice") as client:
        listed = client.get("/api/diff?first=1&second=2&per_page=1000").json()
        response = client.get("/diff/downloads/citizens.xlsx?first=1&second=2")
        rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
        danish = client.get("/diff/downloads/citizens.csv?first=1&second=2").content.decode("utf-8-sig")
    assert rows[0] == ("kommune", "borger", "afgørelse", "før", "efter", "fejler nu", "fordi")
    assert [r[1] for r in rows[1:]] == [c["subject"] for c in listed["changes"]] and len(rows) == 6
    assert all(r[0] == "Aalborg (851)" and r[1].endswith("-xxxx") for r in rows[1:])
    assert all(r[3].startswith("opfyldt, Gruppe ") for r in rows[1:])
    assert all(r[4].startswith("fejlet, afgang førtidspension, Gruppe ") for r in rows[1:])
    assert len(danish.splitlines()) == 6 and danish.startswith("kommune;borger;afgørelse;før;efter")
    with Session(retirements) as session:
        logged = session.scalars(select(AccessLog).where(AccessLog.action == "download diff xlsx")).all()
    assert sorted(r.citizen_id for r in logged) == sorted(shown_ids(retirements))
    assert {(r.run_id, r.detail) for r in logged} == {(2, "from run 1")}


def test_a_run_that_has_not_finished_cannot_be_compared(web_runs: WebRuns):
    stored_runs = web_runs.engine
    with Session(stored_runs) as session, pytest.raises(diffs.NotComparable, match="run 3 is failed"):
        diffs.compare(session, results.get_run(session, 1), results.get_run(session, 3))
    with logged_in(stored_runs, "alice") as client:
        response = client.get("/api/diff?first=1&second=3")
        assert (
            response.status_code == 409 and "only finished runs can be compared" in response.json()["detail"]
        )


def test_a_user_limited_to_other_municipalities_sees_none_of_their_changes(retirements: Engine):
    add_web_users(retirements)  # otto may see municipality 101 only; the changes are in 851
    with logged_in(retirements, "otto") as client:
        api = client.get("/api/diff?first=1&second=2").json()
        assert (api["summary"]["municipalities"], api["total"], api["changes"]) == ([], 0, [])
        assert client.get("/api/diff?first=1&second=2&municipality=851").status_code == 403
        assert "/runs/2/citizens/" not in client.get("/diff?first=1&second=2").text
