"""What the routes share: a database session per request, a run by id (404 when there is none),
validated path parameters, a municipality the user may see, refusals in the reader's words, and the
access log."""

from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from engine.faces import access_log
from engine.faces.i18n import N_, Texts
from engine.faces.users import User
from engine.runs import results
from models.runs import Run, RunMunicipality

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


class Term(str):
    """A value of a Refusal that is itself a message to translate (a word, not a name or a number)."""


class Refusal(HTTPException):
    """An HTTP error in words: `message` in English, marked `N_(…)`, with `%(name)s` placeholders for
    `values`; the API's detail is the English, a page shows the translation."""

    def __init__(
        self, code: int, message: str, headers: dict[str, str] | None = None, /, **values: Any
    ) -> None:
        super().__init__(code, message % values if values else message, headers)
        self.message, self.values = message, values

    def shown(self, t: Texts) -> str:
        return t._(self.message, **{k: t._(v) if isinstance(v, Term) else v for k, v in self.values.items()})


def database(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


Db = Annotated[Session, Depends(database)]


def found_run(run_id: RunId, session: Db) -> Run:
    try:
        return results.get_run(session, run_id)
    except results.NotFound:
        raise Refusal(404, N_("there is no run %(run)s"), run=run_id) from None


FoundRun = Annotated[Run, Depends(found_run)]


def check_sees(user: User, municipality: str) -> str:
    """The municipality, if the user may see it (403 otherwise)."""
    if not user.sees(municipality):
        raise Refusal(
            403,
            N_("forbidden: municipality %(municipality)s is not among those you may see"),
            municipality=municipality,
        )
    return municipality


def municipality_row(session: Session, run: Run, municipality: str, user: User) -> RunMunicipality:
    """The municipality's stored status and parameters in the run, if the user may see it."""
    check_sees(user, municipality)
    row = session.get(RunMunicipality, (run.id, municipality))
    if row is None:
        raise Refusal(
            404, N_("run %(run)s has no municipality %(municipality)s"), run=run.id, municipality=municipality
        )
    return row


def log_access(
    session: Session,
    user: User,
    action: str,
    run: Run | int | None,
    citizens: str | Iterable[str] | None = None,
    *,
    full_cpr: bool | None = None,
    detail: str | None = None,
) -> None:
    """Log that `user` was shown these citizens (one CPR number or pseudonym, several, or None for a
    view naming no one, e.g. an export) of `run`: one row each with who, when (UTC), what (`action`,
    e.g. `diff page`), the run, the citizen in full, whether the CPR number was shown in full (by
    default: whether the user may see it, which is what every view shows) and from where (the
    client's address). Committed at once, before the response is sent."""
    listed = [citizens] if citizens is None or isinstance(citizens, str) else list(citizens)
    access_log.record(
        session,
        user.who,
        action,
        run.id if isinstance(run, Run) else run,
        listed,
        full_cpr=user.may("full_cpr") if full_cpr is None else full_cpr,
        client=user.client,
        detail=detail,
    )
