"""The JSON API's documents (its OpenAPI description is generated from these). CPR numbers in them
are masked (`DDMMYY-xxxx`) unless the user's role may see them in full."""

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.status import MunicipalityStatus
from models.trace import Decision

CITIZEN_ID = r"^[A-Za-z0-9_-]{1,64}$"


class Problem(BaseModel):
    detail: str


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No user, or a wrong password"},
    403: {"model": Problem, "description": "The user's role does not allow it"},
    404: {"model": Problem, "description": "No such run, municipality or citizen"},
}


class SimulationRefused(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="What is wrong, in one line (a list: the body is not a JSON object)"
    )
    problems: list[dict[str, Any]] = Field(
        default=[],
        description="Each problem of the scenario: `change` (its index) and `op`, `field`, `message`, `text` (as `fsm simulate` prints it), `severity`",
    )


class Me(BaseModel):
    name: str
    role: str
    permissions: list[str]
    municipalities: list[str] | None = Field(description="The municipalities you may see (null: every one)")
    token: bool = Field(description="Whether you are a script's token")


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    programme: str
    as_of: date
    municipality: str | None
    pack_hash: str
    delivery_id: int | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None
    citizens: int
    members: int
    decisions: int

    @field_validator("started_at", "finished_at")
    @classmethod
    def _in_utc(cls, moment: datetime | None) -> datetime | None:
        """Times are stored in UTC; SQLite gives them back without their offset."""
        return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class RateSummary(BaseModel):
    rate: int
    triggered: bool
    date: date | None
    amount: str
    blocked_by: dict[str, Any] | None = Field(
        description="What blocks the rate, without the citizens it names (their number stays)"
    )


class MunicipalitySummary(BaseModel):
    municipality: str
    name: str | None
    programme: str
    members: int
    active: int
    grant: str
    rates: list[RateSummary]
    warnings: int


class RunSummary(BaseModel):
    run: RunOut
    municipalities: list[MunicipalitySummary]


class MunicipalityDetail(BaseModel):
    run_id: int
    status: MunicipalityStatus
    rate_parameters: dict[str, Any]
    rate_decisions: list[Decision]


class Member(BaseModel):
    ref: int = Field(description="The citizen's reference in this run (for /citizens/{ref})")
    citizen: str
    active: bool
    exit_status: str | None
    group: str | None
    blocks_rate2: bool


class MemberFilter(BaseModel):
    """Which members to list; an empty value means "any" (what a page's form sends)."""

    status: str | None = Field(
        None, pattern=r"^[a-z_]{1,40}$", description="`active`, or an exit status such as `foertidspension`"
    )
    group: str | None = Field(
        None,
        pattern=r"^[a-z0-9_]{1,16}$",
        description="Visitation group on the as-of date, e.g. `1` or `mangler`",
    )
    blocks_rate2: bool | None = Field(
        None, description="Only citizens rate 2 waits for (or, false, only others)"
    )
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=500)

    @field_validator("status", "group", "blocks_rate2", mode="before")
    @classmethod
    def _empty_means_any(cls, value: Any) -> Any:
        return None if value == "" else value


class MembersPage(BaseModel):
    run_id: int
    municipality: str
    total: int
    page: int
    per_page: int
    members: list[Member]


class CitizenQuery(BaseModel):
    citizen_id: str = Field(
        pattern=CITIZEN_ID, description="A CPR number (with or without the dash) or a pseudonym"
    )


class Match(BaseModel):
    ref: int = Field(description="The citizen's reference in this run (for /citizens/{ref})")
    citizen: str


class SearchResult(BaseModel):
    run_id: int
    query: str = Field(description="The number searched for, as your role may see it")
    matches: list[Match] = Field(
        description="Your role sees CPR numbers in full: the citizen, if any. Masked: every citizen of the "
        "run shown as the number's DDMMYY-xxxx (the same answer whether the number is in the run or not)"
    )


class CitizenDetail(BaseModel):
    run_id: int
    ref: int
    citizen: str
    decisions: list[Decision]


class Change(BaseModel):
    municipality: str
    subject: str
    ref: int | None = Field(description="The citizen's reference in the later run (or the earlier one)")
    ref_run: int | None
    decision: str
    before: str
    after: str
    failed_before: list[str]
    failed_after: list[str]
    facts_changed: dict[str, list[Any]] = Field(description="fact: [before, after]")
    outcome: list[bool | None] = Field(description="Passed [before, after] (null: not evaluated)")
    exit_status: list[str | None] = Field(description="A member's exit status [before, after] (null: active)")


class DiffQuery(BaseModel):
    """Which two runs to compare, and which page of the changes to show."""

    first: int = Field(ge=1, le=2**31 - 1, description="The earlier run")
    second: int = Field(ge=1, le=2**31 - 1, description="The later run")
    page: int = Field(1, ge=1, le=100_000)
    municipality: str | None = Field(None, pattern=r"^\d{3}$", description="Only this municipality's changes")
    cross_programme: bool = Field(False, description="Compare runs of different programmes anyway")

    @field_validator("municipality", mode="before")
    @classmethod
    def _empty_means_any(cls, value: Any) -> Any:
        return None if value == "" else value


class DiffPage(BaseModel):
    first: int
    second: int
    municipality: str | None = Field(description="The municipality the page is limited to, if any")
    runs: dict[str, Any] = Field(
        description="The two runs (programme, as-of date, delivery, scope) and `notes`: what differs between them besides their results"
    )
    summary: dict[str, Any] | None = Field(
        description="On page 1: the citizens' changes counted, and per municipality what changed "
        "(figures, rates with their date and amount, months) before → after, with why"
    )
    total: int = Field(description="Citizens' changes in all (in the municipality, if one is asked for)")
    page: int
    per_page: int
    changes: list[Change]


class Difference(BaseModel):
    municipality: str
    subject: str | None
    what: str
    stored: Any
    replayed: Any


class VerificationJobOut(BaseModel):
    run_id: int
    state: str = Field(description="queued, running, finished (the outcome below) or failed (error says why)")
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    identical: bool | None
    decisions: int | None
    differences: int | None
    first: list[Difference]
    digest: str | None = Field(
        None, description="The digest stored when the run finished (null: before seals, or not checked yet)"
    )
    recomputed: str | None = Field(None, description="The digest of what the run stores now")
    sealed: bool | None = Field(
        None, description="The two digests agree (null: the run was never sealed, or not checked yet)"
    )
    chain: list[str] = Field([], description="Broken links of the chain of finished runs, in words")
    trusted: bool | None = Field(None, description="Identical, sealed (or before seals) and the chain intact")
    more: dict[str, Any] = Field(description="Whatever else the replay check reports")
