"""Balances as everybody outside the stock core sees them: one row per product × warehouse.

A hot SKU × warehouse is stored as several rows (its buckets, docs/concurrency.md); every
read of on hand / reserved / in transit per balance goes through `balance_totals`, which
sums them. For a balance of one row the sum is the row.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Subquery, func, select

from app.stock.models import StockBalance


def balance_totals(*where: Any, name: str = "stock_total") -> Subquery:
    """product_id, warehouse_id, on_hand, reserved, in_transit, buckets — summed over the buckets
    of each balance. `where` filters the rows first (pass the product/warehouse filter here:
    it keeps the aggregate to the balances asked for)."""
    stmt = select(
        StockBalance.product_id, StockBalance.warehouse_id,
        func.sum(StockBalance.on_hand).label("on_hand"), func.sum(StockBalance.reserved).label("reserved"),
        func.sum(StockBalance.in_transit).label("in_transit"), func.count().label("buckets"),
    ).group_by(StockBalance.product_id, StockBalance.warehouse_id)
    if where:
        stmt = stmt.where(*where)
    return stmt.subquery(name)
