"""Server-side SVG charts, one function per kind: pure functions from numbers to `Markup`
(no JavaScript, no CDN, fine under a strict CSP). Every text is escaped; sizes are SVG user
units and each chart scales to its container through its viewBox.

- `bar_chart`: demand per bucket, negative bars below the zero line (product page);
- `bar_line_chart`: bars on the left axis and a line on the right one (dashboard);
- `trend_chart`: several monthly series on a 0..max axis with a legend (scorecards);
- `forecast_chart`: history, forecast with interval bands, reorder point (planning).

`frame` holds what they share: frame and scales, round axis ends, grid and tick labels.
"""
from app.web.charts.bars import Bar, bar_chart, bar_line_chart, month_ticks
from app.web.charts.frame import nice_ceiling, nice_max
from app.web.charts.lines import ForecastDay, forecast_chart, trend_chart

__all__ = ["Bar", "ForecastDay", "bar_chart", "bar_line_chart", "forecast_chart", "month_ticks", "nice_ceiling",
           "nice_max", "trend_chart"]
