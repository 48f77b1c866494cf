"""What the routes share: a database session per request, a run by id (404 when there is none),
validated path parameters, and the access log."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from engine.faces.users import User
from engine.runs import results
from models.access import AccessLog
from models.runs import Run

MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in the database: a larger one is a bad request, not a server error."""

RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="A run's id")]
Ref = Annotated[
    int,
    Path(
        ge=1,
        le=MAX_ID,
        description="A citizen's reference in the run (a decision row id; never the CPR number)",
    ),
]
MunicipalityCode = Annotated[str, Path(pattern=r"^\d{3}$", description="3-digit municipality code")]


def database(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


Db = Annotated[Session, Depends(database)]


def found_run(run_id: RunId, session: Db) -> Run:
    return results.get_run(session, run_id)


FoundRun = Annotated[Run, Depends(found_run)]


def log_access(
    session: Session, user: User, action: str, run: Run, citizen_id: str | list[str] | None
) -> None:
    """The access log's rows of one view (who, when in UTC, what, which run and citizen), committed at
    once: a row per citizen shown (`citizen_id` a list: a page showing several), or one row."""
    at = datetime.now(UTC)
    shown = citizen_id if isinstance(citizen_id, list) else [citizen_id]
    session.add_all(
        AccessLog(at=at, user=user.name, action=action, run_id=run.id, citizen_id=citizen)
        for citizen in shown
    )
    session.commit()
