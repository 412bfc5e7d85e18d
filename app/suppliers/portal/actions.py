"""What a supplier does to its purchase orders through the portal: confirm lines (as
ordered or changed), reject a line, announce a shipment (ASN).

Every function takes the session and the acting supplier's id explicitly and looks
the purchase order up *within that supplier*: another supplier's PO is a `NotFound`,
exactly as if it did not exist. Each change is audited and leaves a stored `Alert`
of kind ``supplier_update`` for purchasing, in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app import numbering
from app.alerts.models import Alert
from app.audit.service import Actor, record_audit
from app.errors import N_, InvalidState, NotFound, ValidationFailed, joined, word
from app.purchasing.models import (
    ASNStatus,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
    ShipmentNoticeLine,
)

SUPPLIER_UPDATE = "supplier_update"
# A supplier may answer a PO while it is sent (or confirm lines still open on a confirmed PO).
ANSWERABLE = frozenset({POStatus.SENT.value, POStatus.CONFIRMED.value})
# Goods may be announced for a PO that is confirmed or already partly received.
SHIPPABLE = frozenset({POStatus.CONFIRMED.value, POStatus.PARTIALLY_RECEIVED.value})
CONFIRMED_LINE = frozenset({POLineStatus.CONFIRMED.value, POLineStatus.CHANGED.value})


@dataclass(frozen=True)
class LineConfirmation:
    """The supplier's answer for one line: the quantity and date it commits to."""

    line_id: int
    quantity: int
    ship_date: dt.date


def supplier_po(session: Session, *, supplier_id: int, po_id: int, lock: bool = False) -> PurchaseOrder:
    """The PO `po_id` if it belongs to `supplier_id` and was sent to it; else `NotFound`.

    Drafts are purchasing's own working copies: the supplier never sees them. With `lock`,
    the PO row is locked (``FOR UPDATE``) until the transaction ends and the PO and its lines
    are read fresh: a second answer or shipment notice for the same PO waits, then sees what
    the first one wrote.
    """
    stmt = (
        select(PurchaseOrder)
        .where(PurchaseOrder.id == po_id, PurchaseOrder.supplier_id == supplier_id,
               PurchaseOrder.status != POStatus.DRAFT.value)
        .options(selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.product))
    )
    if lock:
        stmt = stmt.with_for_update(of=PurchaseOrder).execution_options(populate_existing=True)
    po = session.scalar(stmt)
    if po is None:
        raise NotFound(N_("purchase order %(number)s not found", number=po_id))
    return po


def _line_of(po: PurchaseOrder, line_id: int) -> PurchaseOrderLine:
    for line in po.lines:
        if line.id == line_id:
            return line
    raise NotFound(N_("line %(line)s not found on %(number)s", line=line_id, number=po.number))


def _notify_purchasing(session: Session, po: PurchaseOrder, event: str, message: str, **details: object) -> None:
    session.add(Alert(
        kind=SUPPLIER_UPDATE, warehouse_id=po.warehouse_id, message=message[:500],
        details=json.dumps({"event": event, "purchase_order_id": po.id, "po_number": po.number,
                            "supplier_id": po.supplier_id, **details}, default=str, sort_keys=True),
    ))


def _settle_po_status(po: PurchaseOrder, now: dt.datetime) -> None:
    """Once no line is open: all rejected → `rejected`; otherwise → `confirmed` (rejected
    lines simply drop out of the order). A PO already past confirmation keeps its status."""
    live = [ln for ln in po.lines if ln.status != POLineStatus.CANCELLED.value]
    if po.status != POStatus.SENT.value or any(ln.status == POLineStatus.OPEN.value for ln in live):
        return
    if all(ln.status == POLineStatus.REJECTED.value for ln in live):
        po.status = POStatus.REJECTED.value
    else:
        po.status = POStatus.CONFIRMED.value
        po.confirmed_at = now


def confirm_po_lines(
    session: Session, actor: Actor, *, supplier_id: int, po_id: int,
    confirmations: Sequence[LineConfirmation] | None = None, now: dt.datetime,
) -> PurchaseOrder:
    """Confirm open lines. `confirmations=None` confirms every open line as ordered.

    A line confirmed with another quantity or date than ordered gets status `changed`,
    else `confirmed`. Raises `NotFound` (not their PO / line), `InvalidState` (PO not
    answerable, line not open), `ValidationFailed` (quantity < 1).
    """
    po = supplier_po(session, supplier_id=supplier_id, po_id=po_id, lock=True)
    if po.status not in ANSWERABLE:
        raise InvalidState(N_("%(number)s is %(status)s; it can no longer be confirmed", number=po.number,
                              status=word(po.status)), po_number=po.number)
    if confirmations is None:
        confirmations = [LineConfirmation(ln.id, ln.quantity, ln.promised_date)
                         for ln in po.lines if ln.status == POLineStatus.OPEN.value]
    if not confirmations:
        raise InvalidState(N_("%(number)s has no open line to confirm", number=po.number), po_number=po.number)
    answered = []
    for c in confirmations:
        line = _line_of(po, c.line_id)
        if line.status != POLineStatus.OPEN.value:
            raise InvalidState(N_("line %(n)s (%(sku)s) is already %(status)s", n=line.line_no, sku=line.product.sku,
                                  status=word(line.status)), line_no=line.line_no)
        if c.quantity < 1:
            raise ValidationFailed(
                N_("line %(n)s (%(sku)s): confirmed quantity must be at least 1 (reject the line instead)",
                   n=line.line_no, sku=line.product.sku),
                [{"field": f"lines-{line.line_no}-quantity", "message": N_("must be at least 1")}],
            )
        changed = c.quantity != line.quantity or c.ship_date != line.promised_date
        line.status = (POLineStatus.CHANGED if changed else POLineStatus.CONFIRMED).value
        line.confirmed_quantity = c.quantity
        line.confirmed_date = c.ship_date
        line.confirmed_at = now
        answered.append({"line_no": line.line_no, "sku": line.product.sku, "status": line.status,
                         "quantity": c.quantity, "date": c.ship_date.isoformat()})
    _settle_po_status(po, now)
    record_audit(session, actor, "po.supplier_confirm", "purchase_order", po.id, number=po.number, lines=answered)
    changed_nos = [a["line_no"] for a in answered if a["status"] == POLineStatus.CHANGED.value]
    msg = f"{po.supplier.name} confirmed {len(answered)} line(s) of {po.number}"
    if changed_nos:
        msg += f"; changed line(s) {', '.join(map(str, changed_nos))}"
    _notify_purchasing(session, po, "confirm", msg, lines=answered, po_status=po.status)
    return po


def reject_po_line(
    session: Session, actor: Actor, *, supplier_id: int, po_id: int, line_id: int, reason: str, now: dt.datetime,
) -> PurchaseOrder:
    """Reject one open line with a reason (required, ≤ 255 characters)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 255:
        raise ValidationFailed(N_("a reason (1–255 characters) is required to reject a line"),
                               [{"field": "reason", "message": N_("1–255 characters")}])
    po = supplier_po(session, supplier_id=supplier_id, po_id=po_id, lock=True)
    if po.status not in ANSWERABLE:
        raise InvalidState(N_("%(number)s is %(status)s; its lines can no longer be rejected", number=po.number,
                              status=word(po.status)), po_number=po.number)
    line = _line_of(po, line_id)
    if line.status != POLineStatus.OPEN.value:
        raise InvalidState(N_("line %(n)s (%(sku)s) is already %(status)s", n=line.line_no, sku=line.product.sku,
                              status=word(line.status)), line_no=line.line_no)
    line.status = POLineStatus.REJECTED.value
    line.reject_reason = reason
    _settle_po_status(po, now)
    record_audit(session, actor, "po.supplier_reject_line", "purchase_order", po.id, number=po.number,
                 line_no=line.line_no, sku=line.product.sku, reason=reason)
    _notify_purchasing(session, po, "reject_line",
                       f"{po.supplier.name} rejected line {line.line_no} ({line.product.sku}) of {po.number}: {reason}",
                       line_no=line.line_no, reason=reason, po_status=po.status)
    return po


def announced_in_flight(session: Session, po_id: int) -> dict[int, int]:
    """Per PO line id: quantity in ASNs still on their way (status `sent`).

    ASNs that were received are already counted in the line's `received_quantity`;
    cancelled ones announce nothing.
    """
    rows = session.execute(
        select(ShipmentNoticeLine.purchase_order_line_id, func.sum(ShipmentNoticeLine.quantity))
        .join(ShipmentNotice, ShipmentNotice.id == ShipmentNoticeLine.shipment_notice_id)
        .where(ShipmentNotice.purchase_order_id == po_id, ShipmentNotice.status == ASNStatus.SENT.value)
        .group_by(ShipmentNoticeLine.purchase_order_line_id)
    ).all()
    return {line_id: int(qty) for line_id, qty in rows}


def open_to_ship(line: PurchaseOrderLine, in_flight: Mapping[int, int]) -> int:
    """What may still be announced: confirmed − announced in open ASNs − received (≥ 0)."""
    if line.status not in CONFIRMED_LINE:
        return 0
    return max(0, (line.confirmed_quantity or 0) - in_flight.get(line.id, 0) - line.received_quantity)


def create_shipment_notice(
    session: Session, actor: Actor, *, supplier_id: int, po_id: int, quantities: Mapping[int, int],
    ship_date: dt.date, expected_date: dt.date, carrier: str | None = None, tracking_number: str | None = None,
    created_by_id: int | None = None, now: dt.datetime,
) -> ShipmentNotice:
    """Announce a shipment of `quantities` (PO line id → units; zeros are skipped).

    Numbered ``ASN-<year>-<id, 6 digits>`` (unique by construction, no counter race).
    Raises `ValidationFailed` naming the line when a quantity exceeds what is open on it
    (see `open_to_ship`), when nothing is announced, or when arrival precedes shipping.
    The PO row stays locked from the check of what is open until commit, so parallel
    notices for one PO are checked one after the other (never over-announced).
    """
    po = supplier_po(session, supplier_id=supplier_id, po_id=po_id, lock=True)
    if po.status not in SHIPPABLE:
        raise InvalidState(N_("%(number)s is %(status)s; shipments can be announced once it is confirmed",
                              number=po.number, status=word(po.status)),
                           po_number=po.number)
    if expected_date < ship_date:
        raise ValidationFailed(N_("the expected arrival cannot be before the ship date"),
                               [{"field": "expected_date", "message": N_("before the ship date")}])
    in_flight = announced_in_flight(session, po.id)
    errors: list[dict[str, object]] = []
    lines: list[tuple[PurchaseOrderLine, int]] = []
    for line_id, qty in quantities.items():
        line = _line_of(po, line_id)
        if qty < 0:
            errors.append({"field": f"line-{line.line_no}", "message": N_("must not be negative")})
            continue
        if qty == 0:
            continue
        open_qty = open_to_ship(line, in_flight)
        if qty > open_qty:
            errors.append({"field": f"line-{line.line_no}",
                           "message": N_("line %(n)s (%(sku)s): %(qty)s announced but only %(open)s open",
                                         n=line.line_no, sku=line.product.sku, qty=qty, open=open_qty)})
            continue
        lines.append((line, qty))
    if errors:
        raise ValidationFailed(joined([e["message"] for e in errors], "; "), errors)
    if not lines:
        raise ValidationFailed(N_("announce at least one unit on one line"),
                               [{"field": "quantities", "message": N_("nothing announced")}])
    notice = ShipmentNotice(
        purchase_order_id=po.id, supplier_id=supplier_id, ship_date=ship_date,
        expected_date=expected_date, carrier=(carrier or "").strip() or None,
        tracking_number=(tracking_number or "").strip() or None, created_by_id=created_by_id, created_at=now,
        lines=[ShipmentNoticeLine(purchase_order_line_id=ln.id, quantity=q) for ln, q in lines],
    )
    numbering.assign_number(session, notice, numbering.SHIPMENT_NOTICE, now.date())
    announced = [{"line_no": ln.line_no, "sku": ln.product.sku, "quantity": q} for ln, q in lines]
    record_audit(session, actor, "asn.create", "shipment_notice", notice.id, number=notice.number,
                 po_number=po.number, lines=announced, ship_date=ship_date, expected_date=expected_date,
                 carrier=notice.carrier, tracking_number=notice.tracking_number)
    _notify_purchasing(session, po, "asn", f"{po.supplier.name} announced {notice.number} for {po.number}, "
                       f"arriving {expected_date.isoformat()}", asn_id=notice.id, asn_number=notice.number,
                       lines=announced)
    return notice
