"""The process that replays runs for the web UI (`python -m engine.faces.web.replayer`, started by
the server with DATABASE_URL set): it takes queued verification jobs one by one, replays each run
(engine/runs/audit.py) and stores the outcome with the job; it ends when none is left. A replay of a
national run takes a CPU and a few hundred MB for a while: never inside the server's process."""

import os
import sys
import traceback
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from engine.faces.users import now
from engine.runs import audit, results
from models.database import engine_from_env
from models.verifications import VerificationJob

STORED_DIFFERENCES = 100
"""How many of the first differences a job keeps."""


def outcome(found: audit.Verification) -> dict[str, Any]:
    """The verification as JSON: every field of it (new ones too) and whether it can be trusted."""
    return {**to_jsonable_python(found), "trusted": found.trusted}


def claim(engine: Engine) -> VerificationJob | None:
    """The oldest queued job, marked running by this process (None when no job is queued)."""
    with Session(engine) as session:
        while True:
            job = session.scalars(
                select(VerificationJob).where(VerificationJob.state == "queued").order_by(VerificationJob.id)
            ).first()
            if job is None:
                return None
            taken = session.execute(
                update(VerificationJob)
                .where(VerificationJob.id == job.id, VerificationJob.state == "queued")
                .values(state="running", started_at=now(), worker_pid=os.getpid())
            ).rowcount
            session.commit()
            if taken:
                session.refresh(job)
                session.expunge(job)
                return job


def replay(engine: Engine, job: VerificationJob) -> None:
    values: dict[str, Any]
    try:
        found = audit.verify(engine, job.run_id, limit=STORED_DIFFERENCES)
        values = {"state": "finished", "result": outcome(found)}
    except (results.NotFound, audit.NotVerifiable) as error:
        values = {"state": "failed", "error": str(error)}
    except Exception as error:  # noqa: BLE001 - the job must say it failed, whatever failed
        traceback.print_exc(file=sys.stderr)
        values = {"state": "failed", "error": f"the replay failed: {type(error).__name__}: {error}"}
    with Session(engine) as session, session.begin():
        session.execute(
            update(VerificationJob).where(VerificationJob.id == job.id).values(finished_at=now(), **values)
        )


def main() -> None:
    engine = engine_from_env()
    while (job := claim(engine)) is not None:
        replay(engine, job)
    engine.dispose()


if __name__ == "__main__":
    main()
