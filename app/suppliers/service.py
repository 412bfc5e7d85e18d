"""Suppliers and their price lists: reading pages, and saving a price with its rules.

Rules of a price (enforced in `save_price`): valid_to ≥ valid_from, MOQ and pack size
≥ 1, lead time ≥ 0, unit price a Decimal ≥ 0; and one preferred supplier per product
at a time — marking a price preferred clears the flag on other suppliers' prices for
the same product whose validity overlaps it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import NotFound, ValidationFailed
from app.paging import AnySelect, Page, Sort, page_of, sorted_by
from app.purchasing.models import OPEN_PO_STATUSES, POStatus, PurchaseOrder, PurchaseOrderLine
from app.stock.models import Warehouse
from app.suppliers.models import Supplier, SupplierPrice

# Statuses of a PO that is still open from the supplier's side.
OPEN_STATUSES = (POStatus.DRAFT.value, *OPEN_PO_STATUSES)  # a supplier's open orders include drafts


@dataclass(frozen=True)
class SupplierRow:
    id: int
    code: str
    name: str
    email: str | None
    country: str | None
    currency: str
    is_active: bool
    products: int
    open_orders: int


@dataclass(frozen=True)
class SupplierFilter:
    q: str | None = None
    active: str | None = None  # "yes" | "no" | None
    sort: Sort | None = None  # a key of SUPPLIER_SORTS; None: by name


SUPPLIER_SORTS = {"code": Supplier.code, "name": Supplier.name, "country": Supplier.country,
                  "currency": Supplier.currency}


def _suppliers_query(f: SupplierFilter) -> AnySelect:
    products = (select(SupplierPrice.supplier_id, func.count(func.distinct(SupplierPrice.product_id)).label("n"))
                .group_by(SupplierPrice.supplier_id).subquery())
    orders = (select(PurchaseOrder.supplier_id, func.count().label("n"))
              .where(PurchaseOrder.status.in_(OPEN_STATUSES)).group_by(PurchaseOrder.supplier_id).subquery())
    stmt = (
        select(Supplier.id, Supplier.code, Supplier.name, Supplier.email, Supplier.country, Supplier.currency,
               Supplier.is_active, func.coalesce(products.c.n, 0), func.coalesce(orders.c.n, 0))
        .outerjoin(products, products.c.supplier_id == Supplier.id)
        .outerjoin(orders, orders.c.supplier_id == Supplier.id)
    )
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Supplier.code).like(like), func.lower(Supplier.name).like(like)))
    if f.active in ("yes", "no"):
        stmt = stmt.where(Supplier.is_active.is_(f.active == "yes"))
    return sorted_by(stmt, f.sort, SUPPLIER_SORTS, Supplier.name, Supplier.code)


def list_suppliers(session: Session, f: SupplierFilter, *, page: int = 1, per_page: int = 50) -> Page[SupplierRow]:
    rows, total, page = page_of(session, _suppliers_query(f), page=page, per_page=per_page)
    return Page([SupplierRow(*r) for r in rows], total, page, per_page)


def iter_suppliers(session: Session, f: SupplierFilter) -> Iterator[SupplierRow]:
    # `with`: a CSV export the client abandons closes the result, and its server-side cursor, at once
    with session.execute(_suppliers_query(f).execution_options(yield_per=500)) as result:
        for r in result:
            yield SupplierRow(*r)


def get_supplier(session: Session, code: str) -> Supplier:
    supplier = session.scalar(select(Supplier).where(Supplier.code == code))
    if supplier is None:
        raise NotFound(f"supplier {code} not found", code=code)
    return supplier


@dataclass(frozen=True)
class SupplierPriceRow:
    price: SupplierPrice
    sku: str
    product_name: str
    is_valid: bool


# The price list's sortable columns; the usual order (SKU, newest validity first) breaks ties.
PRICE_SORTS = {"sku": Product.sku, "product": Product.name, "unit_price": SupplierPrice.unit_price,
               "moq": SupplierPrice.moq, "pack": SupplierPrice.pack_size, "lead_time": SupplierPrice.lead_time_days,
               "valid_from": SupplierPrice.valid_from}


def list_prices(session: Session, *, supplier_id: int, today: dt.date, q: str | None = None,
                sort: Sort | None = None, page: int = 1, per_page: int = 50) -> Page[SupplierPriceRow]:
    """The supplier's price list, by SKU then newest validity first, or by `sort` (a key of
    PRICE_SORTS) (two queries)."""
    stmt = (select(SupplierPrice, Product.sku, Product.name).join(Product, Product.id == SupplierPrice.product_id)
            .where(SupplierPrice.supplier_id == supplier_id))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Product.sku).like(like), func.lower(Product.name).like(like)))
    ordered = sorted_by(stmt, sort, PRICE_SORTS, Product.sku, SupplierPrice.valid_from.desc(), SupplierPrice.id)
    rows, total, page = page_of(session, ordered, page=page, per_page=per_page)
    return Page([SupplierPriceRow(p, sku, name, _valid_on(p, today)) for p, sku, name in rows], total, page, per_page)


@dataclass(frozen=True)
class OpenOrderRow:
    id: int
    number: str
    status: str
    warehouse_code: str
    created_at: dt.datetime
    lines: int
    outstanding: int


def open_orders(session: Session, *, supplier_id: int, limit: int = 20) -> tuple[list[OpenOrderRow], int]:
    """The supplier's open POs (newest first, at most `limit`) and how many there are in all."""
    outstanding = func.coalesce(func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.accepted_quantity), 0)
    base = select(PurchaseOrder.id).where(PurchaseOrder.supplier_id == supplier_id,
                                          PurchaseOrder.status.in_(OPEN_STATUSES))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, Warehouse.code, PurchaseOrder.created_at,
               func.count(PurchaseOrderLine.id), outstanding)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .outerjoin(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.supplier_id == supplier_id, PurchaseOrder.status.in_(OPEN_STATUSES))
        .group_by(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, Warehouse.code, PurchaseOrder.created_at)
        .order_by(PurchaseOrder.id.desc()).limit(limit)
    ).all()
    return [OpenOrderRow(*r) for r in rows], total


def _valid_on(price: SupplierPrice, day: dt.date) -> bool:
    return price.valid_from <= day and (price.valid_to is None or day <= price.valid_to)


def find_valid_prices(session: Session, *, supplier_id: int, product_ids: list[int], on: dt.date) -> dict[int, SupplierPrice]:
    """Per product, the supplier's price valid on `on` (the latest starting one if several); one query."""
    if not product_ids:
        return {}
    rows = session.scalars(
        select(SupplierPrice).where(
            SupplierPrice.supplier_id == supplier_id, SupplierPrice.product_id.in_(product_ids),
            SupplierPrice.valid_from <= on, or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= on),
        ).order_by(SupplierPrice.product_id, SupplierPrice.valid_from, SupplierPrice.id)
    )
    return {p.product_id: p for p in rows}  # later rows (newer valid_from) win


@dataclass(frozen=True)
class PriceInput:
    sku: str
    unit_price: Decimal | str | None
    moq: int | None
    pack_size: int | None
    lead_time_days: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    is_preferred: bool = False


def _check_price(data: PriceInput) -> tuple[list[dict[str, str]], Decimal | None]:
    errors: list[dict[str, str]] = []
    price: Decimal | None = None
    try:
        price = data.unit_price if isinstance(data.unit_price, Decimal) else Decimal(str(data.unit_price).strip())
        if not price.is_finite() or price < 0:
            errors.append({"field": "unit_price", "message": "must be a number ≥ 0"})
        elif price != price.quantize(Decimal("0.0001")):
            errors.append({"field": "unit_price", "message": "at most 4 decimal places"})
    except (InvalidOperation, ValueError):
        errors.append({"field": "unit_price", "message": "must be a number ≥ 0"})
    if data.moq is None or data.moq < 1:
        errors.append({"field": "moq", "message": "must be at least 1"})
    if data.pack_size is None or data.pack_size < 1:
        errors.append({"field": "pack_size", "message": "must be at least 1"})
    if data.lead_time_days is None or data.lead_time_days < 0:
        errors.append({"field": "lead_time_days", "message": "must be 0 or more days"})
    if data.valid_from is None:
        errors.append({"field": "valid_from", "message": "is required"})
    elif data.valid_to is not None and data.valid_to < data.valid_from:
        errors.append({"field": "valid_to", "message": "must be on or after Valid from"})
    return errors, price


def save_price(session: Session, actor: Actor, *, supplier_id: int, data: PriceInput,
               price_id: int | None = None) -> SupplierPrice:
    """Create (price_id None) or update one price of the supplier; audited.

    Raises `ValidationFailed` naming each bad field, `NotFound` for an unknown SKU or
    price. Marking it preferred un-prefers other suppliers' overlapping prices for the
    product (the product row is locked first so two such saves cannot both win).
    """
    errors, unit_price = _check_price(data)
    product = session.scalar(select(Product).where(Product.sku == data.sku.strip()).with_for_update())
    if product is None:
        errors.insert(0, {"field": "sku", "message": f"no product with SKU {data.sku.strip()!r}"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    assert product is not None and unit_price is not None and data.valid_from is not None  # noqa: S101 (narrowing: no errors)
    if price_id is None:
        price = SupplierPrice(supplier_id=supplier_id, product_id=product.id)
        session.add(price)
    else:
        found = session.get(SupplierPrice, price_id)
        if found is None or found.supplier_id != supplier_id:
            raise NotFound(f"price {price_id} not found")
        price = found
    supplier = session.get(Supplier, supplier_id)
    price.product_id = product.id
    price.unit_price = unit_price
    price.currency = supplier.currency if supplier else price.currency or "CNY"
    price.moq, price.pack_size, price.lead_time_days = data.moq or 1, data.pack_size or 1, data.lead_time_days or 0
    price.valid_from, price.valid_to, price.is_preferred = data.valid_from, data.valid_to, data.is_preferred
    session.flush()
    unpreferred: list[int] = []
    if data.is_preferred:
        overlapping = and_(
            SupplierPrice.product_id == product.id, SupplierPrice.supplier_id != supplier_id,
            SupplierPrice.is_preferred.is_(True),
            or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= data.valid_from),
            SupplierPrice.valid_from <= (data.valid_to or dt.date.max),
        )
        unpreferred = list(session.scalars(select(SupplierPrice.id).where(overlapping)))
        if unpreferred:
            session.execute(update(SupplierPrice).where(SupplierPrice.id.in_(unpreferred)).values(is_preferred=False)
                            .execution_options(synchronize_session="fetch"))
    record_audit(session, actor, "supplier_price.create" if price_id is None else "supplier_price.update",
                 "supplier_price", price.id, supplier_id=supplier_id, sku=product.sku, unit_price=str(unit_price),
                 moq=price.moq, pack_size=price.pack_size, lead_time_days=price.lead_time_days,
                 valid_from=price.valid_from, valid_to=price.valid_to, is_preferred=price.is_preferred,
                 unpreferred_price_ids=unpreferred)
    return price


def supplier_choices(session: Session, *, active_only: bool = False) -> list[tuple[str, str]]:
    stmt = select(Supplier.code, Supplier.name).order_by(Supplier.name, Supplier.code)
    if active_only:
        stmt = stmt.where(Supplier.is_active.is_(True))
    return [(code, f"{name} ({code})") for code, name in session.execute(stmt)]


def price_hints(session: Session, *, supplier_id: int, on: dt.date, limit: int = 500) -> list[tuple[str, str]]:
    """(SKU, "name · price · MOQ · pack") of the supplier's prices valid on `on`, for a SKU datalist."""
    rows = session.execute(
        select(Product.sku, Product.name, SupplierPrice.unit_price, SupplierPrice.moq, SupplierPrice.pack_size)
        .join(Product, Product.id == SupplierPrice.product_id)
        .where(SupplierPrice.supplier_id == supplier_id, SupplierPrice.valid_from <= on,
               or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= on))
        .order_by(Product.sku).limit(limit)
    ).all()
    return [(sku, f"{name} · {price.normalize():f} · MOQ {moq} · pack {pack}") for sku, name, price, moq, pack in rows]
