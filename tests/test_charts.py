"""The charts: every series and threshold drawn, qualifying months marked, reproducible; in Danish
and English words and formats (axis labels, ticks, legends — read back from the SVG's text, which
stays text); and each chart's data as a table (its text alternative)."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from engine.faces.charts import (
    ShareSeries,
    share,
    share_chart,
    share_table,
    share_thresholds,
    timeline_chart,
    timeline_table,
)
from engine.faces.i18n import Language, texts
from models.domain import CitizenTimeline
from models.status import MonthResult

DA, EN = texts(Language.da), texts(Language.en)


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


def texts_in(svg: bytes) -> set[str]:
    """The text elements of an SVG chart (matplotlib writes each label, tick and legend entry as one)."""
    return set(re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode()))


def test_a_month_without_an_effort_group_has_no_share():
    assert share(month(3, 0, effort_group=0)) is None
    assert share(month(1, 39)) == 39.0


def test_the_svg_names_every_series_and_threshold_and_is_the_same_every_time():
    svg = share_chart(SERIES, {"rate 3: 40 %": Decimal("0.40")}, title="851 fsm1")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert svg == share_chart(SERIES, {"rate 3: 40 %": Decimal("0.40")}, title="851 fsm1")
    shown = texts_in(svg)
    assert {"baseline", "scenario", "rate 3: 40 %", "2018-01", "2018-02", "851 fsm1"} <= shown
    assert {"0%", "40%", "share of the effort group"} <= shown


def test_the_share_chart_in_danish_has_danish_months_percentages_and_labels():
    lines = share_thresholds("fsm1", {"rate3_share": Decimal("0.40")}, DA)
    assert lines == {"rate 3: 40\xa0%": Decimal("0.40")}
    series = [
        ShareSeries(DA._("baseline"), SERIES[0].months),
        ShareSeries(DA._("scenario"), SERIES[1].months),
    ]
    shown = texts_in(share_chart(series, lines, title="Aalborg (851)", t=DA))
    assert {"udgangspunkt", "scenarie", "rate 3: 40\xa0%", "jan. 2018", "feb. 2018", "mar. 2018"} <= shown
    assert {"0\xa0%", "40\xa0%", "andel af indsatsgruppen", "Aalborg (851)"} <= shown
    assert not any("%" in text and "\xa0%" not in text for text in shown)


def test_fsm2_thresholds_are_named_with_what_they_pay():
    params = {
        "rate2_first_step_share": Decimal("0.15"),
        "rate2_first_step_payout": Decimal("0.40"),
        "rate2_full_step_share": Decimal("0.20"),
    }
    assert share_thresholds("fsm2", params, DA) == {
        "rate 2, første trin (40\xa0% af tilskuddet)": Decimal("0.15"),
        "rate 2, hele resten": Decimal("0.20"),
    }
    assert list(share_thresholds("fsm2", params)) == [
        "rate 2, first step (40% of the grant)",
        "rate 2, the whole rest",
    ]


def test_the_share_table_is_the_charts_data_in_the_language():
    table = share_table(SERIES, {"rate 3": Decimal("0.40")}, title="Aalborg (851)", t=DA)
    assert table.caption == "Aalborg (851) (grænser: rate 3 40,0\xa0%)"
    assert table.columns == (
        "måned",
        "baseline: andel (talt med af indsatsgruppen)",
        "baseline: opfylder kravet",
        "scenario: andel (talt med af indsatsgruppen)",
        "scenario: opfylder kravet",
    )
    assert table.rows == (
        ("januar 2018", "39,0\xa0% (39/100)", "nej", "45,0\xa0% (45/100)", "ja"),
        ("februar 2018", "40,0\xa0% (40/100)", "ja", "50,0\xa0% (50/100)", "ja"),
        ("marts 2018", "ingen indsatsgruppe", "nej", "—", ""),
    )
    english = share_table(SERIES, {}, title="x", t=EN)
    assert english.caption == "x" and english.rows[0][:2] == ("January 2018", "39.0% (39/100)")


def test_png_output_is_a_png_image():
    assert share_chart(SERIES, {"rate 3": Decimal("0.40")}, title="x", fmt="png").startswith(b"\x89PNG")


MEMBER = CitizenTimeline.model_validate_json(
    (Path(__file__).parent.parent / "examples" / "citizens" / "member.json").read_text(encoding="utf-8")
)
MARKS = {"cut-off": date(2016, 12, 31), "as of": date(2018, 3, 2)}
WINDOW = {"since": date(2011, 1, 1), "until": date(2018, 6, 30)}


def test_the_timeline_has_a_lane_per_kind_of_period_bars_named_by_code_and_the_days_marked():
    svg = timeline_chart(MEMBER, MARKS, **WINDOW, title="050379-xxxx")
    shown = texts_in(svg)
    lanes = {
        "residence",
        "support",
        "match category",
        "programmes",
        "activities",
        "exemptions",
        "visitations",
    }
    assert lanes <= shown
    names = {"Aalborg (851)", "cash benefit", "integration benefit", "activity-ready", "work placement"}
    assert names <= shown
    assert {"cut-off 2016-12-31", "as of 2018-03-02", "050379-xxxx", "2012", "2018"} <= shown
    assert "integration programme" not in shown  # 2006–2009: before the chart begins, not drawn
    assert svg == timeline_chart(MEMBER, MARKS, **WINDOW, title="050379-xxxx")


def test_the_timeline_in_danish_names_codes_with_their_danish_letters():
    marks = {DA._("cut-off date"): date(2016, 12, 31)}
    shown = texts_in(timeline_chart(MEMBER, marks, **WINDOW, title="050379-xxxx", t=DA))
    assert {"bopæl", "forsørgelse", "matchkategori", "indsatser", "visitationer"} <= shown
    assert {"kontanthjælp", "integrationsydelse", "aktivitetsparat", "virksomhedspraktik"} <= shown
    assert {"Aalborg (851)", "Gruppe 1 – indsatsgruppen", "skæringsdato 31-12-2016"} <= shown
    assert not any("kontanthjaelp" in text for text in shown)


def test_the_timeline_table_lists_every_period_and_visitation_drawn_and_the_marked_days():
    table = timeline_table(MEMBER, {"skæringsdato": date(2016, 12, 31)}, **WINDOW, title="050379-xxxx", t=DA)
    assert table.columns == ("spor", "hvad", "fra", "til")
    assert any(row[:2] == ("forsørgelse", "kontanthjælp") for row in table.rows)
    assert ("bopæl", "Aalborg (851)", "01-01-2011", "30-06-2018") in table.rows  # cut at the edges
    assert ("visitationer", "Gruppe 1 – indsatsgruppen", "14-11-2017", "14-11-2017") in table.rows
    assert table.rows[-1] == ("markeret dag", "skæringsdato", "31-12-2016", "31-12-2016")
    assert all(row[0] != "programmer" for row in table.rows)  # the programme ended before the chart


def test_a_visitation_outside_the_chart_is_left_out():
    until = date(2017, 6, 30)
    inside = timeline_chart(MEMBER, MARKS, **WINDOW, title="t", fmt="png")
    outside = timeline_chart(MEMBER, MARKS, since=date(2011, 1, 1), until=until, title="t")
    assert inside.startswith(b"\x89PNG")
    assert "Group 1 – the effort group" not in texts_in(outside)  # visitated on 2017-11-14, after the end
    assert not [
        row
        for row in timeline_table(MEMBER, {}, since=date(2011, 1, 1), until=until, title="t").rows
        if row[0] == "visitations"
    ]
