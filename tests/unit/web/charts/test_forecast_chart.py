"""The server-side SVG forecast chart (pure)."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from app.web.charts import ForecastDay, forecast_chart
from app.web.charts.lines import FORECAST_FRAME

NS = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 1, 1)


def _history(values: list[float]) -> list[tuple[dt.date, float]]:
    return [(DAY + dt.timedelta(days=i), v) for i, v in enumerate(values)]


def _forecast(start: int, values: list[float]) -> list[ForecastDay]:
    return [ForecastDay(DAY + dt.timedelta(days=start + i), v, v - 1, v + 1, v - 2, v + 2)
            for i, v in enumerate(values)]


def test_chart_is_valid_svg_with_one_point_per_day() -> None:
    root = ET.fromstring(forecast_chart(_history([3, 4, 5]), _forecast(3, [4, 4]), reorder_point=6))
    lines = {el.get("class"): el for el in root.iter(f"{NS}polyline")}
    assert len(lines["history"].get("points", "").split()) == 3
    assert len(lines["forecast"].get("points", "").split()) == 2
    bands = {el.get("class"): el for el in root.iter(f"{NS}polygon")}
    assert len(bands["band80"].get("points", "").split()) == 4  # upper and lower edge


def test_reorder_point_is_drawn_at_its_height_and_labelled() -> None:
    svg = forecast_chart(_history([0, 10]), [], reorder_point=10, labels={"reorder_point": "ROP"})
    root = ET.fromstring(svg)
    line = next(el for el in root.iter(f"{NS}line") if el.get("class") == "reorder-point")
    # the y axis ends 10 % above the peak (10): 10 sits at 1/1.1 of the plot height
    top, plot_h = FORECAST_FRAME.top, FORECAST_FRAME.height - FORECAST_FRAME.top - 30
    assert abs(float(line.get("y1", 0)) - (top + plot_h * (1 - 10 / 11))) < 0.1
    assert "ROP 10" in svg


def test_text_is_escaped() -> None:
    svg = forecast_chart(_history([1]), [], note='<script>alert("x")</script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_no_data_and_all_zero_demand_still_draw() -> None:
    ET.fromstring(forecast_chart([], []))
    root = ET.fromstring(forecast_chart(_history([0, 0, 0]), _forecast(3, [0, 0])))
    assert all("nan" not in (el.get("points") or "") for el in root.iter(f"{NS}polyline"))
