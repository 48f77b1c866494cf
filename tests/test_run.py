"""The nightly run as a record: all or nothing, one at a time, the same results from the same inputs."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.faces.cli.failures import Status
from engine.input.importing import import_folder
from engine.runs import batch, results
from engine.runs import diff as diffs
from engine.runs.run import RunRefused, nightly_run, run_lock
from engine.synthetic import write_delivery
from engine.synthetic.aalborg import municipalities, municipality
from models.runs import Run, StoredDecision
from tests.cli_processes import fsm, needs_mount_namespaces, stopped_with_its_workers

STATUS_DAY = date(2018, 3, 2)


@pytest.fixture
def aalborg(engine: Engine, tmp_path: Path) -> Engine:
    """The database with the synthetic Aalborg (seed 002's figures) imported."""
    write_delivery(tmp_path / "delivery", [municipality("851")])
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    return engine


def decisions_of(engine: Engine, run_id: int) -> list[tuple]:
    with Session(engine) as session:
        rows = session.scalars(
            select(StoredDecision).where(StoredDecision.run_id == run_id).order_by(StoredDecision.id)
        )
        return [
            (
                r.municipality,
                r.citizen_id,
                r.decision,
                r.day,
                r.outcome,
                r.value,
                r.group,
                r.verdicts,
                r.facts,
                r.trace,
            )
            for r in rows
        ]


def test_a_run_stores_its_record_decisions_and_status(aalborg: Engine):
    outcome = nightly_run(aalborg, as_of=STATUS_DAY)
    with Session(aalborg) as session:
        run = results.get_run(session)
        assert (run.id, run.status, run.as_of, run.members) == (outcome.run_id, "finished", STATUS_DAY, 1220)
        assert run.delivery_id == 1 and len(run.pack_hash) == 64 and run.finished_at is not None
        (status,) = results.statuses(session, run)
        assert (status.members, status.active) == (1220, 969)
        assert status.visitation == {"1": 473, "2": 293, "3": 143, "udskudt": 50, "mangler": 10}
    assert run.decisions == len(decisions_of(aalborg, run.id))


def test_running_again_on_the_same_inputs_gives_identical_results_in_one_process_or_several(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    citizens = write_delivery(tmp_path / "delivery", list(municipalities(1200, 4)))
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    monkeypatch.setattr(batch, "CHUNK", 100)  # 15 chunks of citizens: the worker pool really runs
    first = nightly_run(engine, as_of=STATUS_DAY).run_id
    second = nightly_run(engine, as_of=STATUS_DAY, workers=2).run_id
    assert decisions_of(engine, first) == decisions_of(engine, second)
    with Session(engine) as session:
        one, two = results.get_run(session, first), results.get_run(session, second)
        assert results.statuses(session, one) == results.statuses(session, two)
        assert len(results.statuses(session, one)) == 4
        assert diffs.compare(session, one, two).total == 0
        assert one.citizens == two.citizens == citizens and one.decisions == two.decisions > 2 * 1200


def test_a_second_run_started_while_one_holds_the_lock_is_refused_with_a_clear_message(aalborg: Engine):
    with run_lock(aalborg), pytest.raises(RunRefused, match="another run"):
        nightly_run(aalborg, as_of=STATUS_DAY)
    with Session(aalborg) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0
    assert nightly_run(aalborg, as_of=STATUS_DAY).run_id == 1  # the lock is free again


def test_a_run_killed_half_way_leaves_nothing_that_looks_finished_and_the_next_run_marks_it_failed(
    engine: Engine, tmp_path: Path
):
    write_delivery(tmp_path / "delivery", list(municipalities(3000, 3)))
    import_folder(engine, tmp_path / "delivery", report_dir=tmp_path / "report")
    url = engine.url.render_as_string(hide_password=False)
    fsm = Path(sys.executable).parent / "fsm"
    process = subprocess.Popen(
        [str(fsm), "run", "--as-of", "2018-03-02", "--workers", "1"],
        env={**os.environ, "DATABASE_URL": url},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    with Session(engine) as session:
        while session.scalar(select(func.count()).select_from(Run).where(Run.status == "running")) == 0:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
            session.rollback()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with Session(engine) as session:
        killed = session.scalars(select(Run)).one()
        assert killed.status == "running" and killed.finished_at is None
        assert session.scalar(select(func.count()).select_from(StoredDecision)) == 0
    outcome = nightly_run(engine, as_of=STATUS_DAY)
    assert outcome.interrupted == [killed.id]
    with Session(engine) as session:
        assert session.get(Run, killed.id).status == "failed"
        assert "interrupted" in session.get(Run, killed.id).error
        assert session.get(Run, outcome.run_id).status == "finished"
        assert {r for (r,) in session.execute(select(StoredDecision.run_id).distinct())} == {outcome.run_id}


def test_status_json_has_the_documented_shape_with_amounts_as_strings(aalborg: Engine, cli_env: Engine):
    runner = CliRunner()
    assert runner.invoke(app, ["run", "--as-of", "2018-03-02", "--workers", "1"]).exit_code == 0
    result = runner.invoke(app, ["status", "--municipality", "851", "--json"])
    assert result.exit_code == 0, result.output
    (document,) = json.loads(result.output)
    assert (
        document["municipality"] == "851"
        and document["programme"] == "fsm1"
        and document["as_of"] == "2018-03-02"
    )
    assert (document["members"], document["active"]) == (1220, 969)
    assert document["exits"]["foertidspension"] == 75 and sum(document["exits"].values()) == 251
    assert document["visitation"] == {"1": 473, "2": 293, "3": 143, "udskudt": 50, "mangler": 10}
    rates = {rate["rate"]: rate for rate in document["rates"]}
    assert rates[1] == {
        "rate": 1,
        "triggered": True,
        "date": "2017-06-01",
        "amount": "3524700.00",
        "blocked_by": None,
    }
    assert (rates[2]["triggered"], rates[2]["amount"]) == (False, "4699600.00")
    assert rates[2]["blocked_by"]["not_visitated"] == 10
    assert all(c.endswith("-xxxx") for c in rates[2]["blocked_by"]["citizens"])
    assert rates[3]["amount"] == "3524700.00"
    assert document["months"][0] == {
        **document["months"][0],
        "month": "2017-08",
    } and set(document["months"][0]) >= {"month", "effort_group", "in_activity", "qualifies"}
    full = json.loads(runner.invoke(app, ["status", "--json", "--show-cpr"]).output)
    assert not any(c.endswith("-xxxx") for c in full[0]["rates"][1]["blocked_by"]["citizens"])


@freeze_time("2018-03-02")
def test_a_run_without_a_date_evaluates_as_of_today(aalborg: Engine, cli_env: Engine):
    result = CliRunner().invoke(app, ["run", "--workers", "1"])
    assert result.exit_code == 0, result.output
    with Session(aalborg) as session:
        assert results.get_run(session).as_of == date(2018, 3, 2)


def test_explain_shows_a_citizens_decisions_with_traces_and_diff_names_what_changed(
    aalborg: Engine, cli_env: Engine
):
    runner = CliRunner()
    runner.invoke(app, ["run", "--as-of", "2018-03-02", "--workers", "1"])
    runner.invoke(app, ["run", "--as-of", "2019-08-31", "--workers", "1"])
    with Session(aalborg) as session:
        citizen = session.scalars(
            select(StoredDecision.citizen_id).where(
                StoredDecision.run_id == 2,
                StoredDecision.decision == "fsm1.status",
                StoredDecision.value.is_(None),
            )
        ).first()
    explained = runner.invoke(app, ["explain", citizen, "--run", "2"])
    assert explained.exit_code == 0, explained.output
    assert "fsm1.five_years_on_support" in explained.output and "fsm1.status.cash_benefit" in explained.output
    assert citizen not in explained.output and citizen[:6] + "-xxxx" in explained.output
    changed = runner.invoke(app, ["diff", "1", "2", "--json"])
    (place,) = json.loads(changed.output)["summary"]["municipalities"]
    assert [r["rate"] for r in place["rates"]] == [3]  # rate 1: on approval; rate 2: the same 10 unvisitated
    assert runner.invoke(app, ["explain", "nobody", "--run", "1"]).exit_code == 2
    assert runner.invoke(app, ["status", "--run", "99"]).exit_code == 2


SLOW_RUN = """
import sys, time
from engine.runs import batch
evaluate = batch._evaluate_chunk
def slow(citizens):
    time.sleep(60)  # a chunk that takes a minute: the workers are surely busy when the signal comes
    return evaluate(citizens)
batch._evaluate_chunk = slow
from engine.faces.cli import app
app(sys.argv[1:], prog_name="fsm")
"""


def test_a_run_whose_temporary_disk_is_full_ends_with_one_line_and_stores_nothing(
    aalborg: Engine, tmp_path: Path
):
    """The citizens' contributions wait on the temporary disk for their municipalities to be
    concluded: with no room there, the run fails as a full disk does, whole."""
    needs_mount_namespaces()
    disk = tmp_path / "disk"
    disk.mkdir()
    url = aalborg.url.render_as_string(hide_password=False)
    full = f"mount -t tmpfs -o size=4k tmpfs {disk} && export TMPDIR={disk}"
    ended = fsm(["run", "--as-of", "2018-03-02", "--workers", "2"], url, tmp_path, shell=full)
    assert ended.status == Status.DISK_FULL, ended.err
    assert f"{disk}: no space left to write" in ended.one_line_error()
    with Session(aalborg) as session:
        assert session.scalars(select(Run.status)).all() == ["failed"]
        assert session.scalar(select(func.count()).select_from(StoredDecision)) == 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_or_killed_run_takes_its_workers_with_it_and_frees_the_lock_at_once(
    aalborg: Engine, tmp_path: Path, stop: signal.Signals
):
    url = aalborg.url.render_as_string(hide_password=False)
    ended = stopped_with_its_workers(
        SLOW_RUN, ["run", "--as-of", "2018-03-02", "--workers", "2"], url, tmp_path, stop
    )
    with Session(aalborg) as session:
        stopped = session.scalars(select(Run)).one()
    if stop == signal.SIGTERM:
        assert ended.status == 143 and "stopped by SIGTERM" in ended.err
        assert (stopped.status, stopped.error) == ("failed", "Terminated('stopped by SIGTERM')")
    else:
        assert ended.status == -signal.SIGKILL and stopped.status == "running"
    again = nightly_run(aalborg, as_of=STATUS_DAY)  # at once: neither the run nor a worker holds the lock
    assert again.interrupted == ([] if stop == signal.SIGTERM else [stopped.id])
