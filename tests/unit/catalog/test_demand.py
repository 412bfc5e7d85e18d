"""Demand buckets: every bucket present, weeks start on Monday, days outside the window ignored."""
from __future__ import annotations

import datetime as dt

import pytest

from app.catalog.demand import DemandPoint, bucket_demand, demand_window

D = dt.date


def test_daily_buckets_fill_missing_days_with_zero() -> None:
    assert bucket_demand({D(2026, 3, 2): 4}, D(2026, 3, 1), D(2026, 3, 3), "day") == [
        DemandPoint(D(2026, 3, 1), 0), DemandPoint(D(2026, 3, 2), 4), DemandPoint(D(2026, 3, 3), 0)]


def test_weekly_buckets_start_on_monday_and_net_returns() -> None:
    daily = {D(2026, 3, 2): 5, D(2026, 3, 8): -2, D(2026, 3, 9): 7, D(2026, 2, 1): 100}
    points = bucket_demand(daily, D(2026, 3, 4), D(2026, 3, 10), "week")
    assert points == [DemandPoint(D(2026, 3, 2), -2), DemandPoint(D(2026, 3, 9), 7)]  # 3-2 is before the window


@pytest.mark.parametrize(("today", "start"), [(D(2026, 3, 10), D(2025, 3, 11)), (D(2026, 1, 31), D(2025, 1, 29)),
                                              (D(2024, 2, 29), D(2023, 2, 28) + dt.timedelta(days=1))])
def test_window_is_twelve_months_ending_today(today: dt.date, start: dt.date) -> None:
    assert demand_window(today) == (start, today)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        bucket_demand({}, D(2026, 1, 2), D(2026, 1, 1))
    with pytest.raises(ValueError):
        bucket_demand({}, D(2026, 1, 1), D(2026, 1, 2), "month")
