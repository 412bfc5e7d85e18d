"""Factories for purchase orders and receipts (until the purchasing services land):
`make_po` and `make_receipt` flush, never commit. Receipts go through the stock core."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.purchasing.models import POStatus, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine
from app.stock.models import Warehouse
from app.stock.service import StockEffect, post_stock_effects
from app.suppliers.models import Supplier

_seq = itertools.count(1)
NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def make_po(
    session: Session, supplier: Supplier, warehouse: Warehouse,
    lines: Sequence[tuple[Product, int, Decimal | str, dt.date]], *,
    status: str = POStatus.SENT.value, sent_at: dt.datetime | None = NOW, **kw: Any,
) -> PurchaseOrder:
    """A PO with `lines` of (product, quantity, unit price, promised date)."""
    n = next(_seq)
    po = PurchaseOrder(number=kw.pop("number", f"PO-T-{n:06d}"), supplier_id=supplier.id, warehouse_id=warehouse.id,
                       status=status, sent_at=sent_at, created_at=sent_at or NOW, **kw)
    po.lines = [
        PurchaseOrderLine(line_no=i, product_id=p.id, quantity=q, unit_price=Decimal(str(price)), promised_date=d)
        for i, (p, q, price, d) in enumerate(lines, start=1)
    ]
    session.add(po)
    session.flush()
    return po


def confirm_as_ordered(po: PurchaseOrder, at: dt.datetime, **by_line_no: tuple[int, dt.date]) -> None:
    """Mark lines confirmed (or changed to (qty, date) for `l<line_no>=`) without the portal."""
    for line in po.lines:
        qty, date = by_line_no.get(f"l{line.line_no}", (line.quantity, line.promised_date))
        line.status = "changed" if (qty, date) != (line.quantity, line.promised_date) else "confirmed"
        line.confirmed_quantity, line.confirmed_date, line.confirmed_at = qty, date, at
    po.status, po.confirmed_at = POStatus.CONFIRMED.value, at


def make_receipt(
    session: Session, po: PurchaseOrder, lines: Sequence[tuple[PurchaseOrderLine, int, int]], *,
    received_at: dt.datetime, reason: str | None = "damaged", shipment_notice_id: int | None = None,
) -> Receipt:
    """Receive (po line, received, accepted) per line; rejected = received − accepted.

    Accepted units go on hand through `post_stock_effects`; the PO lines' counters and
    the PO status follow (partially received / received).
    """
    n = next(_seq)
    receipt = Receipt(number=f"GR-T-{n:06d}", purchase_order_id=po.id, warehouse_id=po.warehouse_id,
                      received_at=received_at, shipment_notice_id=shipment_notice_id)
    for line, received, accepted in lines:
        rejected = received - accepted
        receipt.lines.append(ReceiptLine(purchase_order_line_id=line.id, product_id=line.product_id,
                                         received_quantity=received, accepted_quantity=accepted,
                                         rejected_quantity=rejected, reject_reason=reason if rejected else None))
        line.received_quantity += received
        line.accepted_quantity += accepted
        line.rejected_quantity += rejected
    session.add(receipt)
    session.flush()
    effects = [StockEffect(line.product_id, po.warehouse_id, "receipt", accepted, occurred_at=received_at,
                           reference_type="receipt", reference_id=str(receipt.id))
               for line, _received, accepted in lines if accepted]
    if effects:
        post_stock_effects(session, effects, source="tests", now=received_at)
    target = {ln.id: (ln.confirmed_quantity if ln.confirmed_quantity is not None else ln.quantity) for ln in po.lines}
    live = [ln for ln in po.lines if ln.status not in ("rejected", "cancelled")]
    done = all(ln.received_quantity >= target[ln.id] for ln in live)
    po.status = (POStatus.RECEIVED if done else POStatus.PARTIALLY_RECEIVED).value
    if done:
        po.received_at = received_at
    session.flush()
    return receipt
