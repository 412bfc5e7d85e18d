"""Stock shared with a supplier: for the SKUs it supplies, our stock and days of cover per
warehouse (available ÷ average daily demand over the 28 days ending today). Live reads."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.locale_names import localized_name
from app.paging import Page, Sort, sorted_by
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse
from app.stock.totals import balance_totals
from app.suppliers.models import SupplierPrice

DEMAND_DAYS = 28


@dataclass(frozen=True)
class CoverRow:
    sku: str
    name: str
    warehouse_code: str
    warehouse_name: str
    on_hand: int
    available: int
    in_transit: int
    demand_28d: int
    days_of_cover: float | None  # None: no demand in the window

    @property
    def daily_demand(self) -> float:
        return self.demand_28d / DEMAND_DAYS


def days_of_cover(available: int, demand_in_window: int, window_days: int = DEMAND_DAYS) -> float | None:
    """available ÷ (demand ÷ days); None when there was no (net) demand."""
    if demand_in_window <= 0:
        return None
    return round(max(0, available) / (demand_in_window / window_days), 1)


# Sortable columns of the portal's stock page. Its rows come per SKU (a SKU's warehouses stay
# together), so the quantities sort by the SKU's total over all warehouses; ties by SKU.
_PRODUCT_STOCK = (select(StockBalance.product_id, func.sum(StockBalance.on_hand).label("on_hand"),
                         func.sum(StockBalance.on_hand - StockBalance.reserved).label("available"))
                  .group_by(StockBalance.product_id).subquery("product_stock"))
STOCK_SORTS = {"sku": Product.sku, "name": Product.name,
               "on_hand": func.coalesce(_PRODUCT_STOCK.c.on_hand, 0),
               "available": func.coalesce(_PRODUCT_STOCK.c.available, 0)}


def supplied_stock(
    session: Session, *, supplier_id: int, today: dt.date, q: str | None = None, sort: Sort | None = None,
    page: int = 1, per_page: int = 25,
) -> Page[CoverRow]:
    """Paginated by SKU, by SKU or by `sort` (a key of STOCK_SORTS) (4 queries whatever the page
    size). Only SKUs with a current or future price row of this supplier; nothing about who
    else supplies them."""
    supplied = select(SupplierPrice.product_id).where(
        SupplierPrice.supplier_id == supplier_id, or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= today))
    products = select(Product.id).where(Product.id.in_(supplied))
    if q:
        like = f"%{q.strip().lower()}%"
        products = products.where(or_(func.lower(Product.sku).like(like), func.lower(Product.name).like(like)))
    total = session.scalar(select(func.count()).select_from(products.subquery())) or 0
    page = max(1, page)
    chosen = session.execute(sorted_by(
        select(Product.id, Product.sku, Product.name).where(Product.id.in_(products))
        .outerjoin(_PRODUCT_STOCK, _PRODUCT_STOCK.c.product_id == Product.id), sort, STOCK_SORTS, Product.sku)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    ids = [pid for pid, _sku, _name in chosen]
    totals = balance_totals(StockBalance.product_id.in_(ids))
    balances = session.execute(
        select(totals.c.product_id, Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.name_zh, totals.c.on_hand,
               totals.c.reserved, totals.c.in_transit)
        .join(Warehouse, Warehouse.id == totals.c.warehouse_id).order_by(Warehouse.code)
    ).all() if ids else []
    # Demand = shipments to customers net of customer returns (both signed in the ledger).
    demand = dict(((pid, wid), int(-qty)) for pid, wid, qty in session.execute(
        select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
        .where(StockMovement.product_id.in_(ids),
               StockMovement.kind.in_((MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value)),
               StockMovement.business_date > today - dt.timedelta(days=DEMAND_DAYS),
               StockMovement.business_date <= today)
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)
    )) if ids else {}
    by_product: dict[int, list[CoverRow]] = {pid: [] for pid in ids}
    names = {pid: (sku, name) for pid, sku, name in chosen}
    for pid, wid, wcode, wname, wname_zh, on_hand, reserved, in_transit in balances:
        d = max(0, demand.get((pid, wid), 0))
        by_product[pid].append(CoverRow(*names[pid], wcode, localized_name(wname, wname_zh), on_hand,
                                        on_hand - reserved, in_transit, d,
                                        days_of_cover(on_hand - reserved, d)))
    rows = [row for pid in ids for row in (by_product[pid] or [CoverRow(*names[pid], "—", "", 0, 0, 0, 0, None)])]
    return Page(rows, total, page, per_page)
