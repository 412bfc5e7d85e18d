"""Monthly charts: the dashboard's demand and stock, the scorecards' trends."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PALETTE = ("#1f6f5c", "#b26a00", "#1a4fa0", "#b3261e")
DEMAND_COLOUR, STOCK_COLOUR = "#8fc1b1", "#1f6f5c"
PARTIAL_STYLE = {"color": "rgba(143, 193, 177, 0.35)", "borderColor": "#5f9e8a", "borderType": "dashed", "borderWidth": 1}


def base_option() -> dict[str, Any]:
    """What every chart shares: no animation (screenshots and tests see the final state), the
    aria description, the font of the page."""
    return {"animation": False, "aria": {"enabled": True},
            "textStyle": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', sans-serif"}}


@dataclass(frozen=True)
class MonthBar:
    month: str  # as the locale writes the month, e.g. "Dec 2025" / "2025年12月"
    demand: int
    stock_end: int
    partial: bool = False  # the current month, still running
    note: str = ""  # said of a partial month, e.g. "(to date)"

    @property
    def label(self) -> str:
        return f"{self.month} {self.note}" if self.note else self.month

    @property
    def axis_label(self) -> str:  # the note on a second line, so the axis keeps every month
        return f"{self.month}\n{self.note}" if self.note else self.month


def demand_stock_option(months: Sequence[MonthBar], *, demand_name: str, stock_name: str) -> dict[str, Any]:
    """Demand per month as bars on the left axis and stock at month end as a line on its own right
    axis (each axis scaled to its own series); a partial month's bar is pale with a dashed border."""
    return {
        **base_option(),
        "legend": {"top": 0},
        "grid": {"left": 64, "right": 72, "top": 44, "bottom": 44},
        "xAxis": {"type": "category", "data": [m.axis_label for m in months], "axisLabel": {"interval": 0, "hideOverlap": True}},
        "yAxis": [
            {"type": "value", "name": demand_name, "min": 0, "position": "left",
             "axisLine": {"show": True, "lineStyle": {"color": "#5f9e8a"}}},
            {"type": "value", "name": stock_name, "min": 0, "position": "right", "splitLine": {"show": False},
             "axisLine": {"show": True, "lineStyle": {"color": STOCK_COLOUR}}},
        ],
        "series": [
            {"id": "demand", "type": "bar", "name": demand_name, "yAxisIndex": 0, "itemStyle": {"color": DEMAND_COLOUR},
             "data": [{"value": m.demand, "itemStyle": PARTIAL_STYLE} if m.partial else m.demand for m in months]},
            {"id": "stock", "type": "line", "name": stock_name, "yAxisIndex": 1, "color": STOCK_COLOUR,
             "symbolSize": 6, "data": [m.stock_end for m in months]},
        ],
    }


def trend_option(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
                 y_max: float = 100.0, title: str = "") -> dict[str, Any]:
    """A line per series (name, one value per label) on a 0..y_max axis; None leaves a gap."""
    return {
        **base_option(),
        "title": {"text": title, "textStyle": {"fontSize": 13, "fontWeight": 600}},
        "legend": {"bottom": 0},
        "grid": {"left": 44, "right": 16, "top": 40, "bottom": 56},
        "xAxis": {"type": "category", "data": list(labels), "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "min": 0, "max": y_max},
        "dataZoom": [{"type": "inside"}],
        "series": [{"id": f"s{k}", "type": "line", "name": name, "color": PALETTE[k % len(PALETTE)],
                    "connectNulls": False, "symbolSize": 6, "data": list(values)}
                   for k, (name, values) in enumerate(series)],
    }
