"""A night that needs no one (issue 16, points 5 and 8): `fsm run --json` for monitoring — the run,
its counts and seal, what changed since the programme's last run — and a documented exit status when
a run is refused or fails; `fsm status` after a run with no grants says so plainly."""

import errno
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from engine.faces.cli import app
from engine.runs import run as runs
from engine.runs.run import run_lock
from models.runs import Run, StoredDecision
from tests.test_diff import SMALL, deliver, retired_later


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def small(cli_env: Engine, tmp_path: Path) -> Engine:
    deliver(cli_env, tmp_path / "1", [SMALL])
    return cli_env


def test_fsm_run_json_says_what_changed_since_the_last_run(small: Engine, tmp_path: Path):
    first = invoke("run", "--as-of", "2017-07-31", "--workers", "1", "--json")
    assert first.exit_code == 0, first.output
    document = json.loads(first.stdout)
    with Session(small) as session:
        stored = session.get(Run, 1)
        assert document == {
            "run": 1,
            "status": "finished",
            "programme": "fsm1",
            "as_of": "2017-07-31",
            "delivery": 1,
            "municipalities": 1,
            "citizens": stored.citizens,
            "members": 30,
            "decisions": stored.decisions,
            "digest": stored.digest,
            "interrupted": [],
            "since_previous": None,
        }
    retired_later(small, tmp_path / "2", 3)
    second = json.loads(invoke("run", "--as-of", "2019-08-31", "--workers", "1", "--json").stdout)
    since = second["since_previous"]
    assert (since["run"], since["as_of"], since["municipalities_changed"]) == (1, "2017-07-31", ["851"])
    assert since["members_exited"] == exits_between(small, 1, 2)
    assert {"municipality": "851", "exit_status": "fleksjob_ledighedsydelse", "members": 1} in since[
        "members_exited"
    ]
    assert {r["rate"] for r in since["rates_triggered"]} >= {2}
    assert all(r["municipality"] == "851" and r["date"] > "2017-07-31" for r in since["rates_triggered"])
    assert (
        since["notes"][0]
        == "run 1 is as of 2017-07-31, run 2 as of 2019-08-31: decisions may change with the date alone"
    )


def exits_between(engine: Engine, first: int, second: int) -> list[dict]:
    """The reference: members active in the first run and not in the second, by exit status."""
    status = StoredDecision
    with Session(engine) as session:
        before = {
            c: outcome
            for c, outcome in session.execute(
                select(status.citizen_id, status.outcome).where(
                    status.run_id == first, status.decision == "fsm1.status"
                )
            )
        }
        after = session.execute(
            select(status.citizen_id, status.value).where(
                status.run_id == second, status.decision == "fsm1.status", status.outcome.is_(False)
            )
        ).all()
    counted = Counter(value for citizen, value in after if before.get(citizen))
    return [{"municipality": "851", "exit_status": k, "members": n} for k, n in sorted(counted.items())]


def test_a_refused_run_exits_75_when_another_holds_the_lock_and_2_on_bad_input(small: Engine):
    with run_lock(small):
        busy = invoke("run", "--as-of", "2018-03-02", "--json")
    assert busy.exit_code == 75
    assert busy.stderr.startswith("error: another run is writing to")
    assert json.loads(busy.stdout)["status"] == "refused"
    early = invoke("run", "--as-of", "2015-12-31", "--json")
    assert early.exit_code == 2 and json.loads(early.stdout) == {
        "run": None,
        "status": "refused",
        "error": "the fsm1 rules apply from 2016-01-01: nothing can be decided as of 2015-12-31",
    }


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (
            RuntimeError("the disk said no"),
            1,
            "unexpected failure (RuntimeError: the disk said no); FSM_DEBUG=1 shows where",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            6,
            "no space left to write (No space left on device)",
        ),
    ],
)
def test_a_failed_run_exits_in_one_line_with_its_causes_status_and_is_marked_failed(
    small: Engine, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int, line: str
):
    def broken(*args: object, **kwargs: object):
        raise error

    monkeypatch.setattr(runs, "evaluate_run", broken)
    failed = invoke("run", "--as-of", "2018-03-02", "--workers", "1", "--json")
    assert failed.exit_code == status
    assert failed.stderr == f"error: run 1 failed: {line}\n"
    assert json.loads(failed.stdout) == {"run": 1, "status": "failed", "error": line}
    with Session(small) as session:
        assert session.get(Run, 1).status == "failed"
    shown = invoke("status", "--run", "1")
    assert shown.exit_code == 2 and "run 1 is failed: it stored no results" in shown.stderr


def test_fsm_status_after_a_run_with_no_grants_says_so_plainly(small: Engine):
    assert invoke("run", "--programme", "fsm2", "--as-of", "2020-06-30", "--workers", "1").exit_code == 0
    shown = invoke("status")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == (
        "run 1 (finished), fsm2 as of 2020-06-30, evaluated no municipality: no fsm2 grant was known (delivery 1)"
    )
    assert json.loads(invoke("status", "--json").stdout) == []
    assert invoke("status", "--municipality", "851").exit_code == 2
    assert date(2020, 6, 30).isoformat() in shown.stdout
