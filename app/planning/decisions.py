"""A buyer's decisions on replenishment suggestions: edit quantities, approve, reject.

Approving turns the chosen suggestions, with their edited quantities, into DRAFT documents
in the caller's one transaction: one purchase order per (supplier, receiving warehouse)
and one transfer per route (source → destination). Draft documents change no stock; they
are sent / shipped from their own pages.

Written against the purchasing and transfer models directly (their services were not
available on this branch yet): ``_create_po`` and ``_create_transfer`` are the two places
to replace with ``app.purchasing.service`` / ``app.transfers.service`` calls.
"""
from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import N_, InvalidState, NotFound, ValidationFailed, word
from app.planning.models import ReplenishmentSuggestion, SuggestionKind, SuggestionStatus
from app.purchasing.models import PurchaseOrder, PurchaseOrderLine
from app.suppliers.models import SupplierPrice
from app.transfers.models import Transfer, TransferLine

MAX_QUANTITY = 10_000_000


@dataclass
class ApprovalResult:
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)


def _lock_open(session: Session, ids: Iterable[int]) -> list[ReplenishmentSuggestion]:
    """Lock the suggestions (id order) and check that all exist and are still open."""
    wanted = sorted(set(ids))
    if not wanted:
        raise ValidationFailed(N_("select at least one suggestion"),
                               errors=[{"field": "rows", "message": N_("none selected")}])
    found = list(session.scalars(
        select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.id.in_(wanted))
        .order_by(ReplenishmentSuggestion.id).with_for_update()
    ))
    missing = sorted(set(wanted) - {s.id for s in found})
    if missing:
        raise NotFound(N_("suggestion #%(id)s does not exist", id=missing[0]), suggestion_ids=missing)
    closed = [s for s in found if s.status != SuggestionStatus.OPEN.value]
    if closed:
        raise InvalidState(N_("suggestion #%(id)s is already %(status)s (reload the page)", id=closed[0].id,
                              status=word(closed[0].status)),
                           suggestion_id=closed[0].id, status=closed[0].status)
    return found


def _check_quantity(suggestion_id: int, quantity: int, *, allow_zero: bool) -> None:
    if quantity < (0 if allow_zero else 1) or quantity > MAX_QUANTITY:
        raise ValidationFailed(
            N_("quantity of suggestion #%(id)s must be between %(low)s and %(high)s", id=suggestion_id,
               low=0 if allow_zero else 1, high=MAX_QUANTITY),
            errors=[{"field": "quantity", "message": N_("out of range"), "suggestion_id": suggestion_id}])


def save_quantities(session: Session, actor: Actor, *, quantities: Mapping[int, int]) -> int:
    """Store edited quantities of open suggestions; return how many changed."""
    changed = 0
    for suggestion in _lock_open(session, quantities):
        new = quantities[suggestion.id]
        _check_quantity(suggestion.id, new, allow_zero=True)
        if new != suggestion.quantity:
            record_audit(session, actor, "suggestion.edit", "replenishment_suggestion", suggestion.id,
                         old=suggestion.quantity, new=new)
            suggestion.quantity = new
            changed += 1
    return changed


def reject_suggestions(session: Session, actor: Actor, *, ids: Iterable[int], reason: str, user_id: int | None,
                       now: dt.datetime) -> int:
    """Reject open suggestions with a reason (required); return how many."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(N_("a reason is required to reject"),
                               errors=[{"field": "reason", "message": N_("required")}])
    rows = _lock_open(session, ids)
    for suggestion in rows:
        suggestion.status = SuggestionStatus.REJECTED.value
        suggestion.reject_reason = reason[:255]
        suggestion.decided_by_id, suggestion.decided_at = user_id, now
        record_audit(session, actor, "suggestion.reject", "replenishment_suggestion", suggestion.id, reason=reason)
    return len(rows)


def approve_suggestions(session: Session, actor: Actor, *, quantities: Mapping[int, int], user_id: int | None,
                        now: dt.datetime) -> ApprovalResult:
    """Approve the open suggestions in ``quantities`` (id → approved quantity, >= 1).

    Creates one draft PO per (supplier, warehouse) and one draft transfer per route.

    Raises:
        ValidationFailed: nothing selected, a quantity out of range, a purchase without supplier.
        NotFound / InvalidState: an unknown suggestion, or one that is no longer open.
    """
    rows = _lock_open(session, quantities)
    purchases: dict[tuple[int, int], list[ReplenishmentSuggestion]] = {}
    routes: dict[tuple[int, int], list[ReplenishmentSuggestion]] = {}
    for suggestion in rows:
        _check_quantity(suggestion.id, quantities[suggestion.id], allow_zero=False)
        suggestion.quantity = quantities[suggestion.id]
        if suggestion.kind == SuggestionKind.PURCHASE.value:
            if suggestion.supplier_id is None:
                raise ValidationFailed(N_("suggestion #%(id)s has no supplier: add a price list first",
                                          id=suggestion.id),
                                       errors=[{"field": "rows", "message": N_("no supplier"),
                                                "suggestion_id": suggestion.id}])
            purchases.setdefault((suggestion.supplier_id, suggestion.warehouse_id), []).append(suggestion)
        else:
            assert suggestion.source_warehouse_id is not None  # a transfer always has its source
            routes.setdefault((suggestion.source_warehouse_id, suggestion.warehouse_id), []).append(suggestion)
    result = ApprovalResult()
    for (supplier_id, warehouse_id), group in sorted(purchases.items()):
        po = _create_po(session, actor, supplier_id=supplier_id, warehouse_id=warehouse_id, lines=group,
                        user_id=user_id, now=now)
        result.purchase_orders.append(po)
        _mark_approved(session, actor, group, user_id, now, purchase_order_id=po.id)
    for (source_id, dest_id), group in sorted(routes.items()):
        transfer = _create_transfer(session, actor, source_id=source_id, dest_id=dest_id, lines=group,
                                    user_id=user_id, now=now)
        result.transfers.append(transfer)
        _mark_approved(session, actor, group, user_id, now, transfer_id=transfer.id)
    return result


def _mark_approved(session: Session, actor: Actor, group: list[ReplenishmentSuggestion], user_id: int | None,
                   now: dt.datetime, **document: int) -> None:
    for suggestion in group:
        suggestion.status = SuggestionStatus.APPROVED.value
        suggestion.decided_by_id, suggestion.decided_at = user_id, now
        for name, value in document.items():
            setattr(suggestion, name, value)
        record_audit(session, actor, "suggestion.approve", "replenishment_suggestion", suggestion.id,
                     quantity=suggestion.quantity, suggested=suggestion.suggested_quantity, **document)


def next_number(session: Session, model: type[PurchaseOrder] | type[Transfer], prefix: str, year: int) -> str:
    """The next document number ``<prefix>-<year>-NNNNN`` (the seed's format).

    Serialised by a transaction-scoped advisory lock on PostgreSQL (BEGIN IMMEDIATE on SQLite).
    """
    head = f"{prefix}-{year}-"
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(head.encode())})
    last = session.scalar(select(func.max(model.number)).where(model.number.like(f"{head}%")))
    tail = last[len(head):] if last else "0"
    return f"{head}{(int(tail) if tail.isdigit() else 0) + 1:05d}"


def _price(session: Session, supplier_id: int, product_ids: list[int], today: dt.date) -> dict[int, SupplierPrice]:
    prices = session.scalars(
        select(SupplierPrice).where(SupplierPrice.supplier_id == supplier_id, SupplierPrice.product_id.in_(product_ids),
                                    SupplierPrice.valid_from <= today,
                                    or_(SupplierPrice.valid_to.is_(None), SupplierPrice.valid_to >= today))
        .order_by(SupplierPrice.is_preferred, SupplierPrice.valid_from)
    )
    return {p.product_id: p for p in prices}  # preferred and most recent win (ordered last)


def _create_po(session: Session, actor: Actor, *, supplier_id: int, warehouse_id: int,
               lines: list[ReplenishmentSuggestion], user_id: int | None, now: dt.datetime) -> PurchaseOrder:
    today = now.date()
    prices = _price(session, supplier_id, [s.product_id for s in lines], today)
    costs = dict(session.execute(select(Product.id, Product.unit_cost).where(
        Product.id.in_([s.product_id for s in lines]))).all())
    po = PurchaseOrder(number=next_number(session, PurchaseOrder, "PO", today.year), supplier_id=supplier_id,
                       warehouse_id=warehouse_id, created_by_id=user_id, created_at=now,
                       notes="from replenishment suggestions")
    for line_no, suggestion in enumerate(sorted(lines, key=lambda s: s.product_id), start=1):
        price = prices.get(suggestion.product_id)
        lead_days = price.lead_time_days if price else math.ceil(suggestion.lead_time_days)
        po.lines.append(PurchaseOrderLine(
            line_no=line_no, product_id=suggestion.product_id, quantity=suggestion.quantity,
            unit_price=price.unit_price if price else Decimal(costs.get(suggestion.product_id) or 0),
            promised_date=today + dt.timedelta(days=lead_days)))
    session.add(po)
    session.flush()
    record_audit(session, actor, "purchase_order.create_draft", "purchase_order", po.id, number=po.number,
                 supplier_id=supplier_id, lines=[(ln.product_id, ln.quantity) for ln in po.lines],
                 source="replenishment")
    return po


def _create_transfer(session: Session, actor: Actor, *, source_id: int, dest_id: int,
                     lines: list[ReplenishmentSuggestion], user_id: int | None, now: dt.datetime) -> Transfer:
    transfer = Transfer(number=next_number(session, Transfer, "TR", now.year), source_warehouse_id=source_id,
                        dest_warehouse_id=dest_id, created_by_id=user_id, created_at=now,
                        notes="from replenishment suggestions")
    for suggestion in sorted(lines, key=lambda s: s.product_id):
        transfer.lines.append(TransferLine(product_id=suggestion.product_id, quantity=suggestion.quantity))
    session.add(transfer)
    session.flush()
    record_audit(session, actor, "transfer.create_draft", "transfer", transfer.id, number=transfer.number,
                 lines=[(ln.product_id, ln.quantity) for ln in transfer.lines], source="replenishment")
    return transfer
