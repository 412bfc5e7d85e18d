"""Daily and weekly charts: a product's demand, and demand history with its forecast."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from app.web.charts.monthly import base_option

COLOURS = {"history": "#1f4e79", "forecast": "#c2410c", "band80": "#f9b27a", "band95": "#fde0c2",
           "position": "#1f6f5c", "reorder": "#b91c1c", "demand": "#1f6f5c", "negative": "#b3261e"}
FORECAST_NAMES = {"history": "demand", "forecast": "forecast", "band80": "80 % interval", "band95": "95 % interval",
                  "position": "projected stock position (no new orders)", "reorder": "reorder point",
                  "today": "forecast starts", "demand_axis": "units per day", "stock_axis": "units in stock"}
ZOOM = [{"type": "inside"}, {"type": "slider", "height": 18, "bottom": 6}]


@dataclass(frozen=True)
class DayValue:
    label: str  # the day or week as the page writes it
    value: int


def demand_bars_option(points: Sequence[DayValue], *, name: str) -> dict[str, Any]:
    """Net demand per bucket as bars (a net return below zero in red), zoomable."""
    return {
        **base_option(),
        "grid": {"left": 48, "right": 16, "top": 16, "bottom": 64},
        "xAxis": {"type": "category", "data": [p.label for p in points], "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "name": name},
        "dataZoom": ZOOM,
        "series": [{"id": "demand", "type": "bar", "name": name, "itemStyle": {"color": COLOURS["demand"]},
                    "data": [{"value": p.value, "itemStyle": {"color": COLOURS["negative"]}} if p.value < 0 else p.value
                             for p in points]}],
    }


@dataclass(frozen=True)
class ForecastDay:
    ds: dt.date
    yhat: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


def _r(v: float | None) -> float | None:
    return None if v is None else round(float(v), 2)


def projected_position(position: int, forecast: Sequence[ForecastDay]) -> list[float]:
    """Stock position at the end of each forecast day if nothing new is ordered: today's position
    less the cumulative forecast demand (may go below zero: the shortfall)."""
    return [position - used for used in accumulate(f.yhat for f in forecast)]


def forecast_option(history: Sequence[tuple[dt.date, float]], forecast: Sequence[ForecastDay], *,
                    reorder_point: float | None = None, position: int | None = None,
                    names: Mapping[str, str] | None = None,
                    day_label: Callable[[dt.date], str] = dt.date.isoformat) -> dict[str, Any]:
    """Demand history and forecast with its 80 % / 95 % bands on the left (demand) axis, scaled to
    demand only; the projected stock position and the reorder point on their own right (stock)
    axis, so a reorder point far above daily demand no longer flattens it. Days run over
    ``history`` then ``forecast``; ``x_bands`` carries the interval bounds for the tooltip."""
    text = {**FORECAST_NAMES, **(names or {})}
    days = [d for d, _ in history] + [f.ds for f in forecast]
    nh, nf = len(history), len(forecast)
    gap: list[float | None] = [None] * nh
    lo80, hi80 = gap + [_r(f.lo80) for f in forecast], gap + [_r(f.hi80) for f in forecast]
    lo95, hi95 = gap + [_r(f.lo95) for f in forecast], gap + [_r(f.hi95) for f in forecast]

    def band(key: str, lo: list[float | None], hi: list[float | None]) -> list[dict[str, Any]]:
        width = [None if a is None or b is None else round(b - a, 2) for a, b in zip(lo, hi, strict=True)]
        line = {"opacity": 0}
        return [{"id": f"{key}-base", "type": "line", "stack": key, "data": lo, "symbol": "none", "lineStyle": line,
                 "silent": True, "yAxisIndex": 0},
                {"id": key, "type": "line", "name": text[key], "stack": key, "data": width, "symbol": "none",
                 "lineStyle": line, "areaStyle": {"color": COLOURS[key], "opacity": 1}, "color": COLOURS[key],
                 "silent": True, "yAxisIndex": 0}]

    series: list[dict[str, Any]] = []
    if nf:
        series += band("band95", lo95, hi95) + band("band80", lo80, hi80)
    history_series: dict[str, Any] = {
        "id": "history", "type": "line", "name": text["history"], "color": COLOURS["history"], "symbol": "none",
        "lineStyle": {"width": 1.5}, "yAxisIndex": 0, "data": [_r(v) for _, v in history] + [None] * nf}
    if nf and nh:
        history_series["markLine"] = {
            "symbol": "none", "silent": True, "lineStyle": {"color": "#6b7280", "type": "dotted"},
            "label": {"formatter": text["today"], "position": "end", "color": "#374151"},
            "data": [{"xAxis": day_label(forecast[0].ds)}]}
    series.append(history_series)
    if nf:
        series.append({"id": "forecast", "type": "line", "name": text["forecast"], "color": COLOURS["forecast"],
                       "symbol": "none", "lineStyle": {"type": "dashed", "width": 2}, "yAxisIndex": 0,
                       "data": [None] * nh + [_r(f.yhat) for f in forecast]})
    stock_axis = nf > 0 and (position is not None or reorder_point is not None)
    if stock_axis and position is not None:
        start: list[float | None] = [None] * max(nh - 1, 0) + ([float(position)] if nh else [])
        series.append({"id": "position", "type": "line", "name": text["position"], "color": COLOURS["position"],
                       "symbol": "none", "lineStyle": {"width": 1.5}, "yAxisIndex": 1,
                       "data": start + [_r(v) for v in projected_position(position, forecast)]})
    if stock_axis and reorder_point is not None:
        series.append({"id": "reorder", "type": "line", "name": text["reorder"], "color": COLOURS["reorder"],
                       "symbol": "none", "lineStyle": {"type": [8, 4], "width": 1.5}, "yAxisIndex": 1,
                       "data": [None] * nh + [_r(reorder_point)] * nf})
    y_axes: list[dict[str, Any]] = [{"type": "value", "name": text["demand_axis"], "min": 0}]
    if stock_axis:
        y_axes.append({"type": "value", "name": text["stock_axis"], "splitLine": {"show": False},
                       "axisLine": {"show": True, "lineStyle": {"color": COLOURS["position"]}}})
    return {
        **base_option(),
        "legend": {"top": 0, "data": [s["name"] for s in series if "name" in s]},
        "grid": {"left": 56, "right": 72 if stock_axis else 24, "top": 56, "bottom": 64},
        "xAxis": {"type": "category", "data": [day_label(d) for d in days], "boundaryGap": False,
                  "axisLabel": {"hideOverlap": True}},
        "yAxis": y_axes,
        "dataZoom": ZOOM,
        "series": series,
        "x_bands": [{"name": text["band80"], "lo": lo80, "hi": hi80}, {"name": text["band95"], "lo": lo95, "hi": hi95}]
        if nf else [],
    }
