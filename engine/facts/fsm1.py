"""FSM1 facts: what the target-group rules of rules/fsm1/pack.yaml look at (SPEC section 4)."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.facts.common import alive_on, lives_in, match_on, support_on
from engine.periods import Span, clipped, covers, longest_uncovered, same_day_years_earlier
from models.codes import Programme
from models.domain import CitizenTimeline


def lookback_window(cutoff: date, years: int) -> Span:
    """W = [D − years, D], inclusive; 29 February becomes 28 February."""
    return Span(same_day_years_earlier(cutoff, years), cutoff)


def membership_facts(
    timeline: CitizenTimeline, municipality: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts of the FSM1 membership rules, for one citizen and municipality at the cut-off date."""
    cutoff: date = params["cutoff_date"]
    window = lookback_window(cutoff, params["lookback_years"])
    lookback_codes = set(params["lookback_support"])
    supported = [s.span for s in timeline.support if s.support.value in lookback_codes]
    longest = longest_uncovered(supported, window)
    integration = clipped(
        (p.span for p in timeline.programmes if p.programme is Programme.integrationsprogram), window
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
