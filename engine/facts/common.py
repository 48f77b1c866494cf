"""Facts every programme asks of a timeline on one day."""

from collections.abc import Iterable
from datetime import date

from models.domain import CitizenTimeline, Period


def covering(periods: Iterable[Period], day: date) -> Period | None:
    """The period covering `day` (timelines have no overlapping periods of one kind)."""
    return next((p for p in periods if p.covers(day)), None)


def alive_on(timeline: CitizenTimeline, day: date) -> bool:
    """Alive on `day` unless a death date on or before it is recorded (SPEC section 2)."""
    return timeline.death_date is None or timeline.death_date > day


def lives_in(timeline: CitizenTimeline, municipality: str, day: date) -> bool:
    return any(r.municipality == municipality and r.covers(day) for r in timeline.residence)


def support_on(timeline: CitizenTimeline, day: date) -> str | None:
    period = covering(timeline.support, day)
    return None if period is None else period.support.value


def match_on(timeline: CitizenTimeline, day: date) -> str | None:
    period = covering(timeline.match, day)
    return None if period is None else period.category.value
