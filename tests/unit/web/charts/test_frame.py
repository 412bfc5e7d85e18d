"""What the four charts share: round axis ends, scales, labels, and one safe SVG shape."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from app.web.charts import Bar, ForecastDay, bar_chart, bar_line_chart, forecast_chart, nice_ceiling, nice_max, trend_chart
from app.web.charts.frame import Scale, fmt_axis, fmt_value

NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("value", [0, 0.3, 3, 7, 12, 150, 230, 4100, 98_765])
def test_nice_max_is_whole_ticks_of_a_nice_ceiling(value: float) -> None:
    assert nice_max(value) == 4 * nice_ceiling(value / 4) and nice_max(value) >= value


@pytest.mark.parametrize(("value", "expected"), [(0, "0"), (2.5, "2.5"), (10.04, "10"), (-5, "-5"), (950, "950"),
                                                 (12_000, "12k"), (1_500_000, "1.5M")])
def test_axis_labels_are_short(value: float, expected: str) -> None:
    assert fmt_axis(value) == expected


def test_scale_maps_and_clamps() -> None:
    y = Scale(0, 100, 200, 0, clamp=True)
    assert (y(0), y(50), y(100), y(250), y(-3)) == (200, 100, 0, 0, 200)
    assert Scale(0, 0, 10, 30)(0) == 20  # an empty domain sits in the middle
    assert fmt_value(3.0) == "3"


def test_every_chart_is_escaped_svg_of_class_chart() -> None:
    title = 'A <b> & "c"'
    charts = [
        bar_chart([Bar("x", 3)], title=title),
        bar_line_chart(["m"], [1], [2], bar_name="b", line_name="l", title=title),
        trend_chart(["m"], [("s", [50])], title=title),
        forecast_chart([(dt.date(2026, 1, 1), 2.0)], [ForecastDay(dt.date(2026, 1, 2), 2, 1, 3, 0, 4)],
                       labels={"title": title}),
    ]
    for svg in charts:
        assert isinstance(svg, Markup) and "<b>" not in svg
        root = ET.fromstring(svg)
        assert "chart" in (root.get("class") or "").split() and root.get("aria-label") == title
        assert root.find(f"{NS}title").text == title  # type: ignore[union-attr]
