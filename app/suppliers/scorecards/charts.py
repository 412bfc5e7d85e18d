"""The scorecard trend charts, drawn the same on the staff page and in the supplier portal."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.web.charts import trend_option


def trend_charts(monthly: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """ECharts options of the two monthly trends; the page's "Monthly" table shows the same figures."""
    labels = [c.period.label for c in monthly]
    pct = [(_("On time %"), [None if c.on_time_rate is None else round(100 * c.on_time_rate, 1) for c in monthly]),
           (_("Quality %"), [None if c.quality_rate is None else round(100 * c.quality_rate, 1) for c in monthly]),
           (_("Overall"), [c.overall for c in monthly])]
    price = [(_("Price index"), [c.price_index for c in monthly])]
    return (trend_option(labels, pct, title=_("On time, quality and overall score by month")),
            trend_option(labels, price, y_max=200, title=_("Price index by month (100 = median)")))
