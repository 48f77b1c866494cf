"""A run's replay check as a job: started by POST (a role with `verify`), run in the background by a
process of its own (web/replayer.py), its outcome stored with the run — when, by whom, identical or
not, the first differences — and shown to every reader without replaying again."""

import os
import subprocess
import sys
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.faces.i18n import N_
from engine.faces.i18n.vocabulary import RUN
from engine.faces.users import User, now, utc
from engine.faces.web.auth import Reader, Verifier, check_csrf
from engine.faces.web.deps import Db, FoundRun, Refusal, Term, log_access
from engine.faces.web.replayer import STORED_DIFFERENCES
from engine.faces.web.schemas import PROBLEMS, Problem, VerificationJobOut
from models import cpr
from models.runs import Run
from models.verifications import VerificationJob

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api", tags=["runs"], responses=PROBLEMS)
routers = (pages, api)
ACTIVE = ("queued", "running")
SHOWN = ("identical", "decisions", "differences", "digest", "recomputed", "sealed", "chain", "trusted")
KNOWN = ("run_id", "first", *SHOWN)
Limit = Annotated[
    int, Query(ge=1, le=STORED_DIFFERENCES, description="How many of the first differences to show at most")
]


def latest(session: Session, run: Run) -> VerificationJob | None:
    return session.scalars(
        select(VerificationJob).where(VerificationJob.run_id == run.id).order_by(VerificationJob.id.desc())
    ).first()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kick(request: Request, session: Session) -> None:
    """Start the replaying process if jobs wait and none runs; a job whose process died is failed."""
    worker: subprocess.Popen[bytes] | None = request.app.state.worker
    if worker is not None and worker.poll() is not None:
        request.app.state.worker = worker = None
    for job in session.scalars(select(VerificationJob).where(VerificationJob.state == "running")):
        if job.worker_pid is not None and not _alive(job.worker_pid):
            job.state, job.finished_at = "failed", now()
            job.error = "the replaying process ended without an outcome (killed?): start the check again"
    session.commit()
    queued = session.scalars(select(VerificationJob.id).where(VerificationJob.state == "queued")).first()
    if queued is not None and worker is None:
        url = request.app.state.engine.url.render_as_string(hide_password=False)
        request.app.state.worker = subprocess.Popen(
            [sys.executable, "-m", "engine.faces.web.replayer"],
            env={**os.environ, "DATABASE_URL": url},
            stdin=subprocess.DEVNULL,
        )


def start(request: Request, session: Session, run: Run, user: User) -> VerificationJob:
    """A queued job for the run (or the one already queued or running)."""
    if run.status != "finished":
        raise Refusal(
            409,
            N_("run %(run)s is %(status)s: only a finished run can be replayed"),
            run=run.id,
            status=Term(RUN.get(run.status, run.status)),
        )
    job = latest(session, run)
    if job is None or job.state not in ACTIVE:
        job = VerificationJob(run_id=run.id, requested_by=user.who, requested_at=now(), state="queued")
        session.add(job)
        session.commit()
    kick(request, session)
    return job


def visible_differences(
    job: VerificationJob, user: User, limit: int
) -> tuple[list[str], list[dict[str, Any]]]:
    """The first `limit` stored differences of the user's municipalities, CPR numbers as the role may
    see them; and the citizens they name (to log)."""
    full = user.may("full_cpr")
    first = [
        d
        for d in (job.result or {}).get("first", [])
        if not d["municipality"] or user.sees(d["municipality"])
    ]
    shown = [
        {
            **d,
            "subject": d["subject"] and cpr.shown(d["subject"], full=full),
            "stored": cpr.shown_in(d["stored"], full=full),
            "replayed": cpr.shown_in(d["replayed"], full=full),
        }
        for d in first[:limit]
    ]
    return [d["subject"] for d in first[:limit] if d["subject"]], shown


def shown(session: Session, job: VerificationJob, user: User, action: str, limit: int) -> dict[str, Any]:
    """The job as a reader may see it: differences of their municipalities only, CPR numbers masked
    unless their role allows; the citizens shown are logged."""
    full = user.may("full_cpr")
    document: dict[str, Any] = {
        "run_id": job.run_id,
        "state": job.state,
        "requested_by": job.requested_by,
        "requested_at": utc(job.requested_at),
        "started_at": job.started_at and utc(job.started_at),
        "finished_at": job.finished_at and utc(job.finished_at),
        "error": job.error,
        "identical": None,
        "decisions": None,
        "differences": None,
        "first": [],
        "more": {},
    }
    if job.result is not None:
        citizens, document["first"] = visible_differences(job, user, limit)
        log_access(session, user, action, job.run_id, citizens)
        document.update({k: job.result.get(k) for k in SHOWN if k in job.result})
        document["more"] = cpr.shown_in({k: v for k, v in job.result.items() if k not in KNOWN}, full=full)
    return document


def latest_shown(
    request: Request, session: Session, run: Run, user: User, action: str, limit: int
) -> dict[str, Any] | None:
    job = latest(session, run)
    if job is not None and job.state in ACTIVE:
        kick(request, session)
        session.refresh(job)
    return None if job is None else shown(session, job, user, action, limit)


@pages.post("/runs/{run_id}/verification")
def verify_html(
    request: Request,
    run: FoundRun,
    user: Verifier,
    session: Db,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    start(request, session, run, user)
    return RedirectResponse(f"/runs/{run.id}#verify", status_code=303)


@api.post(
    "/runs/{run_id}/verification",
    response_model=VerificationJobOut,
    status_code=202,
    summary="Start replaying the run in the background (or see the check already under way)",
    responses={409: {"model": Problem, "description": "The run has not finished: it cannot be replayed"}},
)
def verify_api(request: Request, run: FoundRun, user: Verifier, session: Db) -> dict[str, Any]:
    return shown(session, start(request, session, run, user), user, "verification api", STORED_DIFFERENCES)


@api.get(
    "/runs/{run_id}/verification",
    response_model=VerificationJobOut,
    summary="The run's latest replay check: who started it and when, and, once done, identical or not with the first differences",
    responses={404: {"model": Problem, "description": "No such run, or the run has never been checked"}},
)
def verification_api(
    request: Request, run: FoundRun, user: Reader, session: Db, limit: Limit = 10
) -> dict[str, Any]:
    found = latest_shown(request, session, run, user, "verification api", limit)
    if found is None:
        raise Refusal(404, N_("run %(run)s has not been checked yet: POST to start a replay"), run=run.id)
    return found
