"""Demand history as a series: pure functions (no database, no clock).

Demand is what customers took: shipments net of customer returns, per day. In the
ledger shipments are negative and customer returns positive, so a day's demand is
minus the sum of those two kinds of movement.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

GRANULARITIES = ("day", "week")


@dataclass(frozen=True)
class DemandPoint:
    start: dt.date  # first day of the bucket (a Monday for weeks)
    quantity: int  # net units; may be negative when returns exceed shipments


def demand_window(today: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The first and last day of the last `months` months ending with `today` (inclusive)."""
    year, month = today.year, today.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(today.day, 28)
    return dt.date(year, month, day) + dt.timedelta(days=1), today


def bucket_demand(daily: Mapping[dt.date, int], start: dt.date, end: dt.date, granularity: str = "week") -> list[DemandPoint]:
    """Every bucket from `start` to `end`, zeros included, summing `daily` into it.

    Weeks start on Monday; the first week may begin before `start` (it only sums days
    inside the window). Raises ValueError for an unknown granularity or end < start.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    if end < start:
        raise ValueError("end is before start")
    if granularity == "day":
        days = (end - start).days + 1
        return [DemandPoint(d, daily.get(d, 0)) for d in (start + dt.timedelta(days=i) for i in range(days))]
    first = start - dt.timedelta(days=start.weekday())
    weeks: dict[dt.date, int] = {}
    week = first
    while week <= end:
        weeks[week] = 0
        week += dt.timedelta(days=7)
    for day, qty in daily.items():
        if start <= day <= end:
            weeks[day - dt.timedelta(days=day.weekday())] += qty
    return [DemandPoint(w, q) for w, q in weeks.items()]
