"""The SVG trend chart is a pure function of its numbers."""
from __future__ import annotations

from app.web.charts import trend_chart


def test_chart_plots_points_and_breaks_lines_at_missing_values() -> None:
    svg = trend_chart(["2026-01", "2026-02", "2026-03", "2026-04"], [("On time", [100, 50, None, 0])],
                         width=240, height=134, title="Trend")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    # plot: x from 40 to 212 (3 steps of 57.33), y from 16 (100) to 100 (0)
    assert 'points="40.0,16.0 97.3,58.0"' in svg  # Jan 100, Feb 50: one run
    assert svg.count("<polyline") == 1  # the gap at March leaves April alone (a single point)
    assert '<circle cx="212.0" cy="100.0"' in svg
    assert "On time 2026-02: 50" in svg


def test_chart_escapes_text_and_clamps_values() -> None:
    svg = trend_chart(["<b>"], [("a&b", [250])], width=100, height=100)
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&amp;b" in svg
    assert 'cy="16.0"' in svg  # 250 clamped to the top of the axis
