"""Headline stock figures for the dashboard: stock value, inventory turnover days, and the
monthly demand / stock series. Aggregated in SQL (a fixed number of grouped queries); the
arithmetic is in pure functions below.

Inventory turnover days (last 90 days), per warehouse and per category:

    turnover days = average inventory value ÷ COGS per day

- inventory value = on hand × product.unit_cost (standard cost);
- average inventory value = the mean of the end-of-day inventory value over the 90 days,
  rebuilt from today's value backwards through the ledger (I(d) = I(today) − value of the
  movements after day d);
- COGS per day = value of shipments (net of customer returns) in the 90 days ÷ 90.
None when nothing was sold (turnover is then undefined, not zero).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.catalog.models import Category, Product
from app.locale_names import localized_name
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse

TURNOVER_WINDOW_DAYS = 90
DEMAND_KINDS = (MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value)


def average_inventory(current: Decimal, daily_changes: Mapping[dt.date, Decimal], start: dt.date, days: int) -> Decimal:
    """Mean end-of-day inventory over [start, start + days), given today's inventory (end of the
    last day) and the net change booked on each day of the window."""
    end = start + dt.timedelta(days=days)
    # A change on day t is missing from every end-of-day figure before t: (t − start) of them.
    missing = sum((v * (t - start).days for t, v in daily_changes.items() if start <= t < end), Decimal(0))
    # Back-dated movements (e.g. imported history) can make the rebuilt past look negative.
    return max(current - missing / days, Decimal(0))


def turnover_days(average_value: Decimal, cogs: Decimal, days: int) -> Decimal | None:
    if cogs <= 0:
        return None
    return (average_value / (cogs / days)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class TurnoverRow:
    key: str
    label: str
    stock_value: Decimal
    average_value: Decimal
    cogs: Decimal
    turnover_days: Decimal | None


@dataclass(frozen=True)
class Turnover:
    total: TurnoverRow
    by_warehouse: list[TurnoverRow]
    by_category: list[TurnoverRow]


def turnover(session: Session, *, today: dt.date) -> Turnover:
    """Stock value and turnover days overall, per warehouse and per category (2 queries)."""
    start = today - dt.timedelta(days=TURNOVER_WINDOW_DAYS - 1)
    value = StockBalance.on_hand * Product.unit_cost
    current = session.execute(
        select(StockBalance.warehouse_id, Warehouse.code, Warehouse.name, Warehouse.name_zh, Product.category_id,
               Category.name, Category.name_zh, func.sum(value))
        .join(Product, Product.id == StockBalance.product_id).join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .group_by(StockBalance.warehouse_id, Warehouse.code, Warehouse.name, Warehouse.name_zh, Product.category_id,
                  Category.name, Category.name_zh)
    ).all()
    moved = StockMovement.quantity * Product.unit_cost
    flows = session.execute(
        select(StockMovement.warehouse_id, Product.category_id, StockMovement.business_date, func.sum(moved),
               func.sum(case((StockMovement.kind.in_(DEMAND_KINDS), -moved), else_=0)))
        .join(Product, Product.id == StockMovement.product_id)
        .where(StockMovement.business_date >= start, StockMovement.business_date <= today)
        .group_by(StockMovement.warehouse_id, Product.category_id, StockMovement.business_date)
    ).all()
    labels: dict[tuple[str, str], str] = {("all", "all"): "all"}
    now_value: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    changes: dict[tuple[str, str], dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    cogs: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for wid, wcode, wname, wname_zh, cid, cname, cname_zh, v in current:
        labels[("w", str(wid))] = f"{wcode} — {localized_name(wname, wname_zh)}"
        labels[("c", str(cid))] = localized_name(cname, cname_zh) if cname else "—"
        for key in (("all", "all"), ("w", str(wid)), ("c", str(cid))):
            now_value[key] += Decimal(v or 0)
    for wid, cid, day, net, sold in flows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        for key in (("all", "all"), ("w", str(wid)), ("c", str(cid))):
            changes[key][day] += Decimal(net or 0)
            cogs[key] += Decimal(sold or 0)

    def row(key: tuple[str, str]) -> TurnoverRow:
        avg = average_inventory(now_value[key], changes[key], start, TURNOVER_WINDOW_DAYS)
        return TurnoverRow(key[1], labels.get(key, "—"), now_value[key].quantize(Decimal("0.01")),
                           avg.quantize(Decimal("0.01")), cogs[key].quantize(Decimal("0.01")),
                           turnover_days(avg, cogs[key], TURNOVER_WINDOW_DAYS))

    keys = set(labels) | set(changes)
    return Turnover(
        total=row(("all", "all")),
        by_warehouse=sorted((row(k) for k in keys if k[0] == "w"), key=lambda r: r.label),
        by_category=sorted((row(k) for k in keys if k[0] == "c"), key=lambda r: r.label),
    )


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date  # first day of the month
    demand: int
    stock_end: int  # units on hand at the end of the month (today for the current month)


def month_starts(today: dt.date, n: int = 12) -> list[dt.date]:
    """First days of the last `n` months, oldest first, ending with today's month."""
    out = [today.replace(day=1)]
    while len(out) < n:
        out.append((out[-1] - dt.timedelta(days=1)).replace(day=1))
    return out[::-1]


def monthly_series(total_now: int, daily: Mapping[dt.date, tuple[int, int]], months: list[dt.date]) -> list[MonthPoint]:
    """Demand per month and stock at each month's end, from today's total on hand and the
    per-day (net movement, demand) sums. Pure."""
    points = []
    for i, start in enumerate(months):
        end = months[i + 1] if i + 1 < len(months) else None
        demand = sum(d for day, (_net, d) in daily.items() if day >= start and (end is None or day < end))
        after = sum(net for day, (net, _d) in daily.items() if end is not None and day >= end)
        points.append(MonthPoint(start, demand, total_now - after))
    return points


def demand_and_stock(session: Session, *, today: dt.date, complete_months: int = 12) -> list[MonthPoint]:
    """Demand and stock (units, all warehouses) for the last `complete_months` complete months and
    the current, partial one (the last point, up to `today`) (2 queries)."""
    months = month_starts(today, complete_months + 1)
    rows = session.execute(
        select(StockMovement.business_date, func.sum(StockMovement.quantity),
               func.sum(case((StockMovement.kind.in_(DEMAND_KINDS), -StockMovement.quantity), else_=0)))
        .where(StockMovement.business_date >= months[0], StockMovement.business_date <= today)
        .group_by(StockMovement.business_date)
    ).all()
    daily = {(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): (int(n or 0), int(x or 0))
             for d, n, x in rows}
    total_now = int(session.scalar(select(func.coalesce(func.sum(StockBalance.on_hand), 0))) or 0)
    return monthly_series(total_now, daily, months)
