"""Charts, drawn off-screen by matplotlib as SVG (inline in web pages) or PNG (files).

`share_chart` draws the monthly share of the effort group in counting activity against the
thresholds of a pack — one line per series (a run; or a simulation's baseline and scenario) —
with the qualifying months marked. The shares are drawn as floats: a picture, never a decision
(decisions compare exactly, in the rules).
"""

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from matplotlib import rcParams
from matplotlib.figure import Figure

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
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()
