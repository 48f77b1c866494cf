"""The status of one municipality's project on a date: the shape of `fsm status --json` (SPEC sections 4, 5)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

Money = Annotated[Decimal, PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str, when_used="json")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RateResult(Frozen):
    rate: int
    triggered: bool
    date: date | None
    amount: Money
    blocked_by: dict[str, Any] | None = None
    """When not triggered: what a project leader can act on (who is not visitated; activity missing per month)."""


class MonthResult(Frozen):
    month: str
    effort_group: int
    in_activity: int
    qualifies: bool
    needed: int | None
    """How many more effort-group members in activity would have made the month qualify (0 if it
    does); None when its effort group is empty: then it cannot qualify."""


class GrantYearAmount(Frozen):
    year: int
    amount: Money


class MunicipalityStatus(Frozen):
    municipality: str
    programme: str
    as_of: date
    grant: Money
    members: int
    active: int
    exits: dict[str, int]
    visitation: dict[str, int]
    rates: list[RateResult]
    months: list[MonthResult]
    warnings: list[str] = []
    grant_years: list[GrantYearAmount] = []
    """The grant budgeted by year (FSM2), as delivered; a schedule that does not add up is a warning."""
