"""The SVG bar chart: scale, negative bars, escaping, empty state."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from app.web.charts import Bar, bar_chart, month_ticks, nice_ceiling


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (1, 1), (3, 5), (7, 10), (12, 20), (180, 200), (501, 1000)])
def test_nice_ceiling(value: float, expected: int) -> None:
    assert nice_ceiling(value) == expected


def test_bars_scale_to_the_tallest_and_negative_bars_are_marked() -> None:
    svg = str(bar_chart([Bar("a", 10, "2026-01"), Bar("b", 5), Bar("c", -5)], title="t", width=300, height=130))
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 3 and heights[0] == pytest.approx(2 * heights[1], abs=0.2) and heights[1] == pytest.approx(heights[2])
    assert svg.count('class="bar neg"') == 1 and ">2026-01</text>" in svg


def test_text_is_escaped_and_an_empty_chart_says_so() -> None:
    svg = str(bar_chart([Bar("<script>", 0)], title='a "b" <c>', empty_text="No data & none"))
    assert "<script>" not in svg and "&lt;c&gt;" in svg and "No data &amp; none" in svg
    assert "<rect" not in svg


def test_month_ticks_label_the_first_bucket_of_each_month() -> None:
    days = [dt.date(2026, 1, 26), dt.date(2026, 2, 2), dt.date(2026, 2, 9), dt.date(2026, 3, 2)]
    assert month_ticks(days) == ["2026-01", "2026-02", None, "2026-03"]


def test_axis_labels_are_round_and_tick_labels_never_crowd() -> None:
    bars = [Bar(f"d{i}", 50 if i == 3 else 1, "2026-01" if i in (0, 1) else None) for i in range(300)]
    svg = str(bar_chart(bars, title="t", width=900))
    axis = re.findall(r'class="axis">(-?\d+)</text>', svg)
    assert axis[:6] == ["0", "10", "20", "30", "40", "50"]
    assert svg.count(">2026-01</text>") == 1  # the second label, one bar later, would overlap the first
