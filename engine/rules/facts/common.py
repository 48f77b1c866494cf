"""Facts every programme asks of a timeline on one day."""

from collections.abc import Iterable
from datetime import date
from typing import TypeVar

from models.codes import text
from models.domain import CitizenTimeline, Period

P = TypeVar("P", bound=Period)


def covering(periods: Iterable[P], day: date) -> P | None:
    """The period covering `day` (timelines have no overlapping periods of one kind)."""
    for period in periods:
        if period.start <= day and (period.end is None or day <= period.end):
            return period
    return None


def alive_on(timeline: CitizenTimeline, day: date) -> bool:
    """Alive on `day` unless a death date on or before it is recorded (SPEC section 2)."""
    return timeline.death_date is None or timeline.death_date > day


def lives_in(timeline: CitizenTimeline, municipality: str, day: date) -> bool:
    period = covering(timeline.residence, day)
    return period is not None and period.municipality == municipality


def support_on(timeline: CitizenTimeline, day: date) -> str | None:
    period = covering(timeline.support, day)
    return None if period is None else text(period.support)


def match_on(timeline: CitizenTimeline, day: date) -> str | None:
    period = covering(timeline.match, day)
    return None if period is None else text(period.category)
