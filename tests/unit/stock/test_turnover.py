import datetime as dt
from decimal import Decimal

from app.stock.turnover import average_inventory, month_starts, monthly_series, turnover_days


def test_average_inventory_rebuilds_each_day_backwards_from_today() -> None:
    start = dt.date(2026, 1, 1)
    # 4-day window; today's inventory 100; +40 booked on day 3 (Jan 3) → days: 60, 60, 100, 100
    assert average_inventory(Decimal(100), {dt.date(2026, 1, 3): Decimal(40)}, start, 4) == Decimal(80)
    # changes outside the window are ignored
    assert average_inventory(Decimal(100), {dt.date(2025, 12, 31): Decimal(40)}, start, 4) == Decimal(100)


def test_turnover_days_is_average_inventory_over_daily_cogs_and_undefined_without_sales() -> None:
    assert turnover_days(Decimal(9000), Decimal(9000), 90) == Decimal("90.0")
    assert turnover_days(Decimal(9000), Decimal(0), 90) is None


def test_monthly_series_gives_demand_per_month_and_stock_at_month_end() -> None:
    months = month_starts(dt.date(2026, 3, 10), 3)
    assert months == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    daily = {dt.date(2026, 1, 5): (-10, 10), dt.date(2026, 2, 7): (50, 0), dt.date(2026, 3, 2): (-5, 5)}
    points = monthly_series(100, daily, months)
    assert [(p.demand, p.stock_end) for p in points] == [(10, 55), (0, 105), (5, 100)]
