"""The dashboard's "demand and stock" chart: the last 12 complete months with their years and the
current month marked as partial, as table rows and as the ECharts option drawn from the same rows."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _

from app.stock.turnover import MonthPoint
from app.web.charts import MonthBar, demand_stock_option


def month_label(month: dt.date) -> str:
    """"Dec 2025" / "2025年12月": the month with its year, as the locale writes it."""
    return str(format_skeleton("yMMM", month, locale=get_locale() or "en"))


def demand_stock_chart(points: Sequence[MonthPoint], *, today: dt.date) -> tuple[list[MonthBar], dict[str, Any]]:
    """Rows for the table and the chart option; the month holding `today` is partial ("Dec 2026 (to date)")."""
    rows = []
    for p in points:
        partial = p.month == today.replace(day=1)
        rows.append(MonthBar(month_label(p.month), p.demand, p.stock_end, partial, _("(to date)") if partial else ""))
    return rows, demand_stock_option(rows, demand_name=_("Demand (units)"),
                                     stock_name=_("Stock on hand at month end (units)"))
