"""FSM1 facts: what the target-group rules of rules/fsm1/pack.yaml look at (SPEC section 4)."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from typing import Any

from engine.rules.facts.common import alive_on, lives_in, match_on, support_on
from models.codes import Programme
from models.domain import CitizenTimeline
from models.periods import (
    FOREVER,
    Span,
    clipped,
    covers,
    longest_uncovered,
    same_day_years_earlier,
    uncovered,
)

ONE_DAY = timedelta(days=1)
INTEGRATION = Programme.integrationsprogram


@cache
def lookback_window(cutoff: date, years: int) -> Span:
    """W = [D − years, D], inclusive; 29 February becomes 28 February."""
    return Span(same_day_years_earlier(cutoff, years), cutoff)


def membership_facts(
    timeline: CitizenTimeline, municipality: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts of the FSM1 membership rules, for one citizen and municipality at the cut-off date."""
    cutoff: date = params["cutoff_date"]
    window = lookback_window(cutoff, params["lookback_years"])
    codes = params["lookback_support"]
    supported = [s.span for s in timeline.support if s.support in codes]
    longest = longest_uncovered(supported, window)
    integration = (
        clipped((p.span for p in timeline.programmes if p.programme is INTEGRATION), window)
        if timeline.programmes
        else []
    )
    return {
        "resident_on_cutoff": lives_in(timeline, municipality, cutoff),
        "alive_on_cutoff": alive_on(timeline, cutoff),
        "death_date": timeline.death_date,
        "support_on_cutoff": support_on(timeline, cutoff),
        "match_on_cutoff": match_on(timeline, cutoff),
        "window_first_day": window.first,
        "window_last_day": window.last,
        "window_first_day_covered": covers(supported, window.first),
        "longest_break_days": 0 if longest is None else longest.days,
        "longest_break_first_day": None if longest is None else longest.first,
        "longest_break_last_day": None if longest is None else longest.last,
        "integration_programme_days_in_window": sum(span.days for span in integration),
        "integration_programme_last_day_in_window": integration[-1].last if integration else None,
    }


def first_day_away(timeline: CitizenTimeline, municipality: str, cutoff: date) -> date | None:
    """The first day after D on which the citizen did not live in K; None if they have lived there since."""
    spans = [r.span for r in timeline.residence if r.municipality == municipality]
    gap = next(uncovered(spans, Span(cutoff + ONE_DAY, FOREVER)), None)
    return None if gap is None else gap.first


def status_facts(timeline: CitizenTimeline, away: date | None, day: date) -> dict[str, Any]:
    """The facts of the FSM1 status rules: is a member still active on `day` (SPEC section 4)?
    `away` is the member's `first_day_away` after the cut-off date."""
    moved = away is not None and away <= day
    return {
        "day": day,
        "alive_on_day": alive_on(timeline, day),
        "death_date": timeline.death_date,
        "stayed_in_municipality": not moved,
        "first_day_away": away if moved else None,
        "support_on_day": support_on(timeline, day),
    }


def active_spans(
    timeline: CitizenTimeline, away: date | None, cutoff: date, current_support: Iterable[str]
) -> list[Span]:
    """The days from D on which a member is active: alive, never away from K since D (`away` is the
    first day they were), on a current support."""
    last = FOREVER
    if timeline.death_date is not None:
        last = min(last, timeline.death_date - ONE_DAY)
    if away is not None:
        last = min(last, away - ONE_DAY)
    if last < cutoff:
        return []
    return clipped((s.span for s in timeline.support if s.support in current_support), Span(cutoff, last))
