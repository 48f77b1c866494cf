"""Domain models (pydantic v2): a citizen's timeline and a municipality's grant, as SPEC section 3 defines them.

Periods are inclusive at both ends; `to` empty means open-ended. Models are frozen and reject unknown
fields, so a typo in a citizen file is an error that names the field, never a silent default.
"""

from collections import deque
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from models import cpr
from models.codes import (
    GROUPS_BY_PROGRAMME,
    Activity,
    GrantProgramme,
    MatchCategory,
    Programme,
    Support,
    VisitationGroup,
)
from models.periods import Span, closed

T = TypeVar("T")
MUNICIPALITY_PATTERN = r"^\d{3}$"
MARKING_PATTERN = r"^[a-z][a-z_]{0,39}$"


def _citizen_id(value: str) -> str:
    value = value.strip()
    if cpr.is_cpr(value):
        cpr.birth_date(value)  # raises CprError (a ValueError) for an impossible date
        return cpr.normalise(value)
    if not cpr.PSEUDONYM_PATTERN.match(value):
        raise ValueError(
            "must be a CPR number (DDMMYYSSSS or DDMMYY-SSSS) or a pseudonym [A-Za-z0-9_-]{1,64}"
        )
    return value


CitizenId = Annotated[str, AfterValidator(_citizen_id)]
MunicipalityCode = Annotated[str, Field(pattern=MUNICIPALITY_PATTERN)]


class _computed_once(Generic[T]):  # noqa: N801 - used as a decorator, like functools.cached_property
    """A property computed on first use and kept in the record (frozen: it never changes). Like
    `functools.cached_property`, without the lock Python 3.11 takes on every first use — spans are
    asked of hundreds of thousands of records in a run."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    def __get__(self, record: Any, owner: type | None = None) -> T:
        if record is None:
            return self  # type: ignore[return-value]
        value = record.__dict__[self.name] = self.compute(record)
        return value


class Record(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, ignored_types=(_computed_once,)
    )


class Period(Record):
    """An inclusive period; `to` may be empty (open-ended)."""

    start: date = Field(alias="from")
    end: date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self

    @_computed_once
    def span(self) -> Span:
        return closed(self.start, self.end)

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Residence(Period):
    municipality: MunicipalityCode


class SupportPeriod(Period):
    support: Support


class MatchPeriod(Period):
    category: MatchCategory


class ProgrammePeriod(Period):
    programme: Programme


class ActivityPeriod(Period):
    activity: Activity


class Exemption(Period):
    marking: Annotated[str, Field(pattern=MARKING_PATTERN)]


class Visitation(Record):
    programme: GrantProgramme
    day: date = Field(alias="date")
    group: VisitationGroup

    @model_validator(mode="after")
    def _group_belongs_to_programme(self) -> Self:
        allowed = GROUPS_BY_PROGRAMME[self.programme]
        if self.group not in allowed:
            names = ", ".join(sorted(g.value for g in allowed))
            raise ValueError(f"group {self.group.value!r} is not a {self.programme.value} group ({names})")
        return self


def first_overlap(periods: Sequence[Period]) -> tuple[int, int, date] | None:
    """Indexes of two periods that share a day, and the first shared day; None when none overlap."""
    order = sorted(range(len(periods)), key=lambda i: periods[i].start)
    for earlier, later in zip(order, order[1:], strict=False):
        if periods[earlier].covers(periods[later].start):
            return min(earlier, later), max(earlier, later), periods[later].start
    return None


NON_OVERLAPPING = ("residence", "support", "match")


class CitizenTimeline(Record):
    """Everything known about one citizen (one JSON file of `fsm evaluate`, or one citizen of a delivery)."""

    citizen_id: CitizenId
    birth_date: date | None = None
    death_date: date | None = None
    residence: tuple[Residence, ...] = ()
    support: tuple[SupportPeriod, ...] = ()
    match: tuple[MatchPeriod, ...] = ()
    programmes: tuple[ProgrammePeriod, ...] = ()
    visitations: tuple[Visitation, ...] = ()
    activities: tuple[ActivityPeriod, ...] = ()
    exemptions: tuple[Exemption, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for field in NON_OVERLAPPING:
            periods = getattr(self, field)
            overlap = first_overlap(periods)
            if overlap is not None:
                a, b, day = overlap
                raise ValueError(f"{field}[{a}] and {field}[{b}] overlap (both cover {day})")
        for marking in {e.marking for e in self.exemptions}:  # markings may overlap; one marking may not
            indexes = [i for i, e in enumerate(self.exemptions) if e.marking == marking]
            overlap = first_overlap([self.exemptions[i] for i in indexes])
            if overlap is not None:
                a, b, day = overlap
                raise ValueError(
                    f"exemptions[{indexes[a]}] and exemptions[{indexes[b]}] overlap: {marking} twice on {day}"
                )
        seen: set[tuple[GrantProgramme, date]] = set()
        for index, visitation in enumerate(self.visitations):
            key = (visitation.programme, visitation.day)
            if key in seen:
                raise ValueError(
                    f"visitations[{index}]: a second {visitation.programme.value} visitation on {visitation.day}"
                )
            seen.add(key)
        if self.birth_date is None and not cpr.is_cpr(self.citizen_id):
            raise ValueError("birth_date is required when citizen_id is a pseudonym, not a CPR number")
        return self

    @property
    def born(self) -> date:
        """The given birth date, or the one the CPR number encodes."""
        if self.birth_date is not None:
            return self.birth_date
        derived = cpr.birth_date(self.citizen_id)
        assert derived is not None  # guaranteed by _consistent
        return derived


def _two_decimals(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("an amount has at most 2 decimals (kr and øre)")
    return value


Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), AfterValidator(_two_decimals)]


class Grant(Record):
    municipality: MunicipalityCode
    programme: GrantProgramme
    amount: Amount
    approved_on: date
    project_start: date
    project_end: date

    @model_validator(mode="after")
    def _project_period(self) -> Self:
        if self.project_end < self.project_start:
            raise ValueError(
                f"project_end ({self.project_end}) is before project_start ({self.project_start})"
            )
        return self

    @property
    def project(self) -> Span:
        return Span(self.project_start, self.project_end)


class GrantYear(Record):
    municipality: MunicipalityCode
    programme: GrantProgramme
    year: int = Field(ge=2000, le=2100)
    amount: Amount


_set = object.__setattr__
M = TypeVar("M", bound=BaseModel)


def trusted(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """A maker of records from values that were validated when they were imported (read back from
    our own database): no validation, ~4× cheaper than `model_construct`, which the nightly run
    needs for its half a million records. The values must name every field; the records share one
    fields set (they are frozen, nothing changes it). tests/test_db_timelines.py checks that the
    records equal `model_validate` of the same values."""
    fields_set = set(model.model_fields)

    def make(values: dict[str, Any]) -> M:
        record = model.__new__(model)
        _set(record, "__dict__", values)
        _set(record, "__pydantic_fields_set__", fields_set)
        _set(record, "__pydantic_extra__", None)
        _set(record, "__pydantic_private__", None)
        return record

    return make


def trusted_columns(model: type[M], names: Sequence[str], columns: Sequence[Sequence[Any]]) -> list[M]:
    """Records as `trusted` makes them, from columns of values (one per field, in the order of
    `names`, which name every field): made column by column by builtins, with no Python call per
    record — a national run reads a million of them, most of them distinct."""
    count = len(columns[0])
    records = list(map(model.__new__, repeat(model, count)))
    values = map(dict, map(zip, repeat(names), zip(*columns, strict=True)))
    deque(map(_set, records, repeat("__dict__"), values), maxlen=0)
    fields_set = set(model.model_fields)
    for name, value in (
        ("__pydantic_fields_set__", fields_set),
        ("__pydantic_extra__", None),
        ("__pydantic_private__", None),
    ):
        deque(map(_set, records, repeat(name), repeat(value, count)), maxlen=0)
    return records
