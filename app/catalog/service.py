"""Read models of the catalog pages: product list, product detail, movement history, demand.

Every function here issues a fixed number of queries whatever the number of rows
(list pages: a count and a page query).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.auth.models import StaffUser
from app.catalog.demand import DemandPoint, bucket_demand, demand_window
from app.catalog.models import Category, Product
from app.errors import NotFound
from app.paging import AnySelect, Page, Sort, page_of, sorted_by
from app.planning.accuracy import NO_FORECAST, SeriesAccuracy, latest_for_product
from app.planning.demand_figures import demand_figure, demand_figures
from app.purchasing.models import OPEN_PO_STATUSES, PurchaseOrder, PurchaseOrderLine
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse
from app.stock.totals import balance_totals
from app.suppliers.models import Supplier, SupplierPrice

# PO statuses whose unaccepted quantity is still expected ("on order").
PRODUCT_SORTS = ("sku", "name", "on_hand", "available", "on_order")
DEMAND_KINDS = (MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value)


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    name: str
    category: str | None
    unit: str
    on_hand: int
    reserved: int
    available: int
    in_transit: int
    on_order: int
    variant: str | None = None  # the variant attributes ("Pro / Navy")
    category_zh: str | None = None  # the category's Chinese name (the page shows it with `local_name`)


@dataclass(frozen=True)
class ProductFilter:
    q: str | None = None
    category_code: str | None = None
    warehouse_code: str | None = None
    sort: str = "sku"


def _on_order_subquery(warehouse_code: str | None) -> Any:
    outstanding = func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.accepted_quantity)
    stmt = (
        select(PurchaseOrderLine.product_id, outstanding.label("on_order"))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(OPEN_PO_STATUSES), PurchaseOrderLine.status.notin_(("rejected", "cancelled")),
               PurchaseOrderLine.quantity > PurchaseOrderLine.accepted_quantity)
        .group_by(PurchaseOrderLine.product_id)
    )
    if warehouse_code:
        stmt = stmt.join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id).where(Warehouse.code == warehouse_code)
    return stmt.subquery()


def _products_query(f: ProductFilter) -> AnySelect:
    bal = select(
        StockBalance.product_id,
        func.sum(StockBalance.on_hand).label("on_hand"),
        func.sum(StockBalance.reserved).label("reserved"),
        func.sum(StockBalance.in_transit).label("in_transit"),
    ).group_by(StockBalance.product_id)
    if f.warehouse_code:
        bal = bal.join(Warehouse, Warehouse.id == StockBalance.warehouse_id).where(Warehouse.code == f.warehouse_code)
    totals = bal.subquery()
    on_order = _on_order_subquery(f.warehouse_code)
    on_hand = func.coalesce(totals.c.on_hand, 0)
    reserved = func.coalesce(totals.c.reserved, 0)
    ordered = func.coalesce(on_order.c.on_order, 0)
    stmt = (
        select(Product.id, Product.sku, Product.name, Category.name, Product.unit, on_hand, reserved,
               on_hand - reserved, func.coalesce(totals.c.in_transit, 0), ordered, Product.specification,
               Category.name_zh)
        .outerjoin(Category, Category.id == Product.category_id)
        .outerjoin(on_order, on_order.c.product_id == Product.id)
    )
    # A warehouse filter keeps the products that warehouse holds or has on order.
    if f.warehouse_code:
        stmt = stmt.outerjoin(totals, totals.c.product_id == Product.id).where(
            or_(totals.c.product_id.is_not(None), on_order.c.product_id.is_not(None)))
    else:
        stmt = stmt.outerjoin(totals, totals.c.product_id == Product.id)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Product.sku).like(like), func.lower(Product.name).like(like),
                              func.lower(func.coalesce(Product.style_number, "")).like(like)))
    if f.category_code:
        stmt = stmt.where(Category.code == f.category_code)
    orders: dict[str, list[Any]] = {
        "sku": [Product.sku],
        "-sku": [Product.sku.desc()],
        "name": [Product.name, Product.sku],
        "-name": [Product.name.desc(), Product.sku],
        "on_hand": [on_hand.desc(), Product.sku],
        "available": [(on_hand - reserved).desc(), Product.sku],
        "on_order": [ordered.desc(), Product.sku],
    }
    return stmt.order_by(*orders.get(f.sort, [Product.sku]))


def list_products(session: Session, f: ProductFilter, *, page: int = 1, per_page: int = 50) -> Page[ProductRow]:
    """Products with their stock summed over warehouses (or one warehouse), searched, sorted, paginated."""
    rows, total, page = page_of(session, _products_query(f), page=page, per_page=per_page)
    return Page([ProductRow(*r) for r in rows], total, page, per_page)


def iter_products(session: Session, f: ProductFilter) -> Iterator[ProductRow]:
    """Every product matching `f`, in page order (for CSV export)."""
    # `with`: a CSV export the client abandons closes the result, and its server-side cursor, at once
    with session.execute(_products_query(f).execution_options(yield_per=500)) as result:
        for r in result:
            yield ProductRow(*r)


@dataclass(frozen=True)
class WarehouseStock:
    code: str
    name: str
    kind: str
    on_hand: int
    reserved: int
    available: int
    in_transit: int
    on_order: int
    warehouse_id: int | None = None  # links the row to its forecast chart


@dataclass(frozen=True)
class PriceRow:
    id: int
    supplier_id: int
    supplier_code: str
    supplier_name: str
    unit_price: Decimal
    currency: str
    moq: int
    pack_size: int
    lead_time_days: int
    is_preferred: bool
    valid_from: dt.date
    valid_to: dt.date | None
    is_valid: bool  # valid on the reference day


@dataclass(frozen=True)
class ProductDetail:
    product: Product
    category: str | None
    stock: list[WarehouseStock]
    prices: list[PriceRow]
    # warehouse code → (average daily demand, days of cover) from the one demand figure
    demand: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    # warehouse code → the latest forecast's backtest accuracy against the seasonal naive
    accuracy: dict[str, SeriesAccuracy] = field(default_factory=dict)

    @property
    def total_on_hand(self) -> int:
        return sum(w.on_hand for w in self.stock)

    @property
    def total_available(self) -> int:
        return sum(w.available for w in self.stock)


def get_product_by_sku(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound(f"product {sku} not found", sku=sku)
    return product


def product_detail(session: Session, *, sku: str, today: dt.date) -> ProductDetail:
    """The product, its stock in every warehouse that holds it or expects it, its supplier prices."""
    product = get_product_by_sku(session, sku)
    category_row = session.get(Category, product.category_id) if product.category_id else None
    category = category_row.local_name if category_row else None
    outstanding = func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.accepted_quantity)
    on_order = dict(session.execute(
        select(PurchaseOrder.warehouse_id, outstanding)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrderLine.product_id == product.id, PurchaseOrder.status.in_(OPEN_PO_STATUSES),
               PurchaseOrderLine.status.notin_(("rejected", "cancelled")),
               PurchaseOrderLine.quantity > PurchaseOrderLine.accepted_quantity)
        .group_by(PurchaseOrder.warehouse_id)
    ).all())
    totals = balance_totals(StockBalance.product_id == product.id)
    balances = {b.warehouse_id: b for b in session.execute(select(totals))}
    ids = set(balances) | set(on_order)
    stock = []
    demand: dict[str, tuple[float, float | None]] = {}
    figures = demand_figures(session, today=today, product_id=product.id)
    scores = latest_for_product(session, product_id=product.id)
    accuracy: dict[str, SeriesAccuracy] = {}
    if ids:
        for w in session.scalars(select(Warehouse).where(Warehouse.id.in_(ids)).order_by(Warehouse.kind, Warehouse.code)):
            b = balances.get(w.id)
            on_hand, reserved = (b.on_hand, b.reserved) if b else (0, 0)
            stock.append(WarehouseStock(w.code, w.local_name, w.kind, on_hand, reserved, on_hand - reserved,
                                        b.in_transit if b else 0, int(on_order.get(w.id) or 0), w.id))
            figure = demand_figure(figures, product.id, w.id)
            demand[w.code] = (figure.daily_demand, figure.days_of_cover(on_hand - reserved))
            accuracy[w.code] = scores.get(w.id, NO_FORECAST)
    prices = [
        PriceRow(p.id, sup.id, sup.code, sup.name, p.unit_price, p.currency, p.moq, p.pack_size, p.lead_time_days,
                 p.is_preferred, p.valid_from, p.valid_to, p.valid_from <= today and (p.valid_to is None or today <= p.valid_to))
        for p, sup in session.execute(
            select(SupplierPrice, Supplier).join(Supplier, Supplier.id == SupplierPrice.supplier_id)
            .where(SupplierPrice.product_id == product.id)
            .order_by(SupplierPrice.is_preferred.desc(), Supplier.code, SupplierPrice.valid_from.desc())
        )
    ]
    return ProductDetail(product, category, stock, prices, demand, accuracy)


@dataclass(frozen=True)
class MovementRow:
    id: int
    occurred_at: dt.datetime
    warehouse_code: str
    kind: str
    quantity: int
    reference_type: str | None
    reference_id: str | None
    source: str
    note: str | None
    user_email: str | None


@dataclass(frozen=True)
class MovementFilter:
    warehouse_code: str | None = None
    kind: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: Sort | None = None  # a key of MOVEMENT_SORTS; None: newest first


# The movement history's sortable columns; newest first breaks ties.
MOVEMENT_SORTS = {"when": StockMovement.occurred_at, "warehouse": Warehouse.code, "kind": StockMovement.kind,
                  "quantity": StockMovement.quantity, "reference": StockMovement.reference_id,
                  "source": StockMovement.source}


def _movements_query(product_id: int, f: MovementFilter) -> AnySelect:
    stmt = (
        select(StockMovement.id, StockMovement.occurred_at, Warehouse.code, StockMovement.kind, StockMovement.quantity,
               StockMovement.reference_type, StockMovement.reference_id, StockMovement.source, StockMovement.note,
               StaffUser.email)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .outerjoin(StaffUser, StaffUser.id == StockMovement.user_id)
        .where(StockMovement.product_id == product_id)
    )
    if f.warehouse_code:
        stmt = stmt.where(Warehouse.code == f.warehouse_code)
    if f.kind:
        stmt = stmt.where(StockMovement.kind == f.kind)
    if f.date_from:
        stmt = stmt.where(StockMovement.business_date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(StockMovement.business_date <= f.date_to)
    return sorted_by(stmt, f.sort, MOVEMENT_SORTS, StockMovement.occurred_at.desc(), StockMovement.id.desc())


def list_movements(session: Session, *, product_id: int, f: MovementFilter, page: int = 1,
                   per_page: int = 50) -> Page[MovementRow]:
    """The product's ledger lines, newest first (or by `f.sort`), filtered and paginated."""
    rows, total, page = page_of(session, _movements_query(product_id, f), page=page, per_page=per_page)
    return Page([MovementRow(*r) for r in rows], total, page, per_page)


def iter_movements(session: Session, *, product_id: int, f: MovementFilter) -> Iterator[MovementRow]:
    # `with`: a CSV export the client abandons closes the result, and its server-side cursor, at once
    with session.execute(_movements_query(product_id, f).execution_options(yield_per=1000)) as result:
        for r in result:
            yield MovementRow(*r)


def demand_series(session: Session, *, product_id: int, today: dt.date, granularity: str = "week",
                  warehouse_code: str | None = None) -> list[DemandPoint]:
    """Net demand (shipments − customer returns) of the last 12 months, per day or week (one query)."""
    start, end = demand_window(today)
    stmt = (
        select(StockMovement.business_date, -func.sum(StockMovement.quantity))
        .where(StockMovement.product_id == product_id, StockMovement.kind.in_(DEMAND_KINDS),
               StockMovement.business_date >= start, StockMovement.business_date <= end)
        .group_by(StockMovement.business_date)
    )
    if warehouse_code:
        stmt = stmt.join(Warehouse, and_(Warehouse.id == StockMovement.warehouse_id, Warehouse.code == warehouse_code))
    daily = {d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)): int(q or 0)
             for d, q in session.execute(stmt)}
    return bucket_demand(daily, start, end, granularity)
