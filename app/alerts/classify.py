"""Pure classification of stock positions into alerts (no database, no clock).

Definitions (per SKU × warehouse unless said otherwise):
- average daily demand = the one demand figure of :mod:`app.planning.demand_figures` (latest
  forecast, network demand for a warehouse that supplies others) when given; else demand of
  the last 28 days ÷ 28 (demand = shipments − customer returns);
- low stock: available + in transit + on order < reorder point of the latest forecast run's
  suggestion when there is one, else < `low_stock_days` × average daily demand;
- stock-out: available ≤ 0 while there was demand in the last 28 days;
- overstock: days of cover (available ÷ average daily demand) > `overstock_days`. A SKU with no
  recent demand has no finite cover; it is reported as a slow mover instead, not here;
- slow mover (per SKU, all warehouses): sales below `slow_mover_monthly_units` in each of the
  last three full calendar months, while it still has stock (a clearance candidate).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

DEMAND_WINDOW_DAYS = 28


@dataclass(frozen=True)
class StockSignal:
    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    in_transit: int
    on_order: int
    demand_28d: int
    reorder_point: float | None = None
    daily_demand: float | None = None  # the demand figure (units/day); None: the last 28 days

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def position(self) -> int:
        """What is or will soon be available here: available + in transit + on order."""
        return self.available + self.in_transit + self.on_order

    @property
    def avg_daily_demand(self) -> float:
        if self.daily_demand is not None:
            return max(self.daily_demand, 0.0)
        return max(self.demand_28d, 0) / DEMAND_WINDOW_DAYS

    @property
    def days_of_cover(self) -> float | None:
        avg = self.avg_daily_demand
        return None if avg <= 0 else max(self.available, 0) / avg


def low_stock_threshold(signal: StockSignal, low_stock_days: float) -> float:
    if signal.reorder_point is not None:
        return signal.reorder_point
    return low_stock_days * signal.avg_daily_demand


def classify(signal: StockSignal, *, low_stock_days: float, overstock_days: float) -> list[str]:
    """The computed alert kinds of one position: any of low_stock, stock_out, overstock."""
    kinds = []
    threshold = low_stock_threshold(signal, low_stock_days)
    if threshold > 0 and signal.position < threshold:
        kinds.append("low_stock")
    if signal.available <= 0 and signal.demand_28d > 0:
        kinds.append("stock_out")
    cover = signal.days_of_cover
    if cover is not None and cover > overstock_days:
        kinds.append("overstock")
    return kinds


def suggested_quantity(signal: StockSignal, *, low_stock_days: float, review_period_days: float) -> int:
    """A starting quantity for the PO/transfer an alert links to: enough to get back above the
    threshold and cover one review period (the buyer edits it)."""
    target = low_stock_threshold(signal, low_stock_days) + review_period_days * signal.avg_daily_demand
    return max(1, math.ceil(target - signal.position))


def is_slow_mover(monthly_sales: Sequence[int], threshold: int) -> bool:
    """Three months of sales in a row, each below the threshold."""
    return len(monthly_sales) == 3 and all(units < threshold for units in monthly_sales)


def last_full_months(today: dt.date, n: int = 3) -> list[tuple[dt.date, dt.date]]:
    """The last `n` complete calendar months before `today`'s month, oldest first, as [start, end)."""
    out = []
    end = today.replace(day=1)
    for _ in range(n):
        start = (end - dt.timedelta(days=1)).replace(day=1)
        out.append((start, end))
        end = start
    return out[::-1]
