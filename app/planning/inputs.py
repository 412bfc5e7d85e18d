"""What a forecast run reads from the database, one batch of SKUs at a time.

Demand = shipments net of customer returns per product × warehouse × business day, summed
in SQL (negative net days count as zero demand), for active products in active warehouses,
from ``since`` up to the day before the run's start. :func:`plan_batches` streams the
per-SKU series counts in product order and cuts them into batches of whole SKUs;
:func:`read_batch` reads one batch (its demand as a compact frame, its stock positions and
supplier terms). Memory is bounded by the batch, never the catalogue. Read-only: the
caller owns the transaction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Executable, Integer, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.catalog.models import Product
from app.planning.policy import fill_rate_inputs
from app.purchasing.models import OPEN_PO_STATUSES, POLineStatus, PurchaseOrder, PurchaseOrderLine, Receipt
from app.settings.service import get_setting
from app.stock.models import MovementKind, StockBalance, StockMovement, Warehouse, WarehouseKind
from app.stock.totals import balance_totals
from app.suppliers.models import Supplier, SupplierPrice
from app.transfers.models import Transfer
from forecasting.batch import BatchInput, compact_history
from forecasting.inventory import StockPosition
from forecasting.plan import NetworkInputs, Site, SupplierTerms

DEMAND_KINDS = (MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value)
READ_ROWS = 50_000  # rows fetched per round trip (server-side cursor on PostgreSQL)


@dataclass(frozen=True)
class DemandWindow:
    """Which ledger rows are demand for a run: ``since <= business_date < until``."""

    until: dt.date
    since: dt.date | None = None
    warehouse_id: int | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses = [StockMovement.kind.in_(DEMAND_KINDS), StockMovement.business_date < self.until]
        if self.since is not None:
            clauses.append(StockMovement.business_date >= self.since)
        if self.warehouse_id is not None:
            clauses.append(StockMovement.warehouse_id == self.warehouse_id)
        return clauses


@dataclass(frozen=True)
class BatchBounds:
    number: int
    first_product_id: int
    last_product_id: int
    series_count: int


def plan_batches(session: Session, window: DemandWindow, batch_size: int) -> Iterator[BatchBounds]:
    """Batches of whole SKUs in product order, each of at most ``batch_size`` series (a SKU
    with more warehouses than that is a batch of its own). Streams the per-SKU counts."""
    stmt = (
        select(StockMovement.product_id, func.count(func.distinct(StockMovement.warehouse_id)))
        .join(Product, Product.id == StockMovement.product_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .where(*window.where(), Product.is_active.is_(True), Warehouse.is_active.is_(True))
        .group_by(StockMovement.product_id).order_by(StockMovement.product_id)
    )
    number, first, last, series = 0, None, None, 0
    for product_id, count in session.execute(stmt.execution_options(yield_per=READ_ROWS)):
        if first is not None and series + count > batch_size:
            number += 1
            yield BatchBounds(number, first, last, series)  # type: ignore[arg-type]
            first, series = None, 0
        first = product_id if first is None else first
        last, series = product_id, series + int(count)
    if first is not None:
        yield BatchBounds(number + 1, first, last, series)  # type: ignore[arg-type]


def read_batch(session: Session, bounds: BatchBounds, window: DemandWindow, shared: NetworkInputs) -> BatchInput:
    """One batch's compact demand frame and the planner's inputs for its SKUs only."""
    lo, hi = bounds.first_product_id, bounds.last_product_id
    stmt = (
        select(StockMovement.product_id, StockMovement.warehouse_id, EpochDay(StockMovement.business_date),
               -func.sum(StockMovement.quantity))
        .join(Product, Product.id == StockMovement.product_id)
        .join(Warehouse, Warehouse.id == StockMovement.warehouse_id)
        .where(*window.where(), StockMovement.product_id.between(lo, hi), Product.is_active.is_(True),
               Warehouse.is_active.is_(True))
        .group_by(StockMovement.product_id, StockMovement.warehouse_id, StockMovement.business_date)
    )
    history = compact_history(*_int_columns(session, stmt, 4).T)
    products = session.execute(select(Product.id, Product.sku, Product.pack_size).where(
        Product.is_active.is_(True), Product.id.between(lo, hi))).all()
    terms = load_supplier_terms(session, window.until, lo, hi)
    suppliers = {t.supplier_id for t in terms.values()}
    network = replace(
        shared, skus={pid: sku for pid, sku, _ in products}, pack_sizes={pid: pack for pid, _, pack in products},
        positions=load_positions(session, lo, hi), terms=terms,
        supplier_lead_times={k: v for k, v in shared.supplier_lead_times.items() if k in suppliers})
    return BatchInput(number=bounds.number, history=history, network=network)


class EpochDay(FunctionElement[int]):
    """Days since 1970-01-01 of a DATE, computed by the database (an int on every driver)."""

    type = Integer()
    name = "epoch_day"
    inherit_cache = True


@compiles(EpochDay)
def _epoch_day(element: EpochDay, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"  # PostgreSQL: integer days


@compiles(EpochDay, "sqlite")
def _epoch_day_sqlite(element: EpochDay, compiler: Any, **kw: Any) -> str:
    # julianday('YYYY-MM-DD') is a whole day + 0.5: the difference is exact.
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


def _int_columns(session: Session, stmt: Executable, width: int) -> np.ndarray:
    """The rows of ``stmt`` (integer columns only) as an int64 array of shape (rows, width).

    Straight from the driver's cursor, :data:`READ_ROWS` at a time: a result row object per
    demand row cost 3-4x the query itself. (A plain, unbuffered result: SQLAlchemy has read
    nothing from the cursor yet. The batch's rows are bounded by the batch size.)
    """
    result = session.connection().execute(stmt)
    cursor = result.cursor
    pages = [np.empty((0, width), dtype="int64")]
    try:
        while page := cursor.fetchmany(READ_ROWS):
            pages.append(np.array(page, dtype="int64").reshape(-1, width))
    finally:
        result.close()
    return np.concatenate(pages)


def load_shared_inputs(session: Session, *, warehouse_id: int | None, today: dt.date) -> NetworkInputs:
    """The part of the planner's inputs that every batch shares: warehouses, measured lead
    times, settings, the buyer's target fill rates with what they need (categories, unit
    values, the spread calibration from past runs: `app.planning.policy.fill_rate_inputs`);
    per-SKU positions and terms are filled by :func:`read_batch`."""
    warehouses = {w.id: Site(w.id, w.code, w.kind == WarehouseKind.CLOUD.value, w.replenished_from_id)
                  for w in session.scalars(select(Warehouse).where(Warehouse.is_active.is_(True)))}
    by_supplier, by_route = measured_lead_times(session)
    return NetworkInputs(
        skus={}, pack_sizes={}, warehouses=warehouses, positions={}, terms={},
        supplier_lead_times=by_supplier, route_lead_times=by_route,
        service_level=float(get_setting(session, "service_level")),
        review_period_days=float(get_setting(session, "review_period_days")), warehouse_id=warehouse_id,
        **fill_rate_inputs(session, today=today),
    )


def load_positions(session: Session, lo: int, hi: int) -> dict[tuple[int, int], StockPosition]:
    """On hand, reserved, in transit (balances) and on order (open PO lines) per product ×
    warehouse, for products ``lo..hi``."""
    positions: dict[tuple[int, int], dict[str, int]] = {}
    totals = balance_totals(StockBalance.product_id.between(lo, hi))
    for bal in session.execute(
        select(totals.c.product_id, totals.c.warehouse_id, totals.c.on_hand, totals.c.reserved, totals.c.in_transit)
    ):
        positions[(bal[0], bal[1])] = {"on_hand": bal[2], "reserved": bal[3], "in_transit": bal[4]}
    ordered = func.coalesce(PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.quantity)
    open_qty = func.sum(case((ordered > PurchaseOrderLine.received_quantity,
                              ordered - PurchaseOrderLine.received_quantity), else_=0))
    stmt = (
        select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id, open_qty)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(OPEN_PO_STATUSES), PurchaseOrderLine.product_id.between(lo, hi),
               PurchaseOrderLine.status.notin_([POLineStatus.CANCELLED.value, POLineStatus.REJECTED.value]))
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)
    )
    for product_id, warehouse_id, quantity in session.execute(stmt):
        positions.setdefault((product_id, warehouse_id), {"on_hand": 0})["on_order"] = int(quantity or 0)
    return {key: StockPosition(**values) for key, values in positions.items()}


def load_supplier_terms(session: Session, today: dt.date, lo: int, hi: int) -> dict[int, SupplierTerms]:
    """Per product ``lo..hi`` the valid price of an active supplier: preferred first, then the cheapest."""
    stmt = (
        select(SupplierPrice)
        .join(Supplier, Supplier.id == SupplierPrice.supplier_id)
        .where(Supplier.is_active.is_(True), SupplierPrice.valid_from <= today,
               or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= today),
               SupplierPrice.product_id.between(lo, hi))
        .order_by(SupplierPrice.product_id, SupplierPrice.is_preferred.desc(), SupplierPrice.unit_price,
                  SupplierPrice.valid_from.desc(), SupplierPrice.id)
    )
    terms: dict[int, SupplierTerms] = {}
    for price in session.scalars(stmt):
        terms.setdefault(price.product_id, SupplierTerms(price.supplier_id, price.moq, price.pack_size,
                                                         price.lead_time_days))
    return terms


def measured_lead_times(session: Session) -> tuple[dict[int, list[float]], dict[tuple[int, int], list[float]]]:
    """Days from a PO being sent to each of its receipts, per supplier; and from a transfer
    being shipped to its receipt, per (source, destination) route."""
    by_supplier: dict[int, list[float]] = {}
    receipts = (
        select(PurchaseOrder.supplier_id, PurchaseOrder.sent_at, Receipt.received_at)
        .join(Receipt, Receipt.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.sent_at.is_not(None))
    )
    for supplier_id, sent_at, received_at in session.execute(receipts):
        if sent_at is not None and received_at is not None and received_at >= sent_at:
            by_supplier.setdefault(supplier_id, []).append((received_at - sent_at).total_seconds() / 86400)
    by_route: dict[tuple[int, int], list[float]] = {}
    transfers = select(Transfer.source_warehouse_id, Transfer.dest_warehouse_id, Transfer.shipped_at,
                       Transfer.received_at).where(and_(Transfer.shipped_at.is_not(None),
                                                        Transfer.received_at.is_not(None)))
    for source, dest, shipped_at, arrived_at in session.execute(transfers):
        if shipped_at is not None and arrived_at is not None and arrived_at >= shipped_at:
            by_route.setdefault((source, dest), []).append((arrived_at - shipped_at).total_seconds() / 86400)
    return by_supplier, by_route
