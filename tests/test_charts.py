"""The monthly share chart: every series and threshold drawn, qualifying months marked, reproducible."""

from decimal import Decimal

from engine.charts import ShareSeries, share, share_chart
from models.status import MonthResult


def month(n: int, in_activity: int, effort_group: int = 100) -> MonthResult:
    return MonthResult(
        month=f"2018-{n:02d}",
        effort_group=effort_group,
        in_activity=in_activity,
        qualifies=effort_group > 0 and in_activity * 100 >= effort_group * 40,
        needed=0,
    )


SERIES = [
    ShareSeries("baseline", [month(1, 39), month(2, 40), month(3, 0, effort_group=0)]),
    ShareSeries("scenario", [month(1, 45), month(2, 50)]),
]


def test_a_month_without_an_effort_group_has_no_share():
    assert share(month(3, 0, effort_group=0)) is None
    assert share(month(1, 39)) == 39.0


def test_the_svg_names_every_series_and_threshold_and_is_the_same_every_time():
    svg = share_chart(SERIES, {"rate 3: 40 %": Decimal("0.40")}, title="851 fsm1")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert svg == share_chart(SERIES, {"rate 3: 40 %": Decimal("0.40")}, title="851 fsm1")
    for text in (b"baseline", b"scenario", b"rate 3: 40 %", b"2018-01", b"2018-02", b"851 fsm1"):
        assert text in svg


def test_png_output_is_a_png_image():
    assert share_chart(SERIES, {"rate 3": Decimal("0.40")}, title="x", fmt="png").startswith(b"\x89PNG")
