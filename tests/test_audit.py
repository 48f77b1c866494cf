"""`fsm audit verify`: a stored run replays identically from the deliveries it read and the pack it
used, and any change to what it stored (a decision, a status, a parameter, the pack) is found."""

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.importing import import_folder
from engine.runs import audit, results
from engine.runs import diff as diffs
from engine.runs.run import nightly_run
from engine.synthetic import Municipality, write_delivery
from engine.synthetic.aalborg import municipalities, municipality
from models.access import AccessLog
from models.domain import SupportPeriod
from models.runs import Evidence, RulePack, Run, RunMunicipality, StoredDecision
from tests.conftest import SECOND_DAY, add_web_users, store_aalborg_runs
from tests.web import logged_in, verified


@pytest.fixture
def runs(engine: Engine, aalborg_delivery: Path, tmp_path: Path) -> Engine:
    return store_aalborg_runs(engine, aalborg_delivery, tmp_path)


def a_member(engine: Engine, run_id: int = 2, **conditions: object) -> StoredDecision:
    with Session(engine) as session:
        return session.scalars(
            select(StoredDecision)
            .filter_by(run_id=run_id, decision="fsm1.status", **conditions)
            .order_by(StoredDecision.citizen_id)
        ).first()


def test_stored_runs_replay_identically(stored_runs: Engine):
    for run_id, decisions in ((1, 2748), (2, 2748)):
        found = audit.verify(stored_runs, run_id)
        assert (found.identical, found.decisions, found.differences, found.first) == (True, decisions, 0, [])


def test_every_change_to_what_a_run_stored_is_found_and_the_first_are_listed(runs: Engine):
    member = a_member(runs, group="1")
    with Session(runs) as session, session.begin():
        session.execute(update(StoredDecision).where(StoredDecision.id == member.id).values(group="3"))
        membership = session.scalars(
            select(StoredDecision).filter_by(
                run_id=2, citizen_id=member.citizen_id, decision="fsm1.membership"
            )
        ).one()
        altered = Evidence(  # evidence is shared: give the one decision evidence of its own
            run_id=2,
            id=session.scalar(select(func.max(Evidence.id))) + 1,
            verdicts=membership.verdicts,
            facts={**membership.facts, "longest_break_days": 5},
        )
        session.add(altered)
        session.flush()
        session.execute(
            update(StoredDecision).where(StoredDecision.id == membership.id).values(evidence_id=altered.id)
        )
        gone = a_member(runs, group="2")
        session.execute(delete(StoredDecision).where(StoredDecision.id == gone.id))
        session.execute(
            insert(StoredDecision).values(
                run_id=2,
                municipality="851",
                citizen_id="010101-1234",
                decision="fsm1.status",
                day=SECOND_DAY,
                outcome=True,
                evidence_id=member.evidence_id,
            )
        )
        row = session.get(RunMunicipality, (2, "851"))
        session.execute(
            update(RunMunicipality)
            .where(RunMunicipality.run_id == 2)
            .values(
                status={**row.status, "members": 1221},
                rate_parameters={**row.rate_parameters, "rate3_share": "0.35"},
            )
        )
    found = audit.verify(runs, 2, limit=4)
    assert not found.identical and found.differences == 6 and len(found.first) == 4
    listed = [(d.subject, d.what, d.stored, d.replayed) for d in audit.verify(runs, 2).first]
    assert (None, "status.members", 1221, 1220) in listed
    assert (None, "rate parameters.rate3_share", "0.35", "0.40") in listed
    assert ("010101-1234", "fsm1.status", "stored", "absent") in listed
    assert (gone.citizen_id, "fsm1.status", "absent", "made") in listed
    assert (member.citizen_id, "fsm1.membership facts.longest_break_days", 5, 0) in listed
    assert (member.citizen_id, "fsm1.status group", "3", "1") in listed
    assert audit.verify(runs, 1).identical  # the other run is untouched


def test_a_changed_rule_pack_is_found(runs: Engine):
    with Session(runs) as session, session.begin():
        pack = session.scalars(select(RulePack)).one()
        original = pack.content_hash
        files = {**pack.files, "pack.yaml": pack.files["pack.yaml"] + "\n# edited\n"}
        session.execute(update(RulePack).where(RulePack.content_hash == original).values(files=files))
    found = audit.verify(runs, 2)
    assert not found.identical
    (difference,) = found.first
    assert difference.what == "rule pack" and difference.stored == original != difference.replayed


def test_a_run_replays_from_the_data_known_at_the_run_not_from_later_deliveries(runs: Engine, tmp_path: Path):
    member = a_member(runs, value=None)
    place = municipality("851")
    timeline = next(t for t in place.citizens if t.citizen_id == member.citizen_id)
    retired = timeline.model_copy(
        update={
            "support": (
                SupportPeriod(support="kontanthjaelp", start=date(2010, 1, 1), end=date(2018, 12, 31)),
                SupportPeriod(support="foertidspension", start=date(2019, 1, 1), end=None),
            )
        }
    )
    write_delivery(tmp_path / "later", [Municipality("851", place.grant, [retired])])
    import_folder(runs, tmp_path / "later", report_dir=tmp_path / "later-report")
    later = nightly_run(runs, as_of=SECOND_DAY).run_id
    with Session(runs) as session:
        found = diffs.compare(session, results.get_run(session, 2), results.get_run(session, later))
        changes = diffs.changes(session, found)
    assert [(c.subject, c.after) for c in changes if c.decision == "fsm1.status"] == [
        (member.citizen_id, f"failed, exit foertidspension, group {member.group}")
    ]
    assert audit.verify(runs, 2).identical and audit.verify(runs, later).identical


def test_a_run_that_did_not_finish_or_does_not_exist_cannot_be_replayed(stored_runs: Engine):
    with pytest.raises(audit.NotVerifiable, match="run 3 is failed"):
        audit.verify(stored_runs, 3)
    with pytest.raises(results.NotFound, match="there is no run 4"):
        audit.verify(stored_runs, 4)


def test_a_run_before_the_first_delivery_replays_as_empty(engine: Engine):
    run_id = nightly_run(engine, as_of=SECOND_DAY).run_id
    found = audit.verify(engine, run_id)
    assert found.identical and found.decisions == 0
    with Session(engine) as session:
        assert session.get(Run, run_id).delivery_id is None


def test_fsm_audit_verify_exits_0_identical_1_different_2_bad_input_and_masks_cpr(
    runs: Engine, cli_env: Engine
):
    runner = CliRunner()
    identical = runner.invoke(app, ["audit", "verify", "2"])
    assert identical.exit_code == 0 and "run 2: identical" in identical.output
    member = a_member(runs, group="1")
    with Session(runs) as session, session.begin():
        session.execute(update(StoredDecision).where(StoredDecision.id == member.id).values(group="3"))
    different = runner.invoke(app, ["audit", "verify", "2"], terminal_width=200)
    assert different.exit_code == 1, different.output
    assert "run 2: different — 1 differences" in different.output
    assert member.citizen_id[:6] + "-xxxx" in different.output and member.citizen_id not in different.output
    shown = runner.invoke(app, ["audit", "verify", "2", "--show-cpr"], terminal_width=200)
    assert shown.exit_code == 1 and member.citizen_id in shown.output
    for bad in (["3"], ["99"], ["0"], ["x"]):
        result = runner.invoke(app, ["audit", "verify", *bad])
        assert result.exit_code == 2, (bad, result.output)


def test_the_web_ui_shows_the_same_check_with_cpr_masked(runs: Engine):
    member = a_member(runs, group="1")
    with Session(runs) as session, session.begin():
        session.execute(update(StoredDecision).where(StoredDecision.id == member.id).values(outcome=False))
    masked = member.citizen_id[:6] + "-xxxx"
    add_web_users(runs)
    with logged_in(runs, "alice") as client:
        found = verified(client, 2)
        assert (found["state"], found["requested_by"]) == ("finished", "alice")
        assert (found["identical"], found["differences"]) == (False, 1)
        assert found["first"] == [
            {
                "municipality": "851",
                "subject": masked,
                "what": "fsm1.status outcome",
                "stored": False,
                "replayed": True,
            }
        ]
        page = client.get("/runs/2").text
        book = load_workbook(io.BytesIO(client.get("/runs/2/downloads/differences.xlsx").content))
    assert "Forskellig: 1 forskel mellem det, kørsel 2 gemte," in page and masked in page
    assert member.citizen_id not in page and 'href="/runs/2/downloads/differences.xlsx"' in page
    assert list(book.worksheets[0].iter_rows(values_only=True)) == [
        ("kommune", "borger", "hvad", "gemt", "genberegnet"),
        ("Aalborg (851)", masked, "fsm1.status outcome", "nej", "ja"),
    ]
    with Session(runs) as session:
        logged = session.scalars(
            select(AccessLog).where(AccessLog.action == "download differences xlsx")
        ).all()
    assert [(r.run_id, r.citizen_id) for r in logged] == [(2, member.citizen_id)]


def test_a_run_of_several_municipalities_replays_identically(engine: Engine, tmp_path: Path):
    write_delivery(tmp_path / "delivery", list(municipalities(600, 3)))
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    run_id = nightly_run(engine, as_of=SECOND_DAY, workers=2).run_id
    found = audit.verify(engine, run_id)
    with Session(engine) as session:
        assert len(results.statuses(session, results.get_run(session, run_id))) == 3
    assert found.identical and found.decisions > 600
