"""The monthly share chart: every series and threshold drawn, qualifying months marked, reproducible."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from engine.faces.charts import ShareSeries, share, share_chart, timeline_chart
from models.domain import CitizenTimeline
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


MEMBER = CitizenTimeline.model_validate_json(
    (Path(__file__).parent.parent / "examples" / "citizens" / "member.json").read_text(encoding="utf-8")
)
MARKS = {"cut-off": date(2016, 12, 31), "as of": date(2018, 3, 2)}


def test_the_timeline_has_a_lane_per_kind_of_period_bars_named_by_code_and_the_days_marked():
    svg = timeline_chart(MEMBER, MARKS, since=date(2011, 1, 1), until=date(2018, 6, 30), title="050379-xxxx")
    text = svg.decode()
    for lane in ("residence", "support", "match", "programmes", "activities", "exemptions", "visitations"):
        assert f">{lane}<" in text
    for code in ("851", "kontanthjaelp", "integrationsydelse", "aktivitetsparat", "virksomhedspraktik"):
        assert code in text
    assert "cut-off 2016-12-31" in text and "as of 2018-03-02" in text and "050379-xxxx" in text
    assert "integrationsprogram" not in text  # 2006–2009: before the chart begins, not drawn
    assert svg == timeline_chart(
        MEMBER, MARKS, since=date(2011, 1, 1), until=date(2018, 6, 30), title="050379-xxxx"
    )


def test_a_visitation_outside_the_chart_is_left_out():
    inside = timeline_chart(
        MEMBER, MARKS, since=date(2011, 1, 1), until=date(2018, 6, 30), title="t", fmt="png"
    )
    outside = timeline_chart(MEMBER, MARKS, since=date(2011, 1, 1), until=date(2017, 6, 30), title="t")
    assert inside.startswith(b"\x89PNG")
    assert ">1<" not in outside.decode()  # the group-1 visitation of 2017-11-14 is after the end
