"""Charts, drawn off-screen by matplotlib as SVG (inline in web pages) or PNG (files), in a language's
words and formats (axis labels, ticks `40 %` and `mar. 2018`, legends: engine/faces/i18n), each with its
data as a table — the text alternative a page shows with the chart.

`share_chart` draws the monthly share of the effort group in counting activity against the
thresholds of a pack — one line per series (a run; or a simulation's baseline and scenario) —
with the qualifying months marked. The shares are drawn as floats: a picture, never a decision
(decisions compare exactly, in the rules). `timeline_chart` draws one citizen's timeline as
lanes of periods (residence, support, activities, …) with visitations as points.
"""

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from matplotlib import rcParams
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from engine.faces.i18n import ENGLISH, N_, Texts
from models.domain import CitizenTimeline, Record, Visitation
from models.status import MonthResult

rcParams["svg.hashsalt"] = "fsm"  # the same chart gives the same SVG, byte for byte
rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and drawn in the page's own font
Format = Literal["svg", "png"]
COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad")


@dataclass(frozen=True)
class ShareSeries:
    label: str
    months: Sequence[MonthResult]


@dataclass(frozen=True)
class ChartTable:
    """A chart's data as a table of texts (the chart's text alternative): a caption, column headings, rows."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


THRESHOLDS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "fsm1": ((N_("rate 3: %(share)s"), "rate3_share", None),),
    "fsm2": (
        (
            N_("rate 2, first step (%(payout)s of the grant)"),
            "rate2_first_step_share",
            "rate2_first_step_payout",
        ),
        (N_("rate 2, the whole rest"), "rate2_full_step_share", None),
    ),
}
"""The lines a programme's share chart is drawn against: a label, the parameter with the share it
asks, and the parameter with what it pays (SPEC sections 5 and 6)."""


def share_thresholds(programme: str, params: Mapping[str, Any], t: Texts = ENGLISH) -> dict[str, Decimal]:
    """The threshold lines of `programme` under `params`, by their label in `t`'s language (shares of 1)."""
    lines = {}
    for label, level, pays in THRESHOLDS[programme]:
        values = {"share": t.percent(params[level], places=0)}
        if pays is not None:
            values["payout"] = t.percent(params[pays], places=0)
        lines[t._(label, **values)] = params[level]
    return lines


def share(month: MonthResult) -> float | None:
    """The month's share in per cent, for drawing; None when the effort group is empty."""
    return 100 * month.in_activity / month.effort_group if month.effort_group else None


def share_chart(
    series: Sequence[ShareSeries],
    thresholds: Mapping[str, Decimal],
    *,
    title: str,
    fmt: Format = "svg",
    t: Texts = ENGLISH,
) -> bytes:
    """Monthly shares (per cent) of each series against the thresholds (shares of 1, e.g. 0.40);
    filled markers are qualifying months, hollow ones are not. Series and threshold labels are the
    caller's (in `t`'s language)."""
    figure = Figure(figsize=(9, 4), layout="constrained")
    axes = figure.add_subplot()
    months = sorted({m.month for s in series for m in s.months})
    position = {month: i for i, month in enumerate(months)}
    for colour, one in zip(COLOURS * len(series), series, strict=False):
        shown = [(position[m.month], share(m), m.qualifies) for m in one.months if share(m) is not None]
        axes.plot([x for x, _, _ in shown], [y for _, y, _ in shown], color=colour, label=one.label)
        for x, y, qualifies in shown:
            axes.plot(x, y, "o", color=colour, markerfacecolor=colour if qualifies else "white")
    for (label, level), style in zip(thresholds.items(), ("--", ":", "-."), strict=False):
        axes.axhline(float(level) * 100, color="#555555", linestyle=style, label=label)
    labels = [t.month(month, short=True) for month in months]
    axes.set_xticks(range(len(months)), labels, rotation=60, ha="right", fontsize=8)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: t.percent(Decimal(str(y)) / 100, places=0)))
    axes.set_ylabel(t._("share of the effort group"))
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.25)
    axes.legend(loc="upper left", fontsize=8)
    return _saved(figure, fmt)


def share_table(
    series: Sequence[ShareSeries], thresholds: Mapping[str, Decimal], *, title: str, t: Texts = ENGLISH
) -> ChartTable:
    """`share_chart`'s data: a row per month, for each series its share (counted of the effort group)
    and whether the month qualifies; the thresholds in the caption."""
    months = sorted({m.month for s in series for m in s.months})
    by_series = [{m.month: m for m in one.months} for one in series]
    columns = [t._("month")]
    for one in series:
        columns += [
            t._("%(series)s: share (counted of the effort group)", series=one.label),
            t._("%(series)s: qualifies", series=one.label),
        ]
    rows = []
    for month in months:
        cells = [t.month(month)]
        for found in (months_of.get(month) for months_of in by_series):
            cells += ["—", ""] if found is None else [_share_cell(found, t), t.yes(found.qualifies)]
        rows.append(tuple(cells))
    levels = ", ".join(f"{label} {t.percent(level)}" for label, level in thresholds.items())
    caption = t._("%(title)s (thresholds: %(levels)s)", title=title, levels=levels) if levels else title
    return ChartTable(caption, tuple(columns), tuple(rows))


def _share_cell(month: MonthResult, t: Texts) -> str:
    if not month.effort_group:
        return t._("no effort group")
    counted = f"{t.integer(month.in_activity)}/{t.integer(month.effort_group)}"
    return f"{t.percent(Fraction(month.in_activity, month.effort_group))} ({counted})"


def _saved(figure: Figure, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


LANES = {
    "residence": N_("residence"),
    "support": N_("support"),
    "match": N_("match category"),
    "programmes": N_("programmes"),
    "activities": N_("activities"),
    "exemptions": N_("exemptions"),
}
"""The period lanes of a citizen's timeline chart, top to bottom; visitations get a lane of points."""
VISITATIONS = N_("visitations")
BAR, MARGIN = 0.35, 0.6
"""Half a bar's height and the space above the top lane and below the bottom one, in lanes."""
PALETTE = ("#9ecae1", "#a1d99b", "#fdae6b", "#bcbddc", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1")
KINDS = {"support": "support", "match": "match", "programmes": "programme", "activities": "activity"}
"""The code list of each lane's codes (engine/faces/i18n/vocabulary.py); exemptions are markings."""


def _name(lane: str, record: Record, t: Texts) -> str:
    """What a period bar is labelled with: the name of its code (the municipality, support, …)."""
    value = getattr(record, next(name for name in type(record).model_fields if name not in ("start", "end")))
    code = str(value)
    if lane == "residence":
        return t.municipality(code)
    return t.code(KINDS.get(lane, "marking"), code)


def _periods(
    timeline: CitizenTimeline, lane: str, since: date, until: date
) -> list[tuple[Record, date, date]]:
    """The lane's periods that show between `since` and `until`, cut at the edges (an open end runs to the edge)."""
    shown = []
    for record in getattr(timeline, lane):
        start, end = max(record.start, since), min(record.end or until, until)
        if start <= end:
            shown.append((record, start, end))
    return shown


def _visitations(timeline: CitizenTimeline, since: date, until: date) -> list[Visitation]:
    return [v for v in timeline.visitations if since <= v.day <= until]


def timeline_chart(
    timeline: CitizenTimeline,
    marks: Mapping[str, date],
    *,
    since: date,
    until: date,
    title: str,
    fmt: Format = "svg",
    t: Texts = ENGLISH,
) -> bytes:
    """A citizen's timeline from `since` to `until`: one lane per kind of period (residence,
    support, match category, programmes, activities, exemptions), each period a bar named by its
    code's name, visitations as points named by their group, and the `marks` (e.g. the cut-off and
    as-of dates; labels in `t`'s language) as labelled vertical lines."""
    figure = Figure(figsize=(10, 4.2), layout="constrained")
    axes = figure.add_subplot()
    left, right = date2num(since), date2num(until + timedelta(days=1))
    lanes = [*LANES, "visitations"]
    colours: dict[str, str] = {}
    for visitation in _visitations(timeline, since, until):
        axes.plot(date2num(visitation.day), 0, "D", color="#1f5fa8")
        axes.annotate(
            t.group(visitation.programme, visitation.group),
            (date2num(visitation.day), 0),
            xytext=(3, 6),
            textcoords="offset points",
            fontsize=8,
        )
    for row, lane in enumerate(LANES):
        y = len(lanes) - 1 - row
        for record, first, last in _periods(timeline, lane, since, until):
            start, end = date2num(first), date2num(last + timedelta(days=1))
            name = _name(lane, record, t)
            colour = colours.setdefault(name, PALETTE[len(colours) % len(PALETTE)])
            axes.broken_barh(
                [(start, end - start)], (y - BAR, 2 * BAR), facecolors=colour, edgecolor="#555555"
            )
            if end - start > (right - left) / 8:
                axes.text(start + (right - left) / 200, y, name, va="center", fontsize=7, clip_on=True)
    for (label, day), style in zip(marks.items(), ("--", ":", "-.", "-"), strict=False):
        axes.axvline(date2num(day), color="#c0392b", linestyle=style, label=f"{label} {t.day(day)}")
    names = [t._(LANES[lane]) for lane in LANES] + [t._(VISITATIONS)]
    axes.set_yticks(range(len(lanes)), list(reversed(names)))
    axes.set_xlim(left, right)
    axes.set_ylim(-MARGIN, len(lanes) - 1 + MARGIN)
    axes.xaxis.set_major_locator(AutoDateLocator())
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _tick(num2date(x).date(), t)))
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.25)
    handles, _ = axes.get_legend_handles_labels()
    handles += [Patch(facecolor=colour, edgecolor="#555555", label=name) for name, colour in colours.items()]
    axes.legend(handles=handles, loc="upper left", fontsize=8, bbox_to_anchor=(1.0, 1.0))
    return _saved(figure, fmt)


def _tick(day: date, t: Texts) -> str:
    """A date axis tick: the year at a new year, else the month (`mar. 2018`)."""
    return str(day.year) if (day.month, day.day) == (1, 1) else t.month(day, short=True)


def timeline_table(
    timeline: CitizenTimeline,
    marks: Mapping[str, date],
    *,
    since: date,
    until: date,
    title: str,
    t: Texts = ENGLISH,
) -> ChartTable:
    """`timeline_chart`'s data (timeline_rows) as texts."""
    rows = tuple(
        (lane, what, t.day(first), t.day(last))
        for lane, what, first, last in timeline_rows(timeline, marks, since=since, until=until, t=t)
    )
    return ChartTable(title, tuple(t._(column) for column in TIMELINE_COLUMNS), rows)


TIMELINE_COLUMNS = (N_("lane"), N_("what"), N_("from"), N_("to"))


def timeline_rows(
    timeline: CitizenTimeline, marks: Mapping[str, date], *, since: date, until: date, t: Texts = ENGLISH
) -> list[tuple[str, str, date, date]]:
    """`timeline_chart`'s data: a row per period and visitation drawn (lane, what, from, to, cut at the
    chart's edges), then the marked days."""
    rows = [
        (t._(LANES[lane]), _name(lane, record, t), first, last)
        for lane in LANES
        for record, first, last in _periods(timeline, lane, since, until)
    ]
    rows += [
        (t._(VISITATIONS), t.group(v.programme, v.group), v.day, v.day)
        for v in _visitations(timeline, since, until)
    ]
    return rows + [(t._("marked day"), label, day, day) for label, day in marks.items()]
