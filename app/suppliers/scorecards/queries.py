"""The SQL that gathers scorecard events: three grouped queries whatever the volume.

1. PO lines due in the window or on POs sent in it (deliveries, purchases, responses);
2. receipt lines received in the window or against lines due in it (quality, lead
   time, and when each line became complete);
3. list prices valid in the window (the reference median per SKU).
Lines of draft, cancelled or supplier-rejected POs and rejected/cancelled lines do
not count: nothing was due.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.purchasing.models import OPEN_PO_STATUSES, POLineStatus, POStatus, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from app.suppliers.models import SupplierPrice
from app.suppliers.scorecards.scoring import (
    DeliveryEvent,
    Events,
    LeadTimeEvent,
    ListPrice,
    PurchaseEvent,
    ReceiptEvent,
    ResponseEvent,
)

COUNTED_PO = (*OPEN_PO_STATUSES, POStatus.RECEIVED.value, POStatus.CLOSED.value)
CONFIRMED = (POLineStatus.CONFIRMED.value, POLineStatus.CHANGED.value)


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def gather_events(
    session: Session, *, start: dt.date, end: dt.date, as_of: dt.datetime, supplier_ids: Iterable[int] | None = None,
) -> Events:
    """Every event of the window [start, end) known at `as_of` (receipts after it are ignored)."""
    ids = None if supplier_ids is None else list(supplier_ids)
    t0, t1 = _utc(start), min(_utc(end), as_of)
    due_in = or_(
        and_(PurchaseOrderLine.confirmed_date.is_not(None), PurchaseOrderLine.confirmed_date >= start,
             PurchaseOrderLine.confirmed_date < end),
        and_(PurchaseOrderLine.confirmed_date.is_(None), PurchaseOrderLine.promised_date >= start,
             PurchaseOrderLine.promised_date < end),
    )
    counted = [PurchaseOrder.status.in_(COUNTED_PO),
               PurchaseOrderLine.status.notin_((POLineStatus.REJECTED.value, POLineStatus.CANCELLED.value))]
    if ids is not None:
        counted.append(PurchaseOrder.supplier_id.in_(ids))

    line_rows = session.execute(
        select(PurchaseOrderLine.id, PurchaseOrder.supplier_id, PurchaseOrder.number, PurchaseOrderLine.line_no,
               Product.id, Product.sku, PurchaseOrderLine.quantity, PurchaseOrderLine.status,
               PurchaseOrderLine.confirmed_quantity, PurchaseOrderLine.confirmed_date, PurchaseOrderLine.promised_date,
               PurchaseOrderLine.unit_price, PurchaseOrder.sent_at, PurchaseOrder.confirmed_at)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(*counted, or_(due_in, and_(PurchaseOrder.sent_at >= t0, PurchaseOrder.sent_at < t1)))
    ).all()

    receipt_rows = session.execute(
        select(Receipt.id, Receipt.number, Receipt.received_at, PurchaseOrder.supplier_id, PurchaseOrder.number,
               PurchaseOrder.sent_at, ReceiptLine.purchase_order_line_id, Product.sku, ReceiptLine.received_quantity,
               ReceiptLine.accepted_quantity, ReceiptLine.rejected_quantity, ReceiptLine.reject_reason)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .join(PurchaseOrder, PurchaseOrder.id == Receipt.purchase_order_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == ReceiptLine.purchase_order_line_id)
        .join(Product, Product.id == ReceiptLine.product_id)
        .where(*counted, Receipt.received_at < as_of,
               or_(and_(Receipt.received_at >= t0, Receipt.received_at < t1), due_in))
        .order_by(Receipt.received_at, Receipt.id)
    ).all()

    price_stmt = select(SupplierPrice.supplier_id, SupplierPrice.product_id, SupplierPrice.unit_price,
                        SupplierPrice.valid_from, SupplierPrice.valid_to).where(
        SupplierPrice.valid_from < end, or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= start))
    list_prices = [ListPrice(*row) for row in session.execute(price_stmt)]

    return _events(line_rows, receipt_rows, list_prices, start, end, t0, t1)


def _events(line_rows: Sequence[Any], receipt_rows: Sequence[Any], list_prices: list[ListPrice],
            start: dt.date, end: dt.date, t0: dt.datetime, t1: dt.datetime) -> Events:
    received_by_line: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    receipts: list[ReceiptEvent] = []
    lead: dict[int, LeadTimeEvent] = {}
    for (rid, rnum, at, sid, po_number, sent_at, line_id, sku, received, accepted, rejected, reason) in receipt_rows:
        received_by_line[line_id].append((at, received))
        if not t0 <= at < t1:
            continue
        receipts.append(ReceiptEvent(sid, rnum, po_number, sku, at.date(), received, accepted, rejected, reason))
        if sent_at is not None and rid not in lead:
            lead[rid] = LeadTimeEvent(sid, rnum, po_number, at.date(), (at - sent_at).total_seconds() / 86400)

    deliveries: list[DeliveryEvent] = []
    purchases: list[PurchaseEvent] = []
    responses: dict[str, ResponseEvent] = {}
    for (line_id, sid, po_number, line_no, pid, sku, qty, status, c_qty, c_date, promised, price, sent_at,
         confirmed_at) in line_rows:
        confirmed = status in CONFIRMED
        committed = c_qty if confirmed and c_qty is not None else qty
        due = c_date if confirmed and c_date is not None else promised
        if start <= due < end:
            total, completed_on = 0, None
            for at, received in received_by_line.get(line_id, ()):
                total += received
                if completed_on is None and total >= committed:
                    completed_on = at.date()
            deliveries.append(DeliveryEvent(sid, po_number, line_no, sku, qty, committed, due, total, completed_on))
        if sent_at is not None and t0 <= sent_at < t1:
            purchases.append(PurchaseEvent(sid, po_number, pid, sku, sent_at.date(), committed, price))
            if confirmed_at is not None and po_number not in responses:
                responses[po_number] = ResponseEvent(sid, po_number, sent_at.date(),
                                                     (confirmed_at - sent_at).total_seconds() / 3600)
    return Events(deliveries=deliveries, receipts=receipts, lead_times=list(lead.values()), purchases=purchases,
                  list_prices=list_prices, responses=list(responses.values()))
