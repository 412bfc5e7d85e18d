"""One demand figure for every page: average daily demand and days of cover per SKU × warehouse.

Alerts, the dashboard, the product page and the suggestions all read demand from here, so a
buyer never sees two rates for the same stock:

* the **latest succeeded forecast run**'s mean ``yhat`` over its horizon, when the run has
  a series for the SKU × warehouse; else the ledger's last 28 days (shipments net of customer
  returns ÷ 28) — ``source`` says which;
* **network demand** for a warehouse that supplies others: a cloud warehouse's figure is its
  own + that of every forward warehouse it replenishes (``replenished_from_id``, else the
  lowest-id active cloud) — the same rule the planner uses (:mod:`forecasting.plan`);
* days of cover = available (on hand − reserved, never below 0) ÷ that daily demand; None
  when no demand is expected.

A fixed number of queries (three) whatever the number of SKUs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.planning.models import ForecastPoint, ForecastRun, RunStatus
from app.stock.models import MovementKind, StockMovement, Warehouse, WarehouseKind

HISTORY_WINDOW_DAYS = 28
FORECAST = "forecast"
HISTORY = "history"

Key = tuple[int, int]  # (product_id, warehouse_id)


@dataclass(frozen=True)
class DemandFigure:
    """Expected demand of one SKU in one warehouse, in units per day."""

    daily_demand: float
    source: str  # "forecast" or "history" (a network figure mixing both says "forecast+history")
    network: bool  # True: includes the forward warehouses this one supplies

    def days_of_cover(self, available: int) -> float | None:
        """``max(available, 0)`` ÷ daily demand; None when no demand is expected."""
        return None if self.daily_demand <= 0 else max(available, 0) / self.daily_demand


def _suppliers_of(session: Session) -> tuple[dict[int, int], set[int]]:
    """``{forward warehouse id: the cloud that supplies it}`` and the set of cloud ids."""
    rows = session.execute(select(Warehouse.id, Warehouse.kind, Warehouse.replenished_from_id)
                           .where(Warehouse.is_active.is_(True))).all()
    clouds = {wid for wid, kind, _ in rows if kind == WarehouseKind.CLOUD.value}
    default = min(clouds) if clouds else None
    source = {}
    for wid, kind, src in rows:
        if kind != WarehouseKind.CLOUD.value:
            chosen = src if src in clouds else default
            if chosen is not None:
                source[wid] = chosen
    return source, clouds


def own_demand(session: Session, *, today: dt.date, product_id: int | None = None) -> dict[Key, tuple[float, str]]:
    """Each SKU × warehouse's own daily demand: latest forecast, else the last 28 days."""
    since = today - dt.timedelta(days=HISTORY_WINDOW_DAYS)
    figures: dict[Key, tuple[float, str]] = {}
    history = (
        select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
        .where(StockMovement.kind.in_([MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value]),
               StockMovement.business_date >= since, StockMovement.business_date < today + dt.timedelta(days=1))
        .group_by(StockMovement.product_id, StockMovement.warehouse_id))
    latest_run = select(func.max(ForecastRun.id)).where(ForecastRun.status == RunStatus.SUCCEEDED.value)
    forecast = (
        select(ForecastPoint.product_id, ForecastPoint.warehouse_id, func.avg(ForecastPoint.yhat))
        .where(ForecastPoint.run_id == latest_run.scalar_subquery())
        .group_by(ForecastPoint.product_id, ForecastPoint.warehouse_id))
    if product_id is not None:
        history = history.where(StockMovement.product_id == product_id)
        forecast = forecast.where(ForecastPoint.product_id == product_id)
    for p, w, q in session.execute(history):
        figures[(p, w)] = (max(-float(q or 0), 0.0) / HISTORY_WINDOW_DAYS, HISTORY)
    for p, w, mean in session.execute(forecast):
        figures[(p, w)] = (max(float(mean or 0), 0.0), FORECAST)
    return figures


def demand_figures(session: Session, *, today: dt.date, product_id: int | None = None) -> dict[Key, DemandFigure]:
    """The demand figure of every SKU × warehouse with demand (see the module doc); of one
    product only with ``product_id``."""
    own = own_demand(session, today=today, product_id=product_id)
    source_of, clouds = _suppliers_of(session)
    totals: dict[Key, list[tuple[float, str]]] = {}
    for (p, w), figure in own.items():
        totals.setdefault((p, w), []).append(figure)
        cloud = source_of.get(w)
        if cloud is not None:
            totals.setdefault((p, cloud), []).append(figure)
    out = {}
    for (p, w), parts in totals.items():
        sources = sorted({src for _, src in parts})
        out[(p, w)] = DemandFigure(sum(rate for rate, _ in parts), "+".join(sources), network=w in clouds)
    return out


def demand_figure(figures: dict[Key, DemandFigure], product_id: int, warehouse_id: int) -> DemandFigure:
    """The figure of one SKU × warehouse; no demand at all is a zero figure from history."""
    return figures.get((product_id, warehouse_id), DemandFigure(0.0, HISTORY, network=False))
