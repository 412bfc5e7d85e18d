"""Read helpers for the transfer form: find SKUs as the user types, with what the source holds."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.stock.models import StockBalance
from app.stock.totals import balance_totals

MAX_MATCHES = 15


@dataclass(frozen=True)
class SkuMatch:
    sku: str
    name: str
    variant: str | None
    available: int  # at the warehouse asked about (on hand − reserved)



def sku_matches(session: Session, *, q: str, warehouse_id: int | None, limit: int = MAX_MATCHES) -> list[SkuMatch]:
    """Active products whose SKU or name contains `q`; those the warehouse holds first (1 query)."""
    like = f"%{q.strip().lower()}%"
    totals = balance_totals(StockBalance.warehouse_id == warehouse_id)
    available = func.coalesce(totals.c.on_hand - totals.c.reserved, 0)
    stmt = (
        select(Product.sku, Product.name, Product.specification, available)
        .outerjoin(totals, totals.c.product_id == Product.id)
        .where(Product.is_active.is_(True),
               or_(func.lower(Product.sku).like(like), func.lower(Product.name).like(like)))
        .order_by((available > 0).desc(), Product.sku).limit(limit)
    )
    return [SkuMatch(sku, name, variant, int(avail)) for sku, name, variant, avail in session.execute(stmt)]


def available_by_sku(session: Session, *, skus: Sequence[str], warehouse_id: int) -> dict[str, int]:
    """Available (on hand − reserved) of each known SKU at one warehouse; 0 where it holds none (1 query)."""
    wanted = sorted({s.strip() for s in skus if s and s.strip()})
    if not wanted:
        return {}
    totals = balance_totals(StockBalance.warehouse_id == warehouse_id)
    rows = session.execute(
        select(Product.sku, func.coalesce(totals.c.on_hand - totals.c.reserved, 0))
        .outerjoin(totals, totals.c.product_id == Product.id)
        .where(Product.sku.in_(wanted))
    )
    return {sku: int(avail) for sku, avail in rows}
