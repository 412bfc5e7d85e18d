"""A buyer's decisions on replenishment suggestions: edit quantities, approve, reject.

Approving turns the chosen suggestions, with their edited quantities, into DRAFT documents
in the caller's one transaction: one purchase order per (supplier, receiving warehouse)
and one transfer per route (source → destination), created by the same services the
purchasing and transfer pages use (`create_purchase_order`, `create_transfer`), so their
line rules (MOQ, pack size, active SKU) and numbering apply. Draft documents change no
stock; they are sent / shipped from their own pages.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import N_, InvalidState, NotFound, ValidationFailed, word
from app.planning.models import ReplenishmentSuggestion, SuggestionKind, SuggestionStatus
from app.purchasing.models import PurchaseOrder
from app.purchasing.orders import POLineInput, create_purchase_order
from app.suppliers.service import find_valid_prices
from app.transfers.models import Transfer
from app.transfers.service import TransferLineInput, create_transfer

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
        ValidationFailed: nothing selected, a quantity out of range, a purchase without supplier,
            or a line the purchasing / transfer service refuses (below the MOQ, not a pack
            multiple, inactive SKU …) — the message names the SKU and the suggestion. The
            caller's transaction then rolls back: no document is written, nothing approved.
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
            assert suggestion.source_warehouse_id is not None  # noqa: S101 (narrowing: a transfer always has its source)
            routes.setdefault((suggestion.source_warehouse_id, suggestion.warehouse_id), []).append(suggestion)
    result = ApprovalResult()
    for (supplier_id, warehouse_id), group in sorted(purchases.items()):
        po = _create_po(session, actor, supplier_id=supplier_id, warehouse_id=warehouse_id, lines=group, now=now)
        result.purchase_orders.append(po)
        _mark_approved(session, actor, group, user_id, now, purchase_order_id=po.id)
    for (source_id, dest_id), group in sorted(routes.items()):
        transfer = _create_transfer(session, actor, source_id=source_id, dest_id=dest_id, lines=group, now=now)
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


NOTES = "from replenishment suggestions"
_LINE_FIELD = re.compile(r"lines-(\d+)-")


def _create_po(session: Session, actor: Actor, *, supplier_id: int, warehouse_id: int,
               lines: list[ReplenishmentSuggestion], now: dt.datetime) -> PurchaseOrder:
    """A draft PO through `create_purchase_order`: the supplier's price and lead time by default.

    A SKU the supplier has no valid price for today falls back to the product's unit cost
    and the suggestion's lead time (the service would otherwise ask for a price).
    """
    today = now.date()
    ordered = sorted(lines, key=lambda s: s.product_id)
    products = _products(session, ordered)
    priced = find_valid_prices(session, supplier_id=supplier_id, product_ids=list(products), on=today)
    inputs = []
    for index, suggestion in enumerate(ordered):
        product = products[suggestion.product_id]
        unit_price, promised = None, None
        if product.id not in priced:
            unit_price = Decimal(product.unit_cost or 0)
            promised = today + dt.timedelta(days=math.ceil(suggestion.lead_time_days))
        inputs.append(POLineInput(index, product.sku, suggestion.quantity, unit_price, promised))
    try:
        return create_purchase_order(session, actor, supplier_id=supplier_id, lines=inputs, today=today,
                                     warehouse_id=warehouse_id, notes=NOTES)
    except ValidationFailed as exc:
        raise _refused(exc, "purchase order", ordered, products) from exc


def _create_transfer(session: Session, actor: Actor, *, source_id: int, dest_id: int,
                     lines: list[ReplenishmentSuggestion], now: dt.datetime) -> Transfer:
    """A draft transfer through `create_transfer`."""
    ordered = sorted(lines, key=lambda s: s.product_id)
    inputs = [TransferLineInput(product_id=s.product_id, quantity=s.quantity) for s in ordered]
    try:
        return create_transfer(session, actor, source_warehouse_id=source_id, dest_warehouse_id=dest_id,
                               lines=inputs, notes=NOTES, today=now.date())
    except ValidationFailed as exc:
        raise _refused(exc, "transfer", ordered, _products(session, ordered)) from exc


def _products(session: Session, suggestions: Sequence[ReplenishmentSuggestion]) -> dict[int, Product]:
    ids = [s.product_id for s in suggestions]
    return {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(ids)))}


def _refused(exc: ValidationFailed, document: str, ordered: Sequence[ReplenishmentSuggestion],
             products: Mapping[int, Product]) -> ValidationFailed:
    """The service's refusal, re-addressed from its line numbers to SKUs and suggestions."""
    errors: list[dict[str, object]] = []
    for error in exc.data.get("errors", []):
        reason = str(error["message"]).split(": ", 1)[-1] if str(error["message"]).startswith("Line ") \
            else str(error["message"])
        match = _LINE_FIELD.match(str(error.get("field", "")))
        if match and int(match.group(1)) < len(ordered):
            suggestion = ordered[int(match.group(1))]
            sku = products[suggestion.product_id].sku if suggestion.product_id in products else "?"
            errors.append({"field": "rows", "message": f"{sku} (suggestion #{suggestion.id}): {reason}",
                           "suggestion_id": suggestion.id, "sku": sku})
        else:
            errors.append({"field": "rows", "message": reason})
    detail = "; ".join(str(e["message"]) for e in errors) or exc.detail
    return ValidationFailed(f"the draft {document} was refused, nothing was approved: {detail}", errors=errors)
