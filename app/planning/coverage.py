"""Did a run's forecast intervals hold? Its stored daily intervals against what sold since.

A run forecasts from its ``start_day`` (the first forecast day; its history ends the day
before) and stores, per series and day, the forecast and its 80 % and 95 % intervals
(:class:`app.planning.models.ForecastPoint`). Once days have passed, the ledger says what
really sold on them — demand as the run reads it (:mod:`app.planning.inputs`): shipments net
of customer returns per product × warehouse × business day, a negative net day counting as
zero, a day with no movement as zero. A day *held* when ``lo <= sold <= hi``.

Only whole days count: ``start_day <= day < today`` and within the run's horizon. With fewer
than :data:`MIN_DAYS` days the share says little (one week decides it), and the page says so.

Read-only; two queries whatever the size of the run.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.planning.inputs import DEMAND_KINDS
from app.planning.models import ForecastPoint, ForecastRun
from app.stock.models import StockMovement

MIN_DAYS = 7  # a full week: fewer days give a share that one weekday can swing


@dataclass(frozen=True)
class IntervalCoverage:
    """How many (series, day) points of a run fell inside their 80 % and 95 % intervals."""

    first_day: dt.date | None  # None: the run has no forecast start (never prepared)
    days: int  # whole days passed since the run's first forecast day, within its horizon
    series: int
    points: int  # series × days checked
    checked_80: int  # points that have an 80 % interval
    held_80: int
    checked_95: int
    held_95: int

    @property
    def last_day(self) -> dt.date | None:
        return self.first_day + dt.timedelta(days=self.days - 1) if self.first_day and self.days else None

    @property
    def share_80(self) -> float | None:
        return self.held_80 / self.checked_80 if self.checked_80 else None

    @property
    def share_95(self) -> float | None:
        return self.held_95 / self.checked_95 if self.checked_95 else None

    @property
    def enough_days(self) -> bool:
        return self.days >= MIN_DAYS


def interval_coverage(session: Session, run: ForecastRun, *, today: dt.date) -> IntervalCoverage:
    """Coverage of ``run``'s stored intervals on the whole days from its start to ``today``
    (excluded), at most its horizon."""
    start = run.start_day
    if start is None:
        return IntervalCoverage(None, 0, 0, 0, 0, 0, 0, 0)
    end = min(today, start + dt.timedelta(days=run.horizon_days))
    days = max((end - start).days, 0)
    if days == 0:
        return IntervalCoverage(start, 0, 0, 0, 0, 0, 0, 0)
    sold = (
        select(StockMovement.product_id, StockMovement.warehouse_id, StockMovement.business_date,
               (-func.sum(StockMovement.quantity)).label("sold"))
        .where(StockMovement.kind.in_(DEMAND_KINDS), StockMovement.business_date >= start,
               StockMovement.business_date < end)
        .group_by(StockMovement.product_id, StockMovement.warehouse_id, StockMovement.business_date)
        .subquery())
    net = func.coalesce(sold.c.sold, 0)
    actual = case((net > 0, net), else_=0)
    p = ForecastPoint

    def held(lo: Any, hi: Any) -> Any:  # points whose interval [lo, hi] holds what sold
        return func.coalesce(func.sum(case((and_(lo <= actual, actual <= hi), 1), else_=0)), 0)

    def has(lo: Any, hi: Any) -> Any:  # points that have that interval at all
        return func.coalesce(func.sum(case((and_(lo.isnot(None), hi.isnot(None)), 1), else_=0)), 0)

    in_window = (p.run_id == run.id, p.ds >= start, p.ds < end)
    points, checked_80, held_80, checked_95, held_95 = session.execute(
        select(func.count(), has(p.yhat_lo_80, p.yhat_hi_80), held(p.yhat_lo_80, p.yhat_hi_80),
               has(p.yhat_lo_95, p.yhat_hi_95), held(p.yhat_lo_95, p.yhat_hi_95))
        .select_from(p)
        .outerjoin(sold, and_(sold.c.product_id == p.product_id, sold.c.warehouse_id == p.warehouse_id,
                              sold.c.business_date == p.ds))
        .where(*in_window)).one()
    series = session.scalar(select(func.count()).select_from(
        select(p.product_id, p.warehouse_id).where(*in_window).distinct().subquery())) or 0
    return IntervalCoverage(start, days, int(series), int(points), int(checked_80), int(held_80),
                            int(checked_95), int(held_95))
