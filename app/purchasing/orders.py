"""Purchase orders: create and edit drafts, send, cancel — each audited.

Line rules (checked together; every broken rule is reported, naming the line and field):
SKU known and active, one line per SKU, quantity > 0, at least the supplier's MOQ and a
multiple of its pack size (the product's pack size when the supplier has no valid
price), unit price ≥ 0 (default: the supplier's price valid today), promised date not
in the past (default: today + the price's lead time, 7 days without one).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import numbering
from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import N_, InvalidState, Msg, NotFound, ValidationFailed, joined, word
from app.purchasing.models import (
    OPEN_PO_STATUSES,
    ASNStatus,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentNotice,
)
from app.stock.models import Warehouse, WarehouseKind
from app.suppliers.models import Supplier
from app.suppliers.service import find_valid_prices

DEFAULT_LEAD_TIME_DAYS = 7
CANCELLABLE = (POStatus.DRAFT.value, POStatus.SENT.value, POStatus.CONFIRMED.value)
SHORT_CLOSABLE = OPEN_PO_STATUSES


@dataclass(frozen=True)
class POLineInput:
    """One line as entered; `index` is its row on the form (0-based) for error messages."""

    index: int
    sku: str
    quantity: int | None
    unit_price: Decimal | None = None
    promised_date: dt.date | None = None


def default_warehouse(session: Session) -> Warehouse | None:
    """The cloud warehouse (the first active one by code): suppliers deliver there."""
    return session.scalar(select(Warehouse).where(Warehouse.kind == WarehouseKind.CLOUD.value,
                                                  Warehouse.is_active.is_(True)).order_by(Warehouse.code).limit(1))


def get_order(session: Session, number: str, *, lock: bool = False) -> PurchaseOrder:
    stmt = select(PurchaseOrder).where(PurchaseOrder.number == number)
    po = session.scalar(stmt.with_for_update() if lock else stmt)
    if po is None:
        raise NotFound(N_("purchase order %(number)s not found", number=number), number=number)
    return po


def _err(errors: list[dict[str, str]], line: POLineInput, field: str, message: Msg) -> None:
    text = (N_("Line %(n)s (%(sku)s): %(message)s", n=line.index + 1, sku=line.sku, message=message) if line.sku
            else N_("Line %(n)s: %(message)s", n=line.index + 1, message=message))
    errors.append({"field": f"lines-{line.index}-{field}", "message": text})


def _check_quantity(errors: list[dict[str, str]], line: POLineInput, qty: int | None, *, moq: int | None,
                    pack: int) -> None:
    """A line's quantity: at least 1, not below the supplier's MOQ, a multiple of the pack size."""
    if qty is None or qty <= 0:
        _err(errors, line, "quantity", N_("quantity must be at least 1"))
        return
    if moq is not None and qty < moq:
        _err(errors, line, "quantity", N_("quantity %(qty)s is below the supplier's minimum order quantity %(moq)s",
                                           qty=qty, moq=moq))
    if pack > 1 and qty % pack:
        lower = qty - qty % pack
        nearest = N_("%(a)s or %(b)s", a=lower, b=lower + pack) if lower else Msg(str(pack))
        _err(errors, line, "quantity", N_("quantity %(qty)s is not a multiple of the pack size %(pack)s "
                                          "(try %(nearest)s)", qty=qty, pack=pack, nearest=nearest))


def _build_lines(session: Session, supplier: Supplier, lines: Sequence[POLineInput], today: dt.date) -> list[dict[str, Any]]:
    """Validate the lines and fill in defaults; raises ValidationFailed listing every problem."""
    errors: list[dict[str, str]] = []
    if not lines:
        raise ValidationFailed(N_("A purchase order needs at least one line."),
                               [{"field": "lines-0-sku", "message": N_("Line 1: enter a SKU and a quantity")}])
    skus = {ln.sku.strip() for ln in lines}
    products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))}
    prices = find_valid_prices(session, supplier_id=supplier.id, product_ids=[p.id for p in products.values()], on=today)
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for line in lines:
        sku = line.sku.strip()
        product = products.get(sku)
        if product is None:
            _err(errors, line, "sku", N_("no product with SKU %(sku)s", sku=repr(sku)))
            continue
        if not product.is_active:
            _err(errors, line, "sku", N_("this product is inactive"))
        if sku in seen:
            _err(errors, line, "sku", N_("already ordered on line %(n)s; change that line's quantity instead", n=seen[sku] + 1))
        seen.setdefault(sku, line.index)
        price = prices.get(product.id)
        qty = line.quantity
        _check_quantity(errors, line, qty, moq=price.moq if price is not None else None,
                        pack=price.pack_size if price is not None else product.pack_size)
        unit_price = line.unit_price if line.unit_price is not None else (price.unit_price if price else None)
        if unit_price is None:
            _err(errors, line, "unit_price", N_("this supplier has no valid price for it today; enter a unit price"))
        elif unit_price < 0:
            _err(errors, line, "unit_price", N_("unit price must be 0 or more"))
        lead = price.lead_time_days if price is not None else DEFAULT_LEAD_TIME_DAYS
        promised = line.promised_date or today + dt.timedelta(days=lead)
        if promised < today:
            _err(errors, line, "promised_date", N_("promised date is in the past"))
        out.append({"product_id": product.id, "quantity": qty, "unit_price": unit_price, "promised_date": promised})
    if errors:
        raise ValidationFailed(joined([e["message"] for e in errors]), errors)
    return out


def _replace_lines(session: Session, po: PurchaseOrder, built: list[dict[str, Any]]) -> None:
    po.lines.clear()
    session.flush()  # delete the old lines before inserting new ones with the same line numbers
    for no, data in enumerate(built, start=1):
        po.lines.append(PurchaseOrderLine(line_no=no, status=POLineStatus.OPEN.value, **data))
    session.flush()


def _resolve_warehouse(session: Session, warehouse_id: int | None) -> Warehouse:
    wh = session.get(Warehouse, warehouse_id) if warehouse_id else default_warehouse(session)
    if wh is None or not wh.is_active:
        raise ValidationFailed(N_("Choose an active delivery warehouse."),
                               [{"field": "warehouse", "message": N_("choose an active warehouse")}])
    return wh


def create_purchase_order(session: Session, actor: Actor, *, supplier_id: int, lines: Sequence[POLineInput],
                          today: dt.date, warehouse_id: int | None = None, notes: str | None = None) -> PurchaseOrder:
    """A draft PO to the supplier, delivered to `warehouse_id` (default: the cloud warehouse)."""
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or not supplier.is_active:
        raise ValidationFailed(N_("Choose an active supplier."),
                               [{"field": "supplier", "message": N_("choose an active supplier")}])
    warehouse = _resolve_warehouse(session, warehouse_id)
    built = _build_lines(session, supplier, lines, today)
    po = PurchaseOrder(supplier_id=supplier.id, warehouse_id=warehouse.id,
                       status=POStatus.DRAFT.value, currency=supplier.currency, notes=notes or None,
                       created_by_id=actor.staff_id)
    numbering.assign_number(session, po, numbering.PURCHASE_ORDER, today)
    _replace_lines(session, po, built)
    record_audit(session, actor, "purchase_order.create", "purchase_order", po.number, supplier=supplier.code,
                 warehouse=warehouse.code, lines=len(built))
    return po


def update_draft(session: Session, actor: Actor, *, number: str, lines: Sequence[POLineInput], today: dt.date,
                 warehouse_id: int | None = None, notes: str | None = None) -> PurchaseOrder:
    """Replace a draft's lines (and delivery warehouse, notes). Raises InvalidState unless draft."""
    po = get_order(session, number, lock=True)
    if po.status != POStatus.DRAFT.value:
        raise InvalidState(N_("%(number)s is %(status)s; only a draft can be edited", number=po.number,
                              status=word(po.status)), number=po.number, status=po.status)
    warehouse = _resolve_warehouse(session, warehouse_id or po.warehouse_id)
    built = _build_lines(session, po.supplier, lines, today)
    po.warehouse_id, po.notes = warehouse.id, notes or None
    _replace_lines(session, po, built)
    record_audit(session, actor, "purchase_order.update", "purchase_order", po.number, warehouse=warehouse.code,
                 lines=len(built))
    return po


def send_purchase_order(session: Session, actor: Actor, *, number: str, now: dt.datetime) -> PurchaseOrder:
    """draft → sent: the lines are locked from now on and the supplier sees the order."""
    po = get_order(session, number, lock=True)
    if po.status != POStatus.DRAFT.value:
        raise InvalidState(N_("%(number)s is %(status)s; only a draft can be sent", number=po.number,
                              status=word(po.status)), number=po.number, status=po.status)
    if not po.lines:
        raise InvalidState(N_("%(number)s has no lines; add at least one before sending", number=po.number),
                           number=po.number)
    po.status, po.sent_at = POStatus.SENT.value, now
    record_audit(session, actor, "purchase_order.send", "purchase_order", po.number, supplier_id=po.supplier_id)
    return po


def cancel_purchase_order(session: Session, actor: Actor, *, number: str, now: dt.datetime) -> PurchaseOrder:
    """Cancel a draft, sent or confirmed PO of which nothing was received; its open notices are cancelled too."""
    po = get_order(session, number, lock=True)
    if po.status not in CANCELLABLE:
        raise InvalidState(N_("%(number)s is %(status)s; it can no longer be cancelled", number=po.number,
                              status=word(po.status)),
                           number=po.number, status=po.status)
    if any(line.received_quantity for line in po.lines):
        raise InvalidState(N_("%(number)s has received goods; it can no longer be cancelled", number=po.number),
                           number=po.number)
    po.status, po.cancelled_at = POStatus.CANCELLED.value, now
    for line in po.lines:
        line.status = POLineStatus.CANCELLED.value
    notices = list(session.scalars(select(ShipmentNotice).where(ShipmentNotice.purchase_order_id == po.id,
                                                                ShipmentNotice.status == ASNStatus.SENT.value)))
    for notice in notices:
        notice.status = ASNStatus.CANCELLED.value
    record_audit(session, actor, "purchase_order.cancel", "purchase_order", po.number,
                 notices_cancelled=[n.number for n in notices])
    return po


def short_close_purchase_order(session: Session, actor: Actor, *, number: str, reason: str,
                               now: dt.datetime) -> PurchaseOrder:
    """Close a PO whose outstanding quantity will not come (e.g. after rejected goods): it leaves
    receiving and "on order", its open shipment notices are cancelled, and the reason and what
    was still outstanding per line are audited (and noted on the PO for the supplier).

    Raises `ValidationFailed` (field `reason`) without a reason, `InvalidState` unless the PO is
    sent, confirmed or partially received. Re-ordering is a new PO (Purchase orders → New).
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 255:
        raise ValidationFailed(N_("say why the rest will not be delivered (at most 255 characters)"),
                               [{"field": "reason", "message": N_("required, at most 255 characters")}])
    po = get_order(session, number, lock=True)
    if po.status not in SHORT_CLOSABLE:
        raise InvalidState(N_("%(number)s is %(status)s; only an order awaiting goods can be closed short",
                              number=po.number, status=word(po.status)), number=po.number, status=po.status)
    outstanding = {
        line.line_no: max((line.confirmed_quantity if line.confirmed_quantity is not None else line.quantity)
                          - line.accepted_quantity, 0)
        for line in po.lines if line.status not in (POLineStatus.REJECTED.value, POLineStatus.CANCELLED.value)
    }
    notices = list(session.scalars(select(ShipmentNotice).where(ShipmentNotice.purchase_order_id == po.id,
                                                                ShipmentNotice.status == ASNStatus.SENT.value)))
    for notice in notices:
        notice.status = ASNStatus.CANCELLED.value
    po.status, po.closed_at = POStatus.CLOSED.value, now
    note = f"Closed short on {now.date().isoformat()}: {reason}"
    po.notes = f"{po.notes}\n{note}" if po.notes else note
    record_audit(session, actor, "purchase_order.short_close", "purchase_order", po.number, reason=reason,
                 outstanding={str(k): v for k, v in outstanding.items() if v},
                 notices_cancelled=[n.number for n in notices])
    return po
