"""Replay checks everything stored, and runs are sealed in a chain (issue 16, point 1): each tampering
of the issue is found — a decision row stored twice, changed run counts, a deleted run, a changed
earlier run — on SQLite and PostgreSQL; the seal depends on what was stored, never on how."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.input.importing import import_folder
from engine.runs import audit
from engine.runs.batch import CitizensDone
from engine.runs.digest import Seal, stored_digest
from engine.runs.run import nightly_run
from engine.synthetic import write_delivery
from engine.synthetic.aalborg import municipalities
from models.database import upgrade
from models.runs import Evidence, Run, StoredDecision
from tests.conftest import FIRST_DAY, SECOND_DAY, add_web_users
from tests.web import logged_in, verified


@pytest.fixture
def three_runs(engine: Engine, tmp_path: Path) -> Engine:
    """Two municipalities, three finished runs (1, 2: as of the first day; 3: as of the second)."""
    write_delivery(tmp_path / "delivery", list(municipalities(60, 2)))
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    for day in (FIRST_DAY, FIRST_DAY, SECOND_DAY):
        nightly_run(engine, as_of=day)
    return engine


def a_row(engine: Engine, run_id: int, **conditions: object) -> StoredDecision:
    with Session(engine) as session:
        return session.scalars(
            select(StoredDecision).filter_by(run_id=run_id, **conditions).order_by(StoredDecision.id)
        ).first()


def copy_of(row: StoredDecision) -> dict[str, object]:
    names = ("run_id", "municipality", "citizen_id", "decision", "day", "outcome", "value", "group", "trace")
    return {**{n: getattr(row, n) for n in names}, "evidence_id": row.evidence_id}


def test_every_run_is_sealed_when_it_finishes_and_chained_to_the_one_before(three_runs: Engine):
    with Session(three_runs) as session:
        runs = session.execute(select(Run.id, Run.digest, Run.previous_digest).order_by(Run.id)).all()
        assert [previous for _, _, previous in runs] == [None, runs[0][1], runs[1][1]]
        assert len({digest for _, digest, _ in runs}) == 3
        for run_id, digest, _ in runs:
            assert stored_digest(session, run_id) == digest
    found = audit.verify(three_runs, 3)
    assert (found.identical, found.sealed, found.chain, found.trusted) == (True, True, [], True)
    assert audit.chain(three_runs) == audit.ChainCheck(3, [], runs[2][1])


def test_the_seal_does_not_depend_on_evidence_numbers_row_ids_or_the_order_rows_came_in(three_runs: Engine):
    with Session(three_runs) as session, session.begin():
        sealed = session.get(Run, 2).digest
        session.execute(
            text(
                "insert into evidence (run_id, id, verdicts, facts)"
                " select run_id, id + 100000, verdicts, facts from evidence where run_id = 2"
            )
        )
        session.execute(text("update decisions set evidence_id = evidence_id + 100000 where run_id = 2"))
        session.execute(text("delete from evidence where run_id = 2 and id < 100000"))
        session.execute(text("update decisions set id = id + 1000000 where run_id = 2"))
    with Session(three_runs) as session:
        assert stored_digest(session, 2) == sealed
    with Session(three_runs) as session, session.begin():  # rows out of citizen order: from the database
        seal = Seal()
        for citizen in ("999999-9999", "000000-0000"):
            seal.add(
                CitizensDone(
                    [("851", citizen, "d", "2018-03-02", True, None, None, None, 0)], [("{}", "{}")], 1
                )
            )
        assert seal.close(session, 2) == sealed
        session.rollback()


def test_a_decision_stored_twice_is_refused_by_the_database(three_runs: Engine):
    for conditions in ({"decision": "fsm1.status"}, {"decision": "fsm1.rate2"}):
        row = a_row(three_runs, 2, **conditions)
        with Session(three_runs) as session, pytest.raises(IntegrityError):
            session.execute(insert(StoredDecision).values(copy_of(row)))
            session.flush()


def test_a_copied_decision_row_is_named_and_breaks_the_seal(three_runs: Engine):
    """Even with the unique indexes dropped (someone with the rights to), the replay counts rows."""
    member = a_row(three_runs, 2, decision="fsm1.status")
    with Session(three_runs) as session, session.begin():
        session.execute(text("drop index uq_decisions_citizen_decision"))
        session.execute(insert(StoredDecision).values(copy_of(member)))
    found = audit.verify(three_runs, 2)
    assert not found.identical and found.sealed is False and not found.trusted
    assert [(d.subject, d.what, d.stored, d.replayed) for d in found.first] == [
        (member.citizen_id, f"fsm1.status on {FIRST_DAY}", "stored 2 times", "made once")
    ]
    assert found.decisions == audit.verify(three_runs, 1).decisions + 1


@pytest.mark.parametrize("count", ["members", "decisions", "citizens"])
def test_a_changed_run_count_is_named_and_breaks_the_seal(three_runs: Engine, count: str):
    with Session(three_runs) as session, session.begin():
        stored = getattr(session.get(Run, 2), count)
        session.execute(update(Run).where(Run.id == 2).values({count: stored + 1}))
    found = audit.verify(three_runs, 2)
    assert [(d.what, d.stored, d.replayed) for d in found.first] == [(f"runs.{count}", stored + 1, stored)]
    assert found.sealed is False and found.chain == []


def test_evidence_no_decision_rests_on_is_named(three_runs: Engine):
    with Session(three_runs) as session, session.begin():
        last = session.scalar(select(func.max(Evidence.id)).where(Evidence.run_id == 2))
        session.execute(insert(Evidence).values(run_id=2, id=last + 1, verdicts={"x": True}, facts={}))
    found = audit.verify(three_runs, 2)
    assert [(d.what, d.stored) for d in found.first] == [
        ("evidence", f"1 rows no decision rests on: {last + 1}")
    ]
    assert found.sealed is True  # the seal covers the decisions and what they rest on


def test_a_deleted_run_breaks_the_chain(three_runs: Engine):
    with Session(three_runs) as session, session.begin():
        sealed_1, sealed_2 = session.get(Run, 1).digest, session.get(Run, 2).digest
        session.execute(delete(Run).where(Run.id == 2))
    found = audit.verify(three_runs, 3)
    assert found.identical and found.sealed
    assert found.chain == [
        f"run 3 was chained to {sealed_2[:12]}, but before it comes run 1's digest {sealed_1[:12]}"
    ]
    assert not found.trusted
    assert audit.chain(three_runs).broken == found.chain


def test_a_run_marked_failed_after_it_finished_breaks_the_chain(three_runs: Engine):
    with Session(three_runs) as session, session.begin():
        session.execute(update(Run).where(Run.id == 2).values(status="failed"))
    breaks = audit.chain(three_runs).broken
    assert breaks[0] == "run 2 is failed but carries a digest: it had finished"
    assert breaks[1].startswith("run 3 was chained to")


def test_an_added_run_breaks_the_chain(three_runs: Engine):
    with Session(three_runs, expire_on_commit=False) as session, session.begin():
        run = session.get(Run, 3)
        session.add(
            Run(
                programme="fsm1",
                as_of=run.as_of,
                pack_hash=run.pack_hash,
                delivery_id=run.delivery_id,
                started_at=datetime.now(UTC),
                finished_at=datetime.now(UTC),
                status="finished",
                digest="0" * 64,
                previous_digest="1" * 64,
            )
        )
    found = audit.chain(three_runs)
    assert found.broken == [
        "run 4: what it stores no longer gives its digest 000000000000",
        f"run 4 was chained to 111111111111, but before it comes run 3's digest {run.digest[:12]}",
    ]


def test_a_changed_earlier_run_is_found_sealed_again_or_not(three_runs: Engine):
    member = a_row(three_runs, 1, decision="fsm1.status")
    with Session(three_runs) as session, session.begin():
        session.execute(update(StoredDecision).where(StoredDecision.id == member.id).values(group="3"))
    assert audit.chain(three_runs).broken == [
        f"run 1: what it stores no longer gives its digest {a_digest(three_runs, 1)[:12]}"
    ]
    assert audit.verify(three_runs, 1).sealed is False
    with Session(three_runs) as session, session.begin():  # sealed again, by someone who knows how
        session.execute(update(Run).where(Run.id == 1).values(digest=stored_digest(session, 1)))
    found = audit.verify(three_runs, 3)
    assert found.sealed and len(found.chain) == 1 and found.chain[0].startswith("run 2 was chained to")
    assert audit.chain(three_runs).broken == found.chain


def a_digest(engine: Engine, run_id: int) -> str:
    with Session(engine) as session:
        return session.get(Run, run_id).digest


def test_a_run_finished_before_runs_were_sealed_is_said_to_be_so(three_runs: Engine):
    with Session(three_runs) as session, session.begin():
        session.execute(update(Run).values(digest=None, previous_digest=None))
    found = audit.verify(three_runs, 2)
    assert (found.identical, found.sealed, found.chain, found.trusted) == (True, None, [], True)
    assert found.recomputed and audit.chain(three_runs).runs == 0


def test_fsm_audit_verify_and_chain_show_both_checks(three_runs: Engine, cli_env: Engine):
    runner = CliRunner()
    fine = runner.invoke(app, ["audit", "verify", "3"], terminal_width=200)
    assert fine.exit_code == 0, fine.output
    assert (
        "run 3: identical" in fine.output
        and f"run 3: sealed — what it stores gives its digest {a_digest(three_runs, 3)}" in fine.output
    )
    assert "chain: every finished run is linked to the one before it" in fine.output
    chained = runner.invoke(app, ["audit", "chain"], terminal_width=200)
    assert chained.exit_code == 0 and "chain intact: 3 sealed runs" in chained.output
    with Session(three_runs) as session, session.begin():
        session.execute(update(Run).where(Run.id == 2).values(members=0))
    broken = runner.invoke(app, ["audit", "verify", "2"], terminal_width=200)
    assert broken.exit_code == 1
    assert "runs.members" in broken.output and "run 2: seal broken — stored digest" in broken.output
    assert runner.invoke(app, ["audit", "chain"]).exit_code == 1


def test_a_database_holding_a_decision_twice_is_not_upgraded_and_the_copy_is_named(blank: Engine):
    upgrade(blank, "0007")
    with blank.begin() as connection:
        connection.execute(text("insert into rule_packs values ('h', 'fsm1', '1', '{}')"))
        connection.execute(
            text(
                "insert into runs (id, programme, as_of, pack_hash, started_at, status, citizens, members, decisions)"
                " values (1, 'fsm1', '2018-03-02', 'h', '2018-03-02 00:00:00', 'finished', 1, 1, 2)"
            )
        )
        connection.execute(text("insert into evidence values (1, 0, '{}', '{}')"))
        for _ in range(2):
            connection.execute(
                text(
                    "insert into decisions (run_id, municipality, citizen_id, decision, day, outcome, evidence_id)"
                    " values (1, '851', '0101011234', 'fsm1.status', '2018-03-02', true, 0)"
                )
            )
    with pytest.raises(
        RuntimeError,
        match="run 1 stores decision fsm1.status about citizen 010101-xxxx in 851 on 2018-03-02 2 times",
    ):
        upgrade(blank)


def test_the_web_shows_both_checks(three_runs: Engine):
    add_web_users(three_runs)
    with logged_in(three_runs, "alice") as client:
        client.headers["Accept-Language"] = "en"
        found = verified(client, 3)
        assert (found["identical"], found["sealed"], found["chain"], found["trusted"]) == (
            True,
            True,
            [],
            True,
        )
        assert found["digest"] == found["recomputed"] == a_digest(three_runs, 3)
        page = client.get("/runs/3").text
        assert (
            "Sealed: what run 3 stores gives the digest it was sealed with" in page and "Chain intact" in page
        )
        with Session(three_runs) as session, session.begin():
            session.execute(delete(Run).where(Run.id == 2))
            session.execute(update(Run).where(Run.id == 3).values(citizens=1))
        found = verified(client, 3)
        assert (found["sealed"], found["trusted"], len(found["chain"])) == (False, False, 1)
        page = client.get("/runs/3").text
        assert "Seal broken: run 3 was sealed with" in page and "The chain of runs is broken" in page
