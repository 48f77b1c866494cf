"""Forecast: project the current pace to the end of the project period, as a generated scenario.

Measured on a day F from the base data: the pace of visitation (members visitated for the first time
per week in a recent window) and the trend of the monthly share of the effort group in counting
activity (a straight line through the last few months ended by F). The projection then visitates
the members still waiting at that pace, in ascending citizen id order and in the groups of the
window's visitations, and gives counting activity to just enough effort-group members of each later
month to follow the trend. Those generated changes are evaluated with the same rules as any scenario;
the rules, not this module, decide whether and when rates trigger.
"""

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil

from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.operations import Context, State, apply
from engine.faces.simulate.scenario import AddActivity, Change, ForecastOptions, Visitate
from engine.faces.simulate.terms import Terms
from engine.rules.programmes import MunicipalityResult
from models.domain import Grant
from models.periods import Span, months_inside
from models.status import MonthResult

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Pace:
    """What was measured on `start` (F)."""

    start: date
    window: Span
    first_visitations: int
    groups: Mapping[str, int]
    """The groups of the window's first visitations."""
    waiting: tuple[str, ...]
    """Members still to be visitated on F with no visitation at all, ascending."""
    months: tuple[MonthResult, ...]
    """The months the activity trend is drawn through (the last ones ended by F)."""
    slope: Fraction
    """The trend's change of share per month."""

    @property
    def weeks(self) -> int:
        return self.window.days // 7

    @property
    def per_week(self) -> Fraction:
        return Fraction(self.first_visitations, self.weeks)

    def share(self, month: str) -> Fraction:
        """The trend's share in `month` ("YYYY-MM"), kept between 0 and 1."""
        points = _points(self.months)
        if not points:
            return Fraction(0)
        middle = Fraction(sum(x for x, _ in points), len(points))
        level = sum((s for _, s in points), Fraction(0)) / len(points)
        x = _index(month) - _index(self.months[0].month)
        return min(Fraction(1), max(Fraction(0), level + self.slope * (x - middle)))


@dataclass(frozen=True)
class Projection:
    programme: str
    pace: Pace
    end: date
    activity: str
    changes: tuple[Change, ...]
    visitated: int
    activities: int

    @property
    def assumption(self) -> str:
        """The forecast's assumption in English (the JSON document's)."""
        return self.assumption_in(ENGLISH)

    def assumption_in(self, t: Texts) -> str:
        """The forecast's assumption in words (shown in every output)."""
        pace = self.pace
        window = t._(
            "the %(weeks)s weeks %(first)s to %(last)s",
            weeks=pace.weeks,
            first=t.date(pace.window.first),
            last=t.date(pace.window.last),
        )
        waiting, start = t.integer(len(pace.waiting)), t.date(pace.start)
        if pace.first_visitations:
            mix = ", ".join(
                f"{t.group(self.programme, group)}: {t.integer(n)}" for group, n in pace.groups.items()
            )
            visits = t._(
                "Visitation: %(first)s members were visitated for the first time in %(window)s (%(pace)s a week); "
                "the %(waiting)s members still to be visitated on %(start)s are visitated at that pace in ascending "
                "citizen id order, in the proportions of those visitations' groups (%(mix)s): %(visitated)s by %(end)s.",
                first=t.integer(pace.first_visitations),
                window=window,
                pace=t.decimal(_rounded(pace.per_week, 1)),
                waiting=waiting,
                start=start,
                mix=mix,
                visitated=t.integer(self.visitated),
                end=t.date(self.end),
            )
        else:
            visits = t._(
                "Visitation: nobody was visitated for the first time in %(window)s: at that pace the %(waiting)s "
                "members still to be visitated on %(start)s never are.",
                window=window,
                waiting=waiting,
                start=start,
            )
        if pace.months:
            shares = ", ".join(
                f"{t.month(m.month)}: "
                + (
                    t.percent(Fraction(m.in_activity, m.effort_group))
                    if m.effort_group
                    else t._("no effort group")
                )
                for m in pace.months
            )
            activity = t._(
                "Activity: the share of the effort group in counting activity follows the straight-line trend of "
                "%(shares)s (%(slope)s percentage points a month), kept between 0 and 100 per cent: in each later "
                "month short of it, effort-group members without activity that month get %(activity)s to the "
                "month's end, in ascending citizen id order (%(activities)s such activities).",
                shares=shares,
                slope=t.decimal(_rounded(pace.slope * 100, 1)),
                activity=t.code("activity", self.activity),
                activities=t.integer(self.activities),
            )
        else:
            activity = t._(
                "Activity: no month of the project had ended by %(start)s: no activity trend, no activity added.",
                start=start,
            )
        return t._(
            "Forecast from %(start)s to %(end)s. %(visits)s %(activity)s Everything already in the data stays as "
            "it is (also what is dated after %(start)s); nobody else leaves the project; the rule pack's "
            "parameters are those in force.",
            start=start,
            end=t.date(self.end),
            visits=visits,
            activity=activity,
        )


def measure(options: ForecastOptions, start: date, context: Context, at_start: MunicipalityResult) -> Pace:
    """The pace on `start`: `context` and `at_start` are the base data's evaluation as of `start`."""
    window = Span(start - timedelta(weeks=options.window_weeks) + ONE_DAY, start)
    firsts = [
        m
        for m in context.members.values()
        if m.first_visit is not None and window.first <= m.first_visit <= start
    ]
    groups = Counter(m.group_on(m.first_visit) for m in firsts if m.first_visit is not None)
    waiting = tuple(
        cid for cid, m in context.members.items() if m.first_visit is None and m.still_to_visitate(start)
    )
    months = tuple(at_start.status.months[-options.trend_months :])
    return Pace(
        start=start,
        window=window,
        first_visitations=len(firsts),
        groups={group: groups[group] for group in sorted(groups, key=str)},
        waiting=waiting,
        months=months,
        slope=_slope(_points(months)),
    )


def project(
    pace: Pace,
    terms: Terms,
    state: State,
    at_start: MunicipalityResult,
    grant: Grant,
    end: date,
    context: Callable[[State], Context],
) -> Projection:
    """The changes that continue the pace from the day after F to `end` (`at_start`: the evaluation
    of `state` as of F; `context`: what operations see of a state, judged on `at_start`)."""
    visits = _visitations(pace, end)
    before = context(state)
    for change in visits:
        state = apply(change, state, before).state
    visited = context(state)
    code = _activity(visited, state)
    added = _activities(pace, visited, grant, end, code)
    return Projection(
        programme=terms.programme,
        pace=pace,
        end=end,
        activity=code,
        changes=(*visits, *added),
        visitated=sum(len(c.citizens or ()) for c in visits),
        activities=sum(len(c.citizens or ()) for c in added),
    )


def _visitations(pace: Pace, end: date) -> list[Visitate]:
    """The waiting members' visitations at the pace: the k-th on F + ⌈7k / pace⌉ days, up to `end`."""
    if not pace.first_visitations:
        return []
    groups = apportioned(pace.groups, len(pace.waiting))
    planned: dict[tuple[date, str], list[str]] = {}
    for k, (citizen, group) in enumerate(zip(pace.waiting, groups, strict=True), start=1):
        day = pace.start + timedelta(days=ceil(7 * k / pace.per_week))
        if day > end:
            break
        planned.setdefault((day, group), []).append(citizen)
    return [
        Visitate.model_validate({"op": "visitate", "date": day, "group": group, "citizens": citizens})
        for (day, group), citizens in sorted(planned.items())
    ]


def apportioned(mix: Mapping[str, int], n: int) -> list[str]:
    """`n` groups in the proportions of `mix`, spread evenly: each next one is the group furthest
    below its share so far (ties: the first in `mix`)."""
    total = sum(mix.values())
    given: Counter[str] = Counter()
    chosen = []
    for k in range(1, n + 1):
        group = max(mix, key=lambda g: Fraction(k * mix[g], total) - given[g])
        given[group] += 1
        chosen.append(group)
    return chosen


def _activity(context: Context, state: State) -> str:
    """The counting activity members have most often (ties, or none: the parameter's order)."""
    order = list(context.params[context.terms.counting_activities])
    used = Counter(
        a.activity.value
        for cid in context.members
        for a in state.timelines[cid].activities
        if a.activity.value in order
    )
    return max(order, key=lambda code: (used[code], -order.index(code)))


def _activities(pace: Pace, context: Context, grant: Grant, end: date, code: str) -> list[AddActivity]:
    """For each month after F up to `end`: activity for as many effort-group members as the trend wants."""
    if not pace.months:
        return []
    added = []
    for month in months_inside(grant.project):
        if month.last <= pace.start or month.last > end:
            continue
        label = f"{month.first:%Y-%m}"
        effort = [cid for cid, m in context.members.items() if m.in_effort_group(month)]
        counted = sum(context.members[cid].counted_in(month) for cid in effort)
        short = ceil(pace.share(label) * len(effort)) - counted
        idle = [cid for cid in effort if context.members[cid].activity_days(month) == 0][: max(short, 0)]
        if idle:
            added.append(
                AddActivity.model_validate(
                    {
                        "op": "add_activity",
                        "activity": code,
                        "from": max(month.first, pace.start + ONE_DAY),
                        "to": month.last,
                        "citizens": idle,
                    }
                )
            )
    return added


def _index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number)


def _points(months: Sequence[MonthResult]) -> list[tuple[int, Fraction]]:
    """(months since the first, share) of the months with an effort group."""
    if not months:
        return []
    first = _index(months[0].month)
    return [
        (_index(m.month) - first, Fraction(m.in_activity, m.effort_group)) for m in months if m.effort_group
    ]


def _slope(points: Sequence[tuple[int, Fraction]]) -> Fraction:
    """The least-squares slope through the points, exactly (0 for fewer than two)."""
    if len(points) < 2:
        return Fraction(0)
    mx = Fraction(sum(x for x, _ in points), len(points))
    my = sum((y for _, y in points), Fraction(0)) / len(points)
    spread = sum((x - mx) ** 2 for x, _ in points)
    return sum(((x - mx) * (y - my) for x, y in points), Fraction(0)) / spread


def _rounded(value: Fraction, places: int) -> Decimal:
    """An exact fraction as a decimal, rounded half-up to `places`."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def decimal_text(value: Fraction, places: int) -> str:
    """An exact fraction as a decimal text, rounded to `places` (the JSON document's numbers)."""
    return str(_rounded(value, places))
