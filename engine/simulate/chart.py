"""`--chart FILE.png|.svg`: the monthly share of the effort group in counting activity, baseline and
scenario, against the threshold (both thresholds when a reform changed it), by engine/charts.py."""

from decimal import Decimal
from pathlib import Path

from engine.charts import Format, ShareSeries, share_chart
from engine.simulate.simulation import Simulation

SUFFIXES: dict[str, Format] = {".png": "png", ".svg": "svg"}


def percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"


def chart(simulation: Simulation, fmt: Format) -> bytes:
    name = simulation.terms.share_parameter
    before, after = simulation.baseline.rate_params[name], simulation.result.rate_params[name]
    if before == after:
        thresholds = {f"{name} {percent(before)}": before}
    else:
        thresholds = {
            f"baseline {name} {percent(before)}": before,
            f"scenario {name} {percent(after)}": after,
        }
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
