"""Read models for pages: the stock overview page and the warehouse/category choices of
filter forms. Query count does not grow with rows. (The stock API's reads: `levels.py`.)"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.catalog.models import Category, Product
from app.locale_names import localized_name
from app.paging import Page, Sort, sorted_by
from app.stock.models import Warehouse
from app.stock.totals import balance_totals


@dataclass(frozen=True)
class StockRow:
    sku: str
    name: str
    category: str | None
    warehouse_code: str
    warehouse_name: str
    on_hand: int
    reserved: int
    available: int
    in_transit: int
    variant: str | None = None  # the product's variant attributes


# The stock overview's sortable columns (key → column of the query below); the usual order,
# and every sort's tiebreak, is SKU then warehouse code.
_BAL = balance_totals()
STOCK_SORTS = {"sku": Product.sku, "name": Product.name, "category": Category.name, "warehouse": Warehouse.code,
               "on_hand": _BAL.c.on_hand, "reserved": _BAL.c.reserved, "available": _BAL.c.on_hand - _BAL.c.reserved,
               "in_transit": _BAL.c.in_transit}


def stock_overview(
    session: Session,
    *,
    q: str | None = None,
    warehouse_code: str | None = None,
    category_code: str | None = None,
    sort: Sort | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[StockRow]:
    """Product × warehouse balances, searchable by SKU or name, filtered, sorted by `sort` (a key
    of STOCK_SORTS; none: by SKU and warehouse), paginated (2 queries)."""
    bal = _BAL
    stmt = (
        select(bal.c.on_hand, bal.c.reserved, bal.c.in_transit, Product.sku, Product.name, Category.name,
               Warehouse.code, Warehouse.name, Category.name_zh, Warehouse.name_zh, Product.specification)
        .join(Product, Product.id == bal.c.product_id)
        .join(Warehouse, Warehouse.id == bal.c.warehouse_id)
        .outerjoin(Category, Category.id == Product.category_id)
    )
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Product.sku).like(like), func.lower(Product.name).like(like)))
    if warehouse_code:
        stmt = stmt.where(Warehouse.code == warehouse_code)
    if category_code:
        stmt = stmt.where(Category.code == category_code)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    rows = session.execute(
        sorted_by(stmt, sort, STOCK_SORTS, Product.sku, Warehouse.code)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(
        rows=[
            StockRow(sku, name, cat and localized_name(cat, cat_zh), wcode, localized_name(wname, wname_zh), on_hand,
                     reserved, on_hand - reserved, in_transit, variant)
            for on_hand, reserved, in_transit, sku, name, cat, wcode, wname, cat_zh, wname_zh, variant in rows
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


def warehouse_choices(session: Session) -> list[tuple[str, str]]:
    return [(w.code, f"{w.code} — {w.local_name}") for w in session.scalars(select(Warehouse).order_by(Warehouse.code))]


def category_choices(session: Session) -> list[tuple[str, str]]:
    return [(c.code, c.local_name) for c in session.scalars(select(Category).order_by(Category.name))]
