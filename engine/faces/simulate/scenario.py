"""A scenario file's contents (pydantic v2): the base data, the as-of date and the changes to try.

Every change is one operation, told apart by its `op`. An operation that acts on citizens picks
them with `count` (a number, `all`, or a percentage such as `25%`, of the members it applies to, in
ascending citizen id order) or names them with `citizens`. Checks that need the base data (dates
inside the project, known citizens, parameter names and values) are in engine/faces/simulate/checks.py.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from math import ceil
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    model_validator,
)

from engine.faces.simulate import phrases
from models.codes import Activity, Support
from models.domain import CitizenId

OPERATIONS = ("visitate", "add_activity", "end_activity", "move_group", "exit", "set_parameter")
EXIT_EVENTS = ("doed", "fraflyttet", "ingen_registrering")
"""Exit reasons that are not a support code: death, moving out, and support simply ending."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class Count:
    """How many of the members an operation applies to: all, a number, or a percentage (rounded up)."""

    number: int | None = None
    percent: Decimal | None = None

    def of(self, eligible: int) -> int:
        if self.number is not None:
            return self.number
        if self.percent is not None:
            return ceil(self.percent * eligible / 100)
        return eligible

    def __str__(self) -> str:
        if self.number is not None:
            return str(self.number)
        return "all" if self.percent is None else f"{self.percent}%"


def _count(value: Any) -> Count:
    problem = phrases.COUNT()
    if isinstance(value, bool):
        raise ValueError(problem)
    if isinstance(value, int):
        if value < 1:
            raise ValueError(problem)
        return Count(number=value)
    if isinstance(value, str) and value.strip() == "all":
        return Count()
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            percent = Decimal(value.strip()[:-1])
        except InvalidOperation:
            raise ValueError(problem) from None
        if percent.is_finite() and 0 < percent <= 100:
            return Count(percent=percent)
    raise ValueError(problem)


def _text(value: Any) -> Any:
    """A group or municipality written without quotes (`group: 2`, `municipality: 851`) is meant as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


CountField = Annotated[Count, PlainValidator(_count), PlainSerializer(str, return_type=str)]
Group = Annotated[str, BeforeValidator(_text)]
Municipality = Annotated[
    str, BeforeValidator(lambda v: f"{v:03d}" if type(v) is int else v), Field(pattern=r"^\d{3}$")
]


class Selected(Frozen):
    """An operation on citizens: `count` of the members it applies to, or the `citizens` named."""

    count: CountField | None = None
    citizens: tuple[CitizenId, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> Self:
        if (self.count is None) == (self.citizens is None):
            raise ValueError(phrases.COUNT_OR_CITIZENS())
        if self.citizens is not None and len(set(self.citizens)) < len(self.citizens):
            raise ValueError(phrases.NAMED_TWICE())
        return self


class Visitate(Selected):
    """Members with no visitation on or before `date` get one on `date`, in `group`."""

    op: Literal["visitate"]
    day: date = Field(alias="date")
    group: Group
    only_active: bool = False
    """Only members active on `date` (by default every member without a visitation)."""


class AddActivity(Selected):
    """Effort-group members of the month of `from` with no counting activity in that month get one."""

    op: Literal["add_activity"]
    activity: Activity
    start: date = Field(alias="from")
    days: int | None = Field(default=None, ge=1)
    end: date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _one_length(self) -> Self:
        if (self.days is None) == (self.end is None):
            raise ValueError(phrases.DAYS_OR_TO())
        if self.end is not None and self.end < self.start:
            raise ValueError(phrases.TO_BEFORE_FROM(to=self.end, start=self.start))
        return self

    @property
    def last(self) -> date:
        """The activity's last day."""
        if self.end is not None:
            return self.end
        return date.fromordinal(self.start.toordinal() + (self.days or 1) - 1)


class EndActivity(Selected):
    """Members with a counting activity (or one of `activity`) running on `date` and after it: it ends on `date`."""

    op: Literal["end_activity"]
    day: date = Field(alias="date")
    activity: Activity | None = None


class MoveGroup(Selected):
    """Visitated members whose group on `date` is another (or `from_group`) get a visitation into `group` on `date`."""

    op: Literal["move_group"]
    day: date = Field(alias="date")
    group: Group
    from_group: Group | None = None


def _reason(value: Any) -> str:
    if isinstance(value, str) and (value in EXIT_EVENTS or value in Support.__members__):
        return value
    raise ValueError(phrases.EXIT_REASON(events=", ".join(EXIT_EVENTS), codes=", ".join(Support)))


class Exit(Selected):
    """Members active on `date` leave from `date`: they die, move out, or change to the support `reason`."""

    op: Literal["exit"]
    day: date = Field(alias="date")
    reason: Annotated[str, PlainValidator(_reason)]


class SetParameter(Frozen):
    """A reform: the pack's parameter `name` has `value` for the whole evaluation."""

    op: Literal["set_parameter"]
    name: str
    value: Any


Change = Annotated[
    Visitate | AddActivity | EndActivity | MoveGroup | Exit | SetParameter, Field(discriminator="op")
]
CitizenChange = Visitate | AddActivity | EndActivity | MoveGroup | Exit


def change_day(change: CitizenChange) -> tuple[str, date]:
    """The key and the day a change on citizens happens on."""
    if isinstance(change, AddActivity):
        return "from", change.start
    return "date", change.day


@dataclass(frozen=True)
class BaseRef:
    """Where the base data comes from: the latest finished run's, a run's, or a delivery folder's."""

    run: int | None = None
    folder: str | None = None

    def __str__(self) -> str:
        if self.folder is not None:
            return self.folder
        return "latest" if self.run is None else str(self.run)


def _base(value: Any) -> BaseRef:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return BaseRef(run=value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return BaseRef() if text == "latest" else BaseRef(folder=text)
    raise ValueError(phrases.BASE())


class ForecastOptions(Frozen):
    """How a forecast measures the current pace (see engine/faces/simulate/forecast.py)."""

    start: date | None = Field(default=None, alias="from")
    """The day the pace is measured on and projected from (default: the base run's as-of date)."""
    window_weeks: int = Field(default=8, ge=1, le=104)
    trend_months: int = Field(default=3, ge=1, le=24)


class Scenario(Frozen):
    municipality: Municipality
    programme: str = "fsm1"
    base: Annotated[BaseRef, PlainValidator(_base), PlainSerializer(str, return_type=str)] = BaseRef()
    as_of: date | None = None
    """Evaluate baseline and scenario as of this date (default: the base run's as-of date)."""
    title: str | None = None
    changes: tuple[Change, ...] = ()
    forecast: ForecastOptions | None = None
