"""Receiving goods against a purchase order, with inspection, in one transaction.

Per PO line: quantity received now, of which rejected (with a reason from the
admin-configured `inspection_reasons`); the rest is accepted. Accepted goods become
`receipt` movements through the stock core; rejected goods never enter stock and go on
a supplier return document (status open, `from_stock=False`).

Over-receipt: the accepted total of a line may not exceed its ordered quantity plus
`over_receipt_tolerance_pct` (rounded down). Rejected goods do not count — they go back
and the supplier may replace them. A line is fulfilled when its accepted total reaches
the ordered quantity; the PO becomes `received` when every live line is fulfilled,
`partially_received` otherwise.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import numbering
from app.audit.service import Actor, record_audit
from app.errors import N_, InvalidState, Msg, NotFound, ValidationFailed, joined, word
from app.purchasing.models import (
    OPEN_PO_STATUSES,
    ASNStatus,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    ReturnStatus,
    ShipmentNotice,
    SupplierReturn,
    SupplierReturnLine,
)
from app.purchasing.orders import get_order
from app.settings.service import get_setting
from app.stock.models import MovementKind
from app.stock.service import StockEffect, post_stock_effects

RECEIVABLE = OPEN_PO_STATUSES
DEAD_LINE_STATUSES = (POLineStatus.REJECTED.value, POLineStatus.CANCELLED.value)


@dataclass(frozen=True)
class ReceiveLineInput:
    """What was counted and inspected for one PO line; `index` is its row on the form."""

    index: int
    po_line_id: int
    received: int
    rejected: int = 0
    reason: str | None = None


@dataclass(frozen=True)
class ReceiptResult:
    receipt: Receipt
    supplier_return: SupplierReturn | None


def max_acceptable(ordered: int, tolerance_pct: float | int | str) -> int:
    """The most that may be accepted on a line: ordered + tolerance %, rounded down."""
    allowed = Decimal(ordered) * (Decimal(100) + Decimal(str(tolerance_pct))) / Decimal(100)
    return int(allowed.to_integral_value(rounding=ROUND_FLOOR))


def receivable_notice(session: Session, po: PurchaseOrder, notice_id: int | None) -> ShipmentNotice | None:
    if notice_id is None:
        return None
    notice = session.get(ShipmentNotice, notice_id)
    if notice is None or notice.purchase_order_id != po.id:
        raise NotFound(N_("shipment notice %(id)s does not belong to %(number)s", id=notice_id, number=po.number))
    if notice.status != ASNStatus.SENT.value:
        raise InvalidState(N_("shipment notice %(notice)s is %(status)s; it cannot be received again",
                              notice=notice.number, status=word(notice.status)),
                           notice=notice.number)
    return notice


def _line_refusal(inp: ReceiveLineInput, pol: PurchaseOrderLine) -> tuple[str, Msg] | None:
    """(field, message) when the quantities of a receipt line cannot be taken at all."""
    if inp.received < 0:
        return "received", N_("received quantity cannot be negative")
    if inp.rejected < 0:
        return "rejected", N_("rejected quantity cannot be negative")
    if pol.status in DEAD_LINE_STATUSES:
        return "received", N_("this line is %(status)s; nothing can be received on it", status=word(pol.status))
    if inp.rejected > inp.received:
        return "rejected", N_("rejected %(rejected)s is more than received %(received)s", rejected=inp.rejected,
                              received=inp.received)
    return None


def _check(po: PurchaseOrder, lines: Sequence[ReceiveLineInput], reasons: list[str],
           tolerance: float) -> list[tuple[ReceiveLineInput, PurchaseOrderLine]]:
    by_id = {ln.id: ln for ln in po.lines}
    errors: list[dict[str, str]] = []
    todo = []

    def err(inp: ReceiveLineInput, field: str, msg: Msg) -> None:
        pol = by_id.get(inp.po_line_id)
        text = (N_("Line %(n)s (%(sku)s): %(message)s", n=pol.line_no, sku=pol.product.sku, message=msg) if pol
                else N_("Line %(n)s: %(message)s", n=inp.index + 1, message=msg))
        errors.append({"field": f"lines-{inp.index}-{field}", "message": text})

    for inp in lines:
        pol = by_id.get(inp.po_line_id)
        if pol is None:
            err(inp, "received", N_("is not a line of %(number)s", number=po.number))
            continue
        if inp.received == 0 and inp.rejected == 0:
            continue
        refusal = _line_refusal(inp, pol)
        if refusal is not None:
            err(inp, *refusal)
            continue
        if inp.rejected and inp.reason not in reasons:
            err(inp, "reason", N_("choose a rejection reason"))
        accepted = inp.received - inp.rejected
        limit = max_acceptable(pol.quantity, tolerance)
        if pol.accepted_quantity + accepted > limit:
            err(inp, "received", N_("accepting %(accepted)s would make %(total)s of %(ordered)s ordered, over the "
                                    "%(tolerance)s%% tolerance (at most %(more)s more)", accepted=accepted,
                                    total=pol.accepted_quantity + accepted, ordered=pol.quantity, tolerance=tolerance,
                                    more=limit - pol.accepted_quantity))
        todo.append((inp, pol))
    if not errors and not todo:
        errors.append({"field": "lines-0-received", "message": N_("Enter the quantity received on at least one line")})
    if errors:
        raise ValidationFailed(joined([e["message"] for e in errors]), errors)
    return todo


def receive_purchase_order(session: Session, actor: Actor, *, number: str, lines: Sequence[ReceiveLineInput],
                           now: dt.datetime, notice_id: int | None = None, notes: str | None = None) -> ReceiptResult:
    """Record a receipt with inspection; raises ValidationFailed naming each bad line, InvalidState
    when the PO is not awaiting goods. Stock, PO, notice, return and audit change together."""
    po = get_order(session, number, lock=True)  # serialises receipts of one PO
    if po.status not in RECEIVABLE:
        raise InvalidState(N_("%(number)s is %(status)s; it is not awaiting goods", number=po.number,
                              status=word(po.status)),
                           number=po.number, status=po.status)
    notice = receivable_notice(session, po, notice_id)
    todo = _check(po, lines, list(get_setting(session, "inspection_reasons")),
                  get_setting(session, "over_receipt_tolerance_pct"))
    staff_id = actor.staff_id
    receipt = Receipt(purchase_order_id=po.id, warehouse_id=po.warehouse_id,
                      shipment_notice_id=notice.id if notice else None, received_at=now, received_by_id=staff_id,
                      notes=notes or None)
    numbering.assign_number(session, receipt, numbering.RECEIPT, now.date())
    effects: list[StockEffect] = []
    rejected_lines: list[SupplierReturnLine] = []
    for inp, pol in todo:
        accepted = inp.received - inp.rejected
        receipt.lines.append(ReceiptLine(purchase_order_line_id=pol.id, product_id=pol.product_id,
                                         received_quantity=inp.received, accepted_quantity=accepted,
                                         rejected_quantity=inp.rejected, reject_reason=inp.reason if inp.rejected else None))
        pol.received_quantity += inp.received
        pol.accepted_quantity += accepted
        pol.rejected_quantity += inp.rejected
        if accepted:
            effects.append(StockEffect(pol.product_id, po.warehouse_id, MovementKind.RECEIPT.value, accepted,
                                       occurred_at=now, event_id=f"{receipt.number}/{pol.line_no}",
                                       reference_type="receipt", reference_id=receipt.number,
                                       note=f"{po.number} line {pol.line_no}"))
        if inp.rejected:
            rejected_lines.append(SupplierReturnLine(product_id=pol.product_id, purchase_order_line_id=pol.id,
                                                     quantity=inp.rejected, from_stock=False, reason=inp.reason))
    post_stock_effects(session, effects, source="receipt", now=now, user_id=staff_id)
    supplier_return = None
    if rejected_lines:
        supplier_return = SupplierReturn(supplier_id=po.supplier_id, warehouse_id=po.warehouse_id,
                                         receipt_id=receipt.id, status=ReturnStatus.OPEN.value, created_at=now,
                                         lines=rejected_lines)
        numbering.assign_number(session, supplier_return, numbering.SUPPLIER_RETURN, now.date())
    live = [ln for ln in po.lines if ln.status not in DEAD_LINE_STATUSES]
    if all(ln.accepted_quantity >= ln.quantity for ln in live):
        po.status, po.received_at = POStatus.RECEIVED.value, now
    else:
        po.status = POStatus.PARTIALLY_RECEIVED.value
    if notice is not None:
        notice.status = ASNStatus.RECEIVED.value
    session.flush()
    record_audit(session, actor, "receipt.create", "receipt", receipt.number, purchase_order=po.number,
                 notice=notice.number if notice else None, po_status=po.status,
                 lines=[{"line": pol.line_no, "received": inp.received, "rejected": inp.rejected, "reason": inp.reason}
                        for inp, pol in todo])
    if supplier_return is not None:
        record_audit(session, actor, "supplier_return.create", "supplier_return", supplier_return.number,
                     receipt=receipt.number, units=sum(ln.quantity for ln in rejected_lines))
    return ReceiptResult(receipt, supplier_return)


def prefill_quantities(session: Session, po: PurchaseOrder, notice: ShipmentNotice | None) -> dict[int, int]:
    """Suggested 'received now' per PO line: the notice's quantities, else what is still outstanding."""
    if notice is not None:
        out: dict[int, int] = {}
        for ln in notice.lines:
            out[ln.purchase_order_line_id] = out.get(ln.purchase_order_line_id, 0) + ln.quantity
        return out
    return {ln.id: max(ln.quantity - ln.accepted_quantity, 0) for ln in po.lines if ln.status not in DEAD_LINE_STATUSES}


def notices_of(session: Session, po: PurchaseOrder) -> list[ShipmentNotice]:
    return list(session.scalars(select(ShipmentNotice).where(ShipmentNotice.purchase_order_id == po.id,
                                                             ShipmentNotice.status == ASNStatus.SENT.value)
                                .order_by(ShipmentNotice.expected_date)))
