"""Slow movers (per SKU, all warehouses): the rule of `classify.is_slow_mover` over the last three
full months, and what a buyer needs to clear them — where the stock lies, its value, the last
sale, turnover days and any open clearance. A fixed number of queries whatever the SKU count.

Turnover days per SKU follow the dashboard's rule (app/stock/turnover.py) over the last 90 days:
average stock value ÷ cost of goods sold per day; None when nothing was sold in those days.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.alerts.classify import is_slow_mover, last_full_months
from app.catalog.models import Product
from app.clearance.models import Clearance
from app.clearance.service import open_clearances
from app.locale_names import localized_name
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse
from app.stock.turnover import TURNOVER_WINDOW_DAYS, average_inventory, turnover_days

SALES_KINDS = (MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value)


@dataclass(frozen=True)
class WarehouseHolding:
    code: str
    name: str
    on_hand: int


@dataclass(frozen=True)
class SlowMover:
    product_id: int
    sku: str
    name: str
    on_hand: int
    monthly_sales: list[int]  # units, the three full months oldest first
    warehouses: list[WarehouseHolding]  # where the stock lies, most first
    stock_value: Decimal  # on hand × unit cost
    last_sale: dt.date | None  # the last day with a shipment to a customer
    turnover_days: Decimal | None
    clearance: Clearance | None  # the open clearance, if it is marked


def slow_movers(session: Session, *, today: dt.date, threshold: int) -> list[SlowMover]:
    months = last_full_months(today)
    window_start = months[0][0]
    sums = [
        func.coalesce(func.sum(case(((StockMovement.business_date >= a) & (StockMovement.business_date < b),
                                     -StockMovement.quantity), else_=0)), 0)
        for a, b in months
    ]
    sales = select(StockMovement.product_id.label("product_id"), *[s.label(f"m{i}") for i, s in enumerate(sums)]) \
        .where(StockMovement.kind.in_(SALES_KINDS),
               StockMovement.business_date >= window_start, StockMovement.business_date < months[-1][1]) \
        .group_by(StockMovement.product_id).subquery()
    stock = select(StockBalance.product_id.label("product_id"), func.sum(StockBalance.on_hand).label("on_hand")) \
        .group_by(StockBalance.product_id).subquery()
    start_at = dt.datetime.combine(window_start, dt.time(), tzinfo=dt.UTC)
    rows = session.execute(
        select(Product.id, Product.sku, Product.name, Product.unit_cost, stock.c.on_hand,
               func.coalesce(sales.c.m0, 0), func.coalesce(sales.c.m1, 0), func.coalesce(sales.c.m2, 0))
        .join(stock, stock.c.product_id == Product.id)
        .outerjoin(sales, sales.c.product_id == Product.id)
        # A product launched inside the window has not had three months to sell.
        .where(Product.is_active.is_(True), stock.c.on_hand > 0, Product.created_at < start_at)
        .order_by(Product.sku)
    ).all()
    slow = [(pid, sku, name, Decimal(cost or 0), int(on_hand), [int(a), int(b), int(c)])
            for pid, sku, name, cost, on_hand, a, b, c in rows if is_slow_mover([int(a), int(b), int(c)], threshold)]
    ids = [r[0] for r in slow]
    if not ids:
        return []
    holdings: dict[int, list[WarehouseHolding]] = defaultdict(list)
    for pid, code, wname, wname_zh, on_hand in session.execute(
            select(StockBalance.product_id, Warehouse.code, Warehouse.name, Warehouse.name_zh, StockBalance.on_hand)
            .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
            .where(StockBalance.product_id.in_(ids), StockBalance.on_hand > 0)
            .order_by(StockBalance.on_hand.desc(), Warehouse.code)):
        holdings[pid].append(WarehouseHolding(code, localized_name(wname, wname_zh), int(on_hand)))
    last_sale = dict(session.execute(
        select(StockMovement.product_id, func.max(StockMovement.business_date))
        .where(StockMovement.product_id.in_(ids), StockMovement.kind == MovementKind.SHIPMENT.value)
        .group_by(StockMovement.product_id)).all())
    start = today - dt.timedelta(days=TURNOVER_WINDOW_DAYS - 1)
    changes: dict[int, dict[dt.date, int]] = defaultdict(dict)
    sold: dict[int, int] = defaultdict(int)
    for pid, day, net, out in session.execute(
            select(StockMovement.product_id, StockMovement.business_date, func.sum(StockMovement.quantity),
                   func.sum(case((StockMovement.kind.in_(SALES_KINDS), -StockMovement.quantity), else_=0)))
            .where(StockMovement.product_id.in_(ids), StockMovement.business_date >= start,
                   StockMovement.business_date <= today)
            .group_by(StockMovement.product_id, StockMovement.business_date)):
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        changes[pid][day] = int(net or 0)
        sold[pid] += int(out or 0)
    clearances = open_clearances(session, ids)
    out_rows = []
    for pid, sku, name, cost, on_hand, monthly in slow:
        value_changes = {d: Decimal(n) * cost for d, n in changes[pid].items()}
        avg = average_inventory(Decimal(on_hand) * cost, value_changes, start, TURNOVER_WINDOW_DAYS)
        last = last_sale.get(pid)
        out_rows.append(SlowMover(
            pid, sku, name, on_hand, monthly, holdings[pid], (Decimal(on_hand) * cost).quantize(Decimal("0.01")),
            last if last is None or isinstance(last, dt.date) else dt.date.fromisoformat(str(last)),
            turnover_days(avg, Decimal(sold[pid]) * cost, TURNOVER_WINDOW_DAYS), clearances.get(pid)))
    return out_rows
