"""`--chart FILE.png|.svg`: the monthly share of the effort group in counting activity, baseline and
scenario, against the programme's thresholds (before and after, when a reform changed them), by
engine/faces/charts.py, in the output's language."""

from pathlib import Path

from engine.faces.charts import Format, ShareSeries, share_chart, share_thresholds
from engine.faces.i18n import ENGLISH, Texts
from engine.faces.simulate.simulation import Simulation

SUFFIXES: dict[str, Format] = {".png": "png", ".svg": "svg"}


def chart(simulation: Simulation, fmt: Format, t: Texts = ENGLISH) -> bytes:
    programme = simulation.scenario.programme
    before = share_thresholds(programme, simulation.baseline.rate_params, t)
    after = share_thresholds(programme, simulation.result.rate_params, t)
    thresholds = (
        before
        if before == after
        else {
            **{t._("baseline %(line)s", line=k): v for k, v in before.items()},
            **{t._("scenario %(line)s", line=k): v for k, v in after.items()},
        }
    )
    series = [
        ShareSeries(t._("baseline"), simulation.baseline.status.months),
        ShareSeries(t._("scenario"), simulation.result.status.months),
    ]
    return share_chart(series, thresholds, title=title(simulation, t), fmt=fmt, t=t)


def title(simulation: Simulation, t: Texts = ENGLISH) -> str:
    """`Aalborg (851), FSM1 as of 31 July 2019: visitate the rest by May` (the file's name untitled)."""
    scenario = simulation.scenario
    return t._(
        "%(municipality)s, %(programme)s as of %(day)s: %(title)s",
        municipality=t.municipality(scenario.municipality),
        programme=t.programme(scenario.programme),
        day=t.date(simulation.as_of),
        title=scenario.title or simulation.source.name,
    )


def save_chart(simulation: Simulation, path: Path, t: Texts = ENGLISH) -> None:
    """Write the chart in the format the file's suffix names (the caller checked it: SUFFIXES)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(chart(simulation, SUFFIXES[path.suffix.lower()], t))
