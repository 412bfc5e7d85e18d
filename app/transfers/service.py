"""Transfers between warehouses: draft → shipped (stock in transit) → received; or cancelled.

Stock effects go through `app.stock.service` only (`stock_change`, `post_stock_effects`):
- ship: one `stock_change` that checks the source's available stock (`require_available`)
  and plans `transfer_out` (−shipped) at the source and `in_transit +shipped` at the
  destination, so the goods never vanish from the books between the two warehouses;
- receive: one call with `in_transit −shipped` and `transfer_in +shipped` at the destination,
  and for a short receipt (received < shipped) an `adjustment` of −(shipped − received) there,
  referencing the transfer, with the note "transit loss: <reason>": the ledger then explains
  every unit (−40 out, +40 in, −2 transit loss) instead of 2 units vanishing between −40 and +38.
  The API contract has no transit-loss kind, so the loss is an adjustment with that reason.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from app import numbering
from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import N_, InsufficientStockError, InvalidState, NotFound, ValidationFailed, joined, word
from app.paging import AnySelect, Page, Sort, clamp_page, sorted_by
from app.stock.ledger import InsufficientStock
from app.stock.models import MovementKind, Warehouse
from app.stock.service import StockEffect, post_stock_effects, stock_change
from app.transfers.models import Transfer, TransferLine, TransferStatus

SOURCE = "transfer"
TRANSIT_LOSS = "transit loss"  # the reason on the adjustment that books a short receipt's missing units


@dataclass(frozen=True)
class TransferLineInput:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class LineReceipt:
    """What arrived for one transfer line; `note` is required when it differs from shipped."""

    received_quantity: int
    note: str | None = None


def get_transfer(session: Session, transfer_id: int, *, for_update: bool = False) -> Transfer:
    stmt = select(Transfer).where(Transfer.id == transfer_id).options(
        selectinload(Transfer.lines).selectinload(TransferLine.product))
    if for_update:
        stmt = stmt.with_for_update(of=Transfer)
    transfer = session.scalar(stmt)
    if transfer is None:
        raise NotFound(N_("transfer %(id)s not found", id=transfer_id), transfer_id=transfer_id)
    return transfer


def create_transfer(
    session: Session,
    actor: Actor,
    *,
    source_warehouse_id: int,
    dest_warehouse_id: int,
    lines: Sequence[TransferLineInput],
    notes: str | None = None,
    today: dt.date | None = None,
) -> Transfer:
    """Create a draft transfer. Lines for the same product are merged.

    Raises `ValidationFailed` (field names `source`, `dest`, `lines-N-quantity`, …) for the
    same warehouse twice, an unknown warehouse or product, no lines, or a quantity ≤ 0.
    Availability is checked when shipping, not here: a draft reserves nothing.
    """
    errors = []
    if source_warehouse_id == dest_warehouse_id:
        errors.append({"field": "dest", "message": N_("must differ from the source warehouse")})
    found = set(session.scalars(select(Warehouse.id).where(Warehouse.id.in_([source_warehouse_id, dest_warehouse_id]))))
    if source_warehouse_id not in found:
        errors.append({"field": "source", "message": N_("unknown warehouse")})
    if dest_warehouse_id not in found:
        errors.append({"field": "dest", "message": N_("unknown warehouse")})
    if not lines:
        errors.append({"field": "lines", "message": N_("add at least one line")})
    for i, line in enumerate(lines):
        if line.quantity <= 0:
            errors.append({"field": f"lines-{i}-quantity", "message": N_("must be greater than 0")})
    ids = {line.product_id for line in lines}
    known = set(session.scalars(select(Product.id).where(Product.id.in_(ids)))) if ids else set()
    for i, line in enumerate(lines):
        if line.product_id not in known:
            errors.append({"field": f"lines-{i}-sku", "message": N_("unknown product")})
    if errors:
        raise ValidationFailed(joined([e["message"] for e in errors], "; "), errors)
    merged: dict[int, int] = {}
    for line in lines:
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    today = today or dt.datetime.now(dt.UTC).date()
    transfer = Transfer(
        source_warehouse_id=source_warehouse_id, dest_warehouse_id=dest_warehouse_id,
        status=TransferStatus.DRAFT.value, notes=notes or None, created_by_id=actor.staff_id,
        lines=[TransferLine(product_id=p, quantity=q) for p, q in merged.items()],
    )
    numbering.assign_number(session, transfer, numbering.TRANSFER, today)
    record_audit(session, actor, "transfer.create", "transfer", transfer.id, number=transfer.number,
                 source=source_warehouse_id, dest=dest_warehouse_id, lines=merged)
    return transfer


def ship_transfer(session: Session, actor: Actor, *, transfer_id: int, now: dt.datetime) -> Transfer:
    """Ship a draft: every line leaves the source in full and shows in transit at the destination.

    Raises `InvalidState` unless draft, `InsufficientStockError` (with `shortages`
    [{sku, requested, available}]) when the source lacks available stock — nothing is shipped.
    """
    transfer = get_transfer(session, transfer_id, for_update=True)
    if transfer.status != TransferStatus.DRAFT:
        raise InvalidState(N_("transfer %(number)s is %(status)s; only a draft can be shipped",
                              number=transfer.number, status=word(str(transfer.status))),
                           status_now=transfer.status)
    keys = [(ln.product_id, w) for ln in transfer.lines
            for w in (transfer.source_warehouse_id, transfer.dest_warehouse_id)]
    # Source and destination rows are locked together, so they are taken in the one global order.
    with stock_change(session, keys=keys, source=SOURCE, now=now, user_id=actor.staff_id) as change:
        try:
            change.require_available([((ln.product_id, transfer.source_warehouse_id), ln.quantity)
                                      for ln in transfer.lines])
        except InsufficientStock as exc:
            raise _shortage_error(transfer, exc) from exc
        for ln in transfer.lines:
            change.add(StockEffect(
                ln.product_id, transfer.source_warehouse_id, MovementKind.TRANSFER_OUT.value, -ln.quantity,
                occurred_at=now, event_id=f"{transfer.number}:out:{ln.id}", reference_type="transfer",
                reference_id=transfer.number,
            ))
            change.add(StockEffect(ln.product_id, transfer.dest_warehouse_id, in_transit_delta=ln.quantity))
            ln.shipped_quantity = ln.quantity
    transfer.status = TransferStatus.SHIPPED.value
    transfer.shipped_at = now
    record_audit(session, actor, "transfer.ship", "transfer", transfer.id, number=transfer.number)
    return transfer


def _shortage_error(transfer: Transfer, exc: InsufficientStock) -> InsufficientStockError:
    sku_of = {ln.product_id: ln.product.sku for ln in transfer.lines}
    shortages = [{"sku": sku_of[s.product_id], "requested": s.requested, "available": s.available}
                 for s in exc.shortages]
    detail = joined([N_("%(sku)s: %(requested)s requested, %(available)s available", sku=s["sku"],
                        requested=s["requested"], available=s["available"]) for s in shortages], ", ")
    return InsufficientStockError(N_("not enough available at the source (%(detail)s)", detail=detail),
                                  shortages=shortages)


def receive_transfer(
    session: Session, actor: Actor, *, transfer_id: int, receipts: Mapping[int, LineReceipt], now: dt.datetime
) -> Transfer:
    """Receive a shipped transfer. `receipts` maps line id → what arrived (every line required).

    0 ≤ received ≤ shipped; a difference needs a note (`ValidationFailed` names
    `lines-N-received` / `lines-N-note`). Destination: in transit −shipped, on hand +received.
    """
    transfer = get_transfer(session, transfer_id, for_update=True)
    if transfer.status != TransferStatus.SHIPPED:
        raise InvalidState(N_("transfer %(number)s is %(status)s; only a shipped transfer can be received",
                              number=transfer.number, status=word(str(transfer.status))),
                           status_now=transfer.status)
    errors = []
    for i, ln in enumerate(transfer.lines):
        got = receipts.get(ln.id)
        if got is None:
            errors.append({"field": f"lines-{i}-received", "message": N_("required")})
        elif not 0 <= got.received_quantity <= ln.shipped_quantity:
            errors.append({"field": f"lines-{i}-received",
                           "message": N_("must be between 0 and %(max)s", max=ln.shipped_quantity)})
        elif got.received_quantity != ln.shipped_quantity and not (got.note or "").strip():
            errors.append({"field": f"lines-{i}-note", "message": N_("explain the difference from the shipped quantity")})
    if errors:
        raise ValidationFailed(joined([e["message"] for e in errors], "; "), errors)
    effects = []
    discrepancies = {}
    for ln in transfer.lines:
        got = receipts[ln.id]
        ln.received_quantity = got.received_quantity
        if got.received_quantity != ln.shipped_quantity:
            ln.discrepancy_note = (got.note or "").strip()[:255]
            discrepancies[ln.product.sku] = {"shipped": ln.shipped_quantity, "received": got.received_quantity,
                                             "note": ln.discrepancy_note}
        effects.append(StockEffect(
            ln.product_id, transfer.dest_warehouse_id, MovementKind.TRANSFER_IN.value, ln.shipped_quantity,
            in_transit_delta=-ln.shipped_quantity, occurred_at=now, event_id=f"{transfer.number}:in:{ln.id}",
            reference_type="transfer", reference_id=transfer.number,
        ))
        lost = ln.shipped_quantity - got.received_quantity
        if lost:
            effects.append(StockEffect(
                ln.product_id, transfer.dest_warehouse_id, MovementKind.ADJUSTMENT.value, -lost, occurred_at=now,
                event_id=f"{transfer.number}:loss:{ln.id}", reference_type="transfer", reference_id=transfer.number,
                note=f"{TRANSIT_LOSS}: {ln.discrepancy_note}"[:255],
            ))
    post_stock_effects(session, effects, source=SOURCE, now=now, user_id=actor.staff_id)
    transfer.status = TransferStatus.RECEIVED.value
    transfer.received_at = now
    record_audit(session, actor, "transfer.receive", "transfer", transfer.id, number=transfer.number,
                 discrepancies=discrepancies)
    return transfer


def cancel_transfer(session: Session, actor: Actor, *, transfer_id: int) -> Transfer:
    """Cancel a draft (nothing has moved yet). Raises `InvalidState` otherwise."""
    transfer = get_transfer(session, transfer_id, for_update=True)
    if transfer.status != TransferStatus.DRAFT:
        raise InvalidState(N_("transfer %(number)s is %(status)s; only a draft can be cancelled",
                              number=transfer.number, status=word(str(transfer.status))),
                           status_now=transfer.status)
    transfer.status = TransferStatus.CANCELLED.value
    record_audit(session, actor, "transfer.cancel", "transfer", transfer.id, number=transfer.number)
    return transfer


@dataclass(frozen=True)
class TransferRow:
    id: int
    number: str
    status: str
    source_code: str
    dest_code: str
    line_count: int
    total_quantity: int
    created_at: dt.datetime
    shipped_at: dt.datetime | None
    received_at: dt.datetime | None


# The transfer list's sortable columns (the web layer's whitelist; the columns: `list_transfers`).
TRANSFER_SORT_KEYS = ("number", "status", "from", "to", "created", "shipped", "received")


def list_transfers(
    session: Session,
    *,
    status: str | None = None,
    warehouse_id: int | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int | None = 50,
    sort: Sort | None = None,
) -> Page[TransferRow]:
    """Transfers newest first (or by `sort`, a key of TRANSFER_SORT_KEYS), filtered (status
    "in_transit" = shipped, not yet received).

    Two queries whatever the number of rows; `per_page=None` returns every row (export).
    """
    src, dst = aliased(Warehouse), aliased(Warehouse)
    totals = (
        select(TransferLine.transfer_id, func.count().label("n"), func.sum(TransferLine.quantity).label("qty"))
        .group_by(TransferLine.transfer_id).subquery()
    )
    stmt = (
        select(Transfer.id, Transfer.number, Transfer.status, src.code, dst.code,
               func.coalesce(totals.c.n, 0), func.coalesce(totals.c.qty, 0),
               Transfer.created_at, Transfer.shipped_at, Transfer.received_at)
        .join(src, src.id == Transfer.source_warehouse_id)
        .join(dst, dst.id == Transfer.dest_warehouse_id)
        .outerjoin(totals, totals.c.transfer_id == Transfer.id)
    )
    if status == "in_transit":
        stmt = stmt.where(Transfer.status == TransferStatus.SHIPPED.value)
    elif status == "open":
        stmt = stmt.where(Transfer.status.in_([TransferStatus.DRAFT.value, TransferStatus.SHIPPED.value]))
    elif status:
        stmt = stmt.where(Transfer.status == status)
    if warehouse_id is not None:
        stmt = stmt.where((Transfer.source_warehouse_id == warehouse_id) | (Transfer.dest_warehouse_id == warehouse_id))
    if q:
        stmt = stmt.where(func.lower(Transfer.number).like(f"%{q.strip().lower()}%"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    columns = {"number": Transfer.number, "status": Transfer.status, "from": src.code, "to": dst.code,
               "created": Transfer.created_at, "shipped": Transfer.shipped_at, "received": Transfer.received_at}
    ordered: AnySelect = sorted_by(stmt, sort, columns, Transfer.id.desc())
    page = clamp_page(page)
    if per_page is not None:
        ordered = ordered.limit(per_page).offset((page - 1) * per_page)
    rows = [TransferRow(*r) for r in session.execute(ordered).all()]
    return Page(rows=rows, total=total, page=page, per_page=per_page or max(total, 1))


def resolve_products(session: Session, skus: Sequence[str]) -> dict[str, int]:
    """Map SKUs (case-sensitive, trimmed) to product ids; unknown SKUs are left out."""
    wanted = {s.strip() for s in skus if s and s.strip()}
    if not wanted:
        return {}
    return {sku: pid for sku, pid in session.execute(select(Product.sku, Product.id).where(Product.sku.in_(wanted)))}
