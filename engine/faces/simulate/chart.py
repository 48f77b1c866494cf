"""`--chart FILE.png|.svg`: the monthly share of the effort group in counting activity, baseline and
scenario, against the programme's thresholds (before and after, when a reform changed them), by
engine/faces/charts.py."""

from pathlib import Path

from engine.faces.charts import Format, ShareSeries, share_chart
from engine.faces.simulate.simulation import Simulation
from engine.rules.programmes import programme_of

SUFFIXES: dict[str, Format] = {".png": "png", ".svg": "svg"}


def chart(simulation: Simulation, fmt: Format) -> bytes:
    programme = programme_of(simulation.result.place.pack)
    before = programme.share_thresholds(simulation.baseline.rate_params)
    after = programme.share_thresholds(simulation.result.rate_params)
    thresholds = (
        before
        if before == after
        else {
            **{f"baseline {k}": v for k, v in before.items()},
            **{f"scenario {k}": v for k, v in after.items()},
        }
    )
    series = [
        ShareSeries("baseline", simulation.baseline.status.months),
        ShareSeries("scenario", simulation.result.status.months),
    ]
    scenario = simulation.scenario
    title = f"{scenario.municipality} {scenario.programme} as of {simulation.as_of}: {scenario.title or simulation.source.name}"
    return share_chart(series, thresholds, title=title, fmt=fmt)


def save_chart(simulation: Simulation, path: Path) -> None:
    """Write the chart in the format the file's suffix names (the caller checked it: SUFFIXES)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(chart(simulation, SUFFIXES[path.suffix.lower()]))
