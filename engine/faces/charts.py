"""Charts, drawn off-screen by matplotlib as SVG (inline in web pages) or PNG (files).

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
from typing import Literal

from matplotlib import rcParams
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch

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


def share(month: MonthResult) -> float | None:
    """The month's share in per cent, for drawing; None when the effort group is empty."""
    return 100 * month.in_activity / month.effort_group if month.effort_group else None


def share_chart(
    series: Sequence[ShareSeries],
    thresholds: Mapping[str, Decimal],
    *,
    title: str,
    fmt: Format = "svg",
) -> bytes:
    """Monthly shares (per cent) of each series against the thresholds (shares of 1, e.g. 0.40);
    filled markers are qualifying months, hollow ones are not."""
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
    axes.set_xticks(range(len(months)), months, rotation=60, ha="right", fontsize=8)
    axes.set_ylabel("share of the effort group (%)")
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.25)
    axes.legend(loc="upper left", fontsize=8)
    return _saved(figure, fmt)


def _saved(figure: Figure, fmt: Format) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


LANES = ("residence", "support", "match", "programmes", "activities", "exemptions")
"""The period lanes of a citizen's timeline chart, top to bottom; visitations get a lane of points."""
BAR, MARGIN = 0.35, 0.6
"""Half a bar's height and the space above the top lane and below the bottom one, in lanes."""
PALETTE = ("#9ecae1", "#a1d99b", "#fdae6b", "#bcbddc", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1")


def _code(record: Record) -> str:
    """What a period bar is labelled with: its code (the municipality, support code, …)."""
    value = getattr(record, next(name for name in type(record).model_fields if name not in ("start", "end")))
    return str(getattr(value, "value", value))


def timeline_chart(
    timeline: CitizenTimeline,
    marks: Mapping[str, date],
    *,
    since: date,
    until: date,
    title: str,
    fmt: Format = "svg",
) -> bytes:
    """A citizen's timeline from `since` to `until`: one lane per kind of period (residence,
    support, match category, programmes, activities, exemptions), each period a bar named by its
    code, visitations as points named by their group, and the `marks` (e.g. the cut-off and as-of
    dates) as labelled vertical lines. Periods are cut at the edges; an open end runs to the edge."""
    figure = Figure(figsize=(10, 4.2), layout="constrained")
    axes = figure.add_subplot()
    left, right = date2num(since), date2num(until)
    lanes = [*LANES, "visitations"]
    colours: dict[str, str] = {}
    for row, lane in enumerate(lanes):
        y = len(lanes) - 1 - row
        for record in getattr(timeline, lane):
            if isinstance(record, Visitation):
                if since <= record.day <= until:
                    axes.plot(date2num(record.day), y, "D", color="#1f5fa8")
                    axes.annotate(
                        record.group.value,
                        (date2num(record.day), y),
                        xytext=(3, 6),
                        textcoords="offset points",
                        fontsize=8,
                    )
                continue
            start = max(date2num(record.start), left)
            end = min(date2num(record.end + timedelta(days=1)) if record.end else right, right)
            if end <= start:
                continue
            code = _code(record)
            colour = colours.setdefault(code, PALETTE[len(colours) % len(PALETTE)])
            axes.broken_barh(
                [(start, end - start)], (y - BAR, 2 * BAR), facecolors=colour, edgecolor="#555555"
            )
            if end - start > (right - left) / 8:
                axes.text(start + (right - left) / 200, y, code, va="center", fontsize=7, clip_on=True)
    for (label, day), style in zip(marks.items(), ("--", ":", "-.", "-"), strict=False):
        axes.axvline(date2num(day), color="#c0392b", linestyle=style, label=f"{label} {day.isoformat()}")
    axes.set_yticks(range(len(lanes)), list(reversed(lanes)))
    axes.set_xlim(left, right)
    axes.set_ylim(-MARGIN, len(lanes) - 1 + MARGIN)
    axes.xaxis.set_major_locator(AutoDateLocator())
    axes.xaxis.set_major_formatter(ConciseDateFormatter(axes.xaxis.get_major_locator()))
    axes.set_title(title)
    axes.grid(axis="x", alpha=0.25)
    handles, _ = axes.get_legend_handles_labels()
    handles += [Patch(facecolor=colour, edgecolor="#555555", label=code) for code, colour in colours.items()]
    axes.legend(handles=handles, loc="upper left", fontsize=8, bbox_to_anchor=(1.0, 1.0))
    return _saved(figure, fmt)
