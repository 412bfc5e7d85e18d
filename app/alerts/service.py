"""Alerts: computed lists (low stock, stock-outs, slow movers, overstock, late POs) and the
stored Alert rows (count below reserved). Every figure comes from a handful of grouped
queries — a constant number whatever the number of SKUs; the rules are in `classify`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.classify import (
    DEMAND_WINDOW_DAYS,
    StockSignal,
    classify,
    suggested_quantity,
)
from app.alerts.models import Alert
from app.alerts.slow_movers import SlowMover, slow_movers
from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import InvalidState, NotFound
from app.paging import Sort, sorted_rows
from app.planning.demand_figures import demand_figure, demand_figures
from app.planning.models import ForecastRun, ReplenishmentSuggestion, RunStatus
from app.purchasing.models import OPEN_PO_STATUSES, POLineStatus, PurchaseOrder, PurchaseOrderLine
from app.settings.service import get_setting
from app.stock.models import MovementKind, StockMovement, Warehouse
from app.stock.totals import balance_totals
from app.suppliers.models import Supplier

KINDS = ("low_stock", "stock_out", "slow_mover", "overstock", "late_po", "stored")
CLOSED_LINE_STATUSES = (POLineStatus.REJECTED.value, POLineStatus.CANCELLED.value)


@dataclass(frozen=True)
class StockAlert:
    kind: str
    product_id: int
    sku: str
    name: str
    warehouse_code: str
    warehouse_kind: str
    replenish_from: str | None
    available: int
    in_transit: int
    on_order: int
    avg_daily_demand: float
    days_of_cover: float | None
    threshold: float | None
    suggested_quantity: int


@dataclass(frozen=True)
class LatePO:
    purchase_order_id: int
    number: str
    supplier: str
    warehouse_code: str
    due_date: dt.date
    days_late: int
    open_units: int


@dataclass(frozen=True)
class StoredAlert:
    id: int
    kind: str
    message: str
    sku: str | None
    warehouse_code: str | None
    created_at: dt.datetime


@dataclass
class AlertBoard:
    low_stock: list[StockAlert] = field(default_factory=list)
    stock_out: list[StockAlert] = field(default_factory=list)
    overstock: list[StockAlert] = field(default_factory=list)
    slow_mover: list[SlowMover] = field(default_factory=list)
    late_po: list[LatePO] = field(default_factory=list)
    stored: list[StoredAlert] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in KINDS}

    def rows(self, kind: str, sort: Sort | None = None) -> list[Any]:
        """The tab's rows in their usual order, or by `sort` (a key of ALERT_SORTS[kind])."""
        return sorted_rows(getattr(self, kind), sort, ALERT_SORTS[kind])


def _text(attr: str) -> Callable[[Any], Any]:
    return lambda r: None if getattr(r, attr) is None else getattr(r, attr).casefold()


def _value(attr: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r, attr)


# Each tab's sortable columns (key → the row's value; empty values last either way). The
# usual order of a tab (most urgent first) is every sort's tiebreak.
_STOCK_SORTS: dict[str, Callable[[Any], Any]] = {
    "sku": _value("sku"), "name": _text("name"), "warehouse": _value("warehouse_code"),
    "available": _value("available"), "in_transit": _value("in_transit"), "on_order": _value("on_order"),
    "demand": _value("avg_daily_demand"), "cover": _value("days_of_cover"), "reorder_point": _value("threshold")}
ALERT_SORTS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "low_stock": _STOCK_SORTS, "stock_out": _STOCK_SORTS,
    "overstock": {k: v for k, v in _STOCK_SORTS.items() if k != "reorder_point"},  # the tab shows none
    "slow_mover": {"sku": _value("sku"), "name": _text("name"), "on_hand": _value("on_hand"),
                   "value": _value("stock_value"), "last_sale": _value("last_sale"),
                   "turnover": _value("turnover_days")},
    "late_po": {"number": _value("number"), "supplier": _text("supplier"), "warehouse": _value("warehouse_code"),
                "due": _value("due_date"), "days_late": _value("days_late"), "open_units": _value("open_units")},
    "stored": {"raised": _value("created_at"), "kind": _value("kind"), "sku": _value("sku"),
               "warehouse": _value("warehouse_code")},
}


def _outstanding() -> Any:
    """Units still to come on a PO line: the (confirmed, else ordered) quantity − received."""
    return func.coalesce(PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.quantity) \
        - PurchaseOrderLine.received_quantity


def stock_signals(session: Session, *, today: dt.date) -> list[tuple[StockSignal, Any]]:
    """Every product × warehouse balance with its demand figure, on order and reorder point
    (a fixed number of queries; demand from :func:`app.planning.demand_figures.demand_figures`)."""
    since = today - dt.timedelta(days=DEMAND_WINDOW_DAYS)
    demand = dict(((p, w), int(-(q or 0))) for p, w, q in session.execute(
        select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
        .where(StockMovement.kind.in_([MovementKind.SHIPMENT.value, MovementKind.CUSTOMER_RETURN.value]),
               StockMovement.business_date >= since, StockMovement.business_date < today + dt.timedelta(days=1))
        .group_by(StockMovement.product_id, StockMovement.warehouse_id)))
    outstanding = _outstanding()
    on_order = dict(((p, w), int(q or 0)) for p, w, q in session.execute(
        select(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id, func.sum(outstanding))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(OPEN_PO_STATUSES), PurchaseOrderLine.status.not_in(CLOSED_LINE_STATUSES),
               outstanding > 0)
        .group_by(PurchaseOrderLine.product_id, PurchaseOrder.warehouse_id)))
    latest_run = select(func.max(ForecastRun.id)).where(ForecastRun.status == RunStatus.SUCCEEDED.value)
    reorder = dict(((p, w), float(r)) for p, w, r in session.execute(
        select(ReplenishmentSuggestion.product_id, ReplenishmentSuggestion.warehouse_id,
               func.max(ReplenishmentSuggestion.reorder_point))
        .where(ReplenishmentSuggestion.run_id == latest_run.scalar_subquery())
        .group_by(ReplenishmentSuggestion.product_id, ReplenishmentSuggestion.warehouse_id)))
    source = Warehouse.__table__.alias("source")
    totals = balance_totals()
    rows = session.execute(
        select(totals.c.product_id, totals.c.warehouse_id, totals.c.on_hand, totals.c.reserved,
               totals.c.in_transit, Product.sku, Product.name, Warehouse.code, Warehouse.kind, source.c.code)
        .join(Product, Product.id == totals.c.product_id)
        .join(Warehouse, Warehouse.id == totals.c.warehouse_id)
        .outerjoin(source, source.c.id == Warehouse.replenished_from_id)
        .where(Product.is_active.is_(True), Warehouse.is_active.is_(True))
        .order_by(Product.sku, Warehouse.code)
    ).all()
    figures = demand_figures(session, today=today)
    out = []
    for p, w, on_hand, reserved, in_transit, sku, name, code, kind, src in rows:
        sig = StockSignal(p, w, on_hand, reserved, in_transit, on_order.get((p, w), 0), demand.get((p, w), 0),
                          reorder.get((p, w)), demand_figure(figures, p, w).daily_demand)
        out.append((sig, (sku, name, code, kind, src)))
    return out


def late_purchase_orders(session: Session, *, today: dt.date) -> list[LatePO]:
    """Open POs with a line whose (confirmed or promised) date has passed and is not fully received."""
    due = func.coalesce(PurchaseOrderLine.confirmed_date, PurchaseOrderLine.promised_date)
    outstanding = _outstanding()
    rows = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, Supplier.name, Warehouse.code, func.min(due),
               func.sum(outstanding))
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .where(PurchaseOrder.status.in_(OPEN_PO_STATUSES), PurchaseOrderLine.status.not_in(CLOSED_LINE_STATUSES),
               outstanding > 0, due < today)
        .group_by(PurchaseOrder.id, PurchaseOrder.number, Supplier.name, Warehouse.code)
        .order_by(func.min(due), PurchaseOrder.number)
    ).all()
    return [LatePO(i, n, s, w, d, (today - d).days, int(u)) for i, n, s, w, d, u in rows]


def _stored(session: Session) -> list[StoredAlert]:
    rows = session.execute(
        select(Alert.id, Alert.kind, Alert.message, Product.sku, Warehouse.code, Alert.created_at)
        .outerjoin(Product, Product.id == Alert.product_id)
        .outerjoin(Warehouse, Warehouse.id == Alert.warehouse_id)
        .where(Alert.resolved_at.is_(None)).order_by(Alert.id.desc())
    ).all()
    return [StoredAlert(*r) for r in rows]


def alert_board(session: Session, *, today: dt.date) -> AlertBoard:
    """Every alert, computed now from the ledger and settings (a fixed number of queries)."""
    low_days = float(get_setting(session, "low_stock_days_of_cover"))
    over_days = float(get_setting(session, "overstock_days_of_cover"))
    review_days = float(get_setting(session, "review_period_days"))
    board = AlertBoard()
    for sig, (sku, name, code, kind, src) in stock_signals(session, today=today):
        for alert_kind in classify(sig, low_stock_days=low_days, overstock_days=over_days):
            threshold = sig.reorder_point if sig.reorder_point is not None else low_days * sig.avg_daily_demand
            getattr(board, alert_kind).append(StockAlert(
                alert_kind, sig.product_id, sku, name, code, kind, src, sig.available, sig.in_transit, sig.on_order,
                round(sig.avg_daily_demand, 2), sig.days_of_cover, threshold,
                suggested_quantity(sig, low_stock_days=low_days, review_period_days=review_days),
            ))
    board.slow_mover = slow_movers(session, today=today,
                                   threshold=int(get_setting(session, "slow_mover_monthly_units")))
    board.late_po = late_purchase_orders(session, today=today)
    board.stored = _stored(session)
    return board


def resolve_alert(session: Session, actor: Actor, *, alert_id: int, now: dt.datetime) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    if alert.resolved_at is not None:
        raise InvalidState("this alert is already resolved")
    alert.resolved_at = now
    record_audit(session, actor, "alert.resolve", "alert", alert.id, kind=alert.kind, message=alert.message)
    return alert

