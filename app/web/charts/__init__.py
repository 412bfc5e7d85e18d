"""Charts as Apache ECharts options: pure functions from numbers (and already translated labels)
to a JSON-ready dict. The page embeds the dict in a `data-chart` attribute (template macro
`echart` in `_chart.html`), `static/charts.js` draws it with the vendored ECharts (no CDN, no
inline script); a table beside each chart carries the same figures for readers without
JavaScript and for tests.

- `demand_stock_option`: the dashboard's monthly demand (bars, left axis) and month-end stock
  (line, its own right axis), the current month marked as partial;
- `demand_bars_option`: a product's net demand per day or week, negative bars in red, zoomable;
- `trend_option`: several monthly series on a 0..max axis (scorecards, staff and portal);
- `forecast_option`: demand history, forecast with 80 % / 95 % bands, zoomable, and the
  projected stock position against the reorder point on a separate stock axis.
"""
from app.web.charts.monthly import MonthBar, demand_stock_option, trend_option
from app.web.charts.series import DayValue, ForecastDay, demand_bars_option, forecast_option

__all__ = ["DayValue", "ForecastDay", "MonthBar", "demand_bars_option", "demand_stock_option", "forecast_option",
           "trend_option"]
