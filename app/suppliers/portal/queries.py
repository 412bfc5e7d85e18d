"""Read models of the supplier side: a supplier's POs, shipment notices and to-dos.

Every function takes `supplier_id` and filters by it; a page's query count does not
grow with its rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session, selectinload

from app.catalog.models import Product
from app.errors import NotFound
from app.paging import Page, Sort, sorted_by
from app.purchasing.models import (
    OPEN_PO_STATUSES,
    ASNStatus,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
    ShipmentNoticeLine,
)
from app.suppliers.portal.actions import CONFIRMED_LINE

# POs a supplier still has something to do on (answer, ship, or see received).
OPEN_PO = OPEN_PO_STATUSES
VISIBLE_PO = tuple(s.value for s in POStatus if s is not POStatus.DRAFT)


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    status: str
    sent_at: dt.datetime | None
    lines: int
    value: Decimal
    next_due: dt.date | None
    currency: str


def _due() -> ColumnElement[dt.date | None]:
    return func.coalesce(PurchaseOrderLine.confirmed_date, PurchaseOrderLine.promised_date)


# The sortable columns of the supplier's lists (the web layer's whitelists).
ORDER_SORTS = {"number": PurchaseOrder.number, "status": PurchaseOrder.status, "sent": PurchaseOrder.sent_at}
NOTICE_SORTS = {"number": ShipmentNotice.number, "order": PurchaseOrder.number, "status": ShipmentNotice.status,
                "ship_date": ShipmentNotice.ship_date, "expected": ShipmentNotice.expected_date}


def supplier_orders(
    session: Session, *, supplier_id: int, status: str | None = None, page: int = 1, per_page: int = 25,
    sort: Sort | None = None,
) -> Page[OrderRow]:
    """The supplier's POs (never drafts), newest first (or by `sort`, a key of ORDER_SORTS),
    with line count, value and next due date (2 queries)."""
    live = PurchaseOrderLine.status.notin_((POLineStatus.REJECTED.value, POLineStatus.CANCELLED.value))
    base = select(PurchaseOrder.id).where(PurchaseOrder.supplier_id == supplier_id,
                                          PurchaseOrder.status.in_(OPEN_PO if status == "open" else VISIBLE_PO))
    if status and status != "open":
        base = base.where(PurchaseOrder.status == status)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = max(1, page)
    qty = func.coalesce(PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.quantity)
    rows = session.execute(sorted_by(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.sent_at,
               PurchaseOrder.currency, func.count(PurchaseOrderLine.id),
               func.coalesce(func.sum(PurchaseOrderLine.value), 0),
               func.min(case((live & (PurchaseOrderLine.received_quantity < qty), _due()))))
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.id.in_(base))
        .group_by(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.sent_at,
                  PurchaseOrder.currency)
        .limit(per_page).offset((page - 1) * per_page),
        sort, ORDER_SORTS, PurchaseOrder.sent_at.desc(), PurchaseOrder.id.desc())
    ).all()
    return Page(
        rows=[OrderRow(i, n, st, sent, int(cnt), Decimal(str(val)).quantize(Decimal("0.01")),
                       _as_date(due), cur)
              for i, n, st, sent, cur, cnt, val, due in rows],
        total=total, page=page, per_page=per_page,
    )


def _as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite returns MIN() over dates as text


@dataclass(frozen=True)
class ToDo:
    awaiting_confirmation: list[OrderRow]
    to_ship: list[tuple[str, int, int, str, int, dt.date]]  # (po number, po id, line no, sku, open qty, due)
    open_orders: list[OrderRow]


def supplier_todo(session: Session, *, supplier_id: int, limit: int = 10) -> ToDo:
    """The portal home: POs awaiting confirmation, confirmed lines with units not yet announced
    or received, and open POs by next due date (4 queries)."""
    awaiting = supplier_orders(session, supplier_id=supplier_id, status=POStatus.SENT.value, per_page=limit).rows
    open_rows = supplier_orders(session, supplier_id=supplier_id, status="open", per_page=100).rows
    open_rows = sorted(open_rows, key=lambda r: (r.next_due is None, r.next_due or dt.date.max))[:limit]
    in_flight = (
        select(ShipmentNoticeLine.purchase_order_line_id.label("line_id"),
               func.sum(ShipmentNoticeLine.quantity).label("qty"))
        .join(ShipmentNotice, ShipmentNotice.id == ShipmentNoticeLine.shipment_notice_id)
        .where(ShipmentNotice.supplier_id == supplier_id, ShipmentNotice.status == ASNStatus.SENT.value)
        .group_by(ShipmentNoticeLine.purchase_order_line_id)
        .subquery()
    )
    open_qty = (PurchaseOrderLine.confirmed_quantity - func.coalesce(in_flight.c.qty, 0)
                - PurchaseOrderLine.received_quantity)
    ship_rows = session.execute(
        select(PurchaseOrder.number, PurchaseOrder.id, PurchaseOrderLine.line_no, Product.sku, open_qty, _due())
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .outerjoin(in_flight, in_flight.c.line_id == PurchaseOrderLine.id)
        .where(PurchaseOrder.supplier_id == supplier_id,
               PurchaseOrder.status.in_((POStatus.CONFIRMED.value, POStatus.PARTIALLY_RECEIVED.value)),
               PurchaseOrderLine.status.in_(tuple(CONFIRMED_LINE)), open_qty > 0)
        .order_by(_due(), PurchaseOrder.number, PurchaseOrderLine.line_no)
        .limit(limit)
    ).all()
    return ToDo(awaiting, [(n, i, ln, sku, int(q or 0), _as_date(d)) for n, i, ln, sku, q, d in ship_rows],  # type: ignore[misc]
                open_rows)


@dataclass(frozen=True)
class NoticeRow:
    id: int
    number: str
    po_id: int
    po_number: str
    status: str
    ship_date: dt.date
    expected_date: dt.date
    carrier: str | None
    tracking_number: str | None
    units: int


def _notice_rows(session: Session, where: list[object], page: int, per_page: int,
                 sort: Sort | None = None) -> Page[NoticeRow]:
    base = select(ShipmentNotice.id).where(*where)  # type: ignore[arg-type]
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page = max(1, page)
    rows = session.execute(sorted_by(
        select(ShipmentNotice.id, ShipmentNotice.number, PurchaseOrder.id, PurchaseOrder.number, ShipmentNotice.status,
               ShipmentNotice.ship_date, ShipmentNotice.expected_date, ShipmentNotice.carrier,
               ShipmentNotice.tracking_number, func.coalesce(func.sum(ShipmentNoticeLine.quantity), 0))
        .join(PurchaseOrder, PurchaseOrder.id == ShipmentNotice.purchase_order_id)
        .outerjoin(ShipmentNoticeLine, ShipmentNoticeLine.shipment_notice_id == ShipmentNotice.id)
        .where(ShipmentNotice.id.in_(base))
        .group_by(ShipmentNotice.id, ShipmentNotice.number, PurchaseOrder.id, PurchaseOrder.number,
                  ShipmentNotice.status, ShipmentNotice.ship_date, ShipmentNotice.expected_date,
                  ShipmentNotice.carrier, ShipmentNotice.tracking_number)
        .limit(per_page).offset((page - 1) * per_page),
        sort, NOTICE_SORTS, ShipmentNotice.id.desc())
    ).all()
    return Page([NoticeRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], int(r[9])) for r in rows], total, page,
                per_page)


def supplier_notices(session: Session, *, supplier_id: int, page: int = 1, per_page: int = 25,
                     sort: Sort | None = None) -> Page[NoticeRow]:
    """The supplier's shipment notices, newest first or by `sort` (a key of NOTICE_SORTS); 2 queries."""
    return _notice_rows(session, [ShipmentNotice.supplier_id == supplier_id], page, per_page, sort)


def notices_for_po(session: Session, *, po_id: int) -> list[NoticeRow]:
    """Shipment notices of one PO, for the staff PO detail (purchasing sees what is coming)."""
    return _notice_rows(session, [ShipmentNotice.purchase_order_id == po_id], 1, 1000).rows


def supplier_notice(session: Session, *, supplier_id: int, notice_id: int) -> ShipmentNotice:
    """One of the supplier's shipment notices with its lines; another supplier's is `NotFound`."""
    notice = session.scalar(
        select(ShipmentNotice)
        .where(ShipmentNotice.id == notice_id, ShipmentNotice.supplier_id == supplier_id)
        .options(selectinload(ShipmentNotice.lines).selectinload(ShipmentNoticeLine.po_line)
                 .selectinload(PurchaseOrderLine.product), selectinload(ShipmentNotice.purchase_order))
    )
    if notice is None:
        raise NotFound(f"shipment notice {notice_id} not found")
    return notice


def supplier_order_lines_csv(session: Session, *, supplier_id: int) -> list[list[object]]:
    """Every line of the supplier's POs (never drafts), for the CSV export (1 query)."""
    rows = session.execute(
        select(PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.sent_at, PurchaseOrderLine.line_no,
               Product.sku, Product.name, PurchaseOrderLine.quantity, PurchaseOrderLine.unit_price,
               PurchaseOrder.currency, PurchaseOrderLine.promised_date, PurchaseOrderLine.status,
               PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.confirmed_date,
               PurchaseOrderLine.received_quantity, PurchaseOrderLine.accepted_quantity,
               PurchaseOrderLine.rejected_quantity, func.coalesce(Product.specification, ""))
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrder.supplier_id == supplier_id, PurchaseOrder.status.in_(VISIBLE_PO))
        .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
    ).all()
    return [list(r) for r in rows]
