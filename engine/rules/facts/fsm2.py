"""FSM2 facts (SPEC section 6): what the rules of rules/fsm2/pack.yaml look at.

Eligibility is decided by the rules on *segments*: runs of days on which none of the facts the
eligibility rules look at can change (a period of residence, support, match or programme starts or
ends, the citizen dies, has a birthday, or the pack's parameters change). Participation, the effort
group and the counted months are then spans of days derived from the eligible segments.
"""

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from engine.rules.facts.common import alive_on, lives_in, match_on, support_on
from models.codes import GrantProgramme, text
from models.domain import CitizenTimeline
from models.periods import (
    FOREVER,
    Span,
    age_on,
    birthday_in,
    clipped,
    covered_days,
    difference,
    intersection,
    merged,
    uncovered,
)

ONE_DAY = timedelta(days=1)
FSM2 = GrantProgramme.fsm2


def eligibility_facts(
    timeline: CitizenTimeline, municipality: str, day: date, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The facts of the eligibility rules on one day (with the parameters in force that day)."""
    programmes = tuple(sorted(text(p.programme) for p in timeline.programmes if p.covers(day)))
    excluded = params["excluded_programmes"]
    born = timeline.born
    return {
        "day": day,
        "resident_on_day": lives_in(timeline, municipality, day),
        "alive_on_day": alive_on(timeline, day),
        "death_date": timeline.death_date,
        "match_on_day": match_on(timeline, day),
        "birth_date": born,
        "age_on_day": age_on(born, day),
        "support_on_day": support_on(timeline, day),
        "programmes_on_day": programmes,
        "excluded_programme_on_day": next((p for p in programmes if p in excluded), None),
    }


def changes(timeline: CitizenTimeline, years: Iterable[int]) -> set[date]:
    """The days on which an eligibility fact may change (see the module docstring), with the
    birthdays of `years`."""
    cuts = set()
    for periods in (timeline.residence, timeline.support, timeline.match, timeline.programmes):
        for period in periods:
            cuts.add(period.start)
            if period.end is not None:
                cuts.add(period.end + ONE_DAY)
    if timeline.death_date is not None:
        cuts.add(timeline.death_date)
    born = timeline.born
    cuts.update(birthday_in(born, year) for year in years)
    return cuts


def segments(timeline: CitizenTimeline, window: Span, pack_changes: Iterable[date]) -> list[Span]:
    """The window cut at every day on which an eligibility fact may change (see the module docstring)."""
    cuts = changes(timeline, range(window.first.year, window.last.year + 1)) | set(pack_changes)
    starts = [window.first, *sorted(d for d in cuts if window.first < d <= window.last)]
    return [Span(a, b - ONE_DAY) for a, b in zip(starts, starts[1:], strict=False)] + [
        Span(starts[-1], window.last)
    ]


def leaving_days(
    timeline: CitizenTimeline, municipality: str, window: Span, leaving_support: Sequence[str]
) -> list[tuple[Span, str]]:
    """The days of the window that end a participation, with why: `doed`, `fraflyttet` (not living in
    the municipality) or the leaving support itself (e.g. `folkepension`), in that order of precedence."""
    reasons: list[tuple[Span, str]] = []
    if timeline.death_date is not None and timeline.death_date <= window.last:
        reasons.append((Span(max(timeline.death_date, window.first), window.last), "doed"))
    home = [r.span for r in timeline.residence if r.municipality == municipality]
    reasons.extend((gap, "fraflyttet") for gap in uncovered(home, window))
    for period in timeline.support:
        if period.support in leaving_support:
            reasons.extend((span, text(period.support)) for span in clipped([period.span], window))
    return reasons


PRECEDENCE = {"doed": 0, "fraflyttet": 1}
"""When several things end a participation on the same day, the one reported (a leaving support last)."""


def first_leaving(reasons: Sequence[tuple[Span, str]], after: date, until: date) -> tuple[date, str] | None:
    """The first day in (after, until] that ends a participation, and why."""
    candidates = [
        (max(span.first, after + ONE_DAY), PRECEDENCE.get(why, len(PRECEDENCE)), why)
        for span, why in reasons
        if span.last > after
    ]
    found = min((c for c in candidates if c[0] <= until), default=None)
    return None if found is None else (found[0], found[2])


def participation(eligible: Sequence[Span], reasons: Sequence[tuple[Span, str]], window: Span) -> list[Span]:
    """The days a citizen participates: from each eligible day until the day before something ends it."""
    spans = []
    for span in merged(eligible):
        ended = first_leaving(reasons, span.last, window.last)
        spans.append(Span(span.first, window.last if ended is None else ended[0] - ONE_DAY))
    return merged(spans)


def visits(timeline: CitizenTimeline) -> list[tuple[date, str]]:
    """The FSM2 visitations (day, group), in order (one per day: a second one is bad input)."""
    return sorted((v.day, text(v.group)) for v in timeline.visitations if v.programme is FSM2)


def group_spans(visited: Sequence[tuple[date, str]], group: str) -> list[Span]:
    """The days on which the latest visitation puts the citizen in `group` (groups are not locked)."""
    spans = [
        Span(day, visited[i + 1][0] - ONE_DAY if i + 1 < len(visited) else FOREVER)
        for i, (day, found) in enumerate(visited)
        if found == group
    ]
    return merged(spans)


def group_on(visited: Sequence[tuple[date, str]], day: date) -> str | None:
    """The group of the latest visitation on or before `day`."""
    index = bisect_right([d for d, _ in visited], day)
    return visited[index - 1][1] if index else None


def effort_days(
    timeline: CitizenTimeline,
    visited: Sequence[tuple[date, str]],
    participating: Sequence[Span],
    effort_group: str,
) -> list[Span]:
    """The days a citizen participates, is in the effort group and has no exemption marking."""
    in_group = intersection(participating, group_spans(visited, effort_group))
    return difference(in_group, [e.span for e in timeline.exemptions])


def counted_months(
    timeline: CitizenTimeline, effort: Sequence[Span], months: Sequence[Span], params: Mapping[str, Any]
) -> tuple[int, int]:
    """Of `months`, as bits (bit i: the i-th month): those in which the citizen is in the effort group
    on some day, and those in which they are also touched by a counted activity."""
    counting = params["counted_activities"]
    activity = [a.span for a in timeline.activities if a.activity in counting]
    in_effort = counted = 0
    for i, month in enumerate(months):
        if any(s.first <= month.last and s.last >= month.first for s in effort):
            in_effort |= 1 << i
            if activity and covered_days(activity, month) >= params["min_activity_days"]:
                counted |= 1 << i
    return in_effort, counted
