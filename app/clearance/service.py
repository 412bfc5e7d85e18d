"""Marking slow movers for clearance and closing the clearance (every step audited)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.clearance.models import Clearance, ClearanceAction, ClearanceStatus
from app.errors import N_, InvalidState, NotFound, ValidationFailed

# The business plans clearing slow movers three months ahead: the target a new clearance proposes.
DEFAULT_HORIZON_DAYS = 91


def default_target_date(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=DEFAULT_HORIZON_DAYS)


def mark_for_clearance(session: Session, actor: Actor, *, sku: str, action: str, target_date: dt.date,
                       today: dt.date, markdown_pct: int | None = None, note: str | None = None) -> Clearance:
    """Open a clearance for `sku`. A markdown needs its percentage (1–99); the target date may not
    be in the past.

    Raises:
        NotFound: no such SKU.
        ValidationFailed: bad action, missing markdown percentage, target date before `today`.
        InvalidState: the product already has an open clearance.
    """
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound(N_("SKU %(sku)s not found", sku=sku))
    errors = []
    if action not in {a.value for a in ClearanceAction}:
        errors.append({"field": "action", "message": N_("Choose how to clear the stock")})
    if action == ClearanceAction.MARKDOWN.value and not markdown_pct:
        errors.append({"field": "markdown_pct", "message": N_("A markdown needs its percentage")})
    if target_date < today:
        errors.append({"field": "target_date", "message": N_("The target date is in the past")})
    if errors:
        raise ValidationFailed(N_("The clearance was not saved: %(n)s error(s)", n=len(errors)), errors=errors)
    if session.scalar(select(Clearance.id).where(Clearance.product_id == product.id,
                                                Clearance.status == ClearanceStatus.OPEN.value)):
        raise InvalidState(N_("%(sku)s is already marked for clearance", sku=sku))
    row = Clearance(product_id=product.id, action=action, target_date=target_date,
                    markdown_pct=markdown_pct if action == ClearanceAction.MARKDOWN.value else None,
                    note=(note or "").strip() or None, status=ClearanceStatus.OPEN.value,
                    created_by_id=actor.id if actor.kind == "staff" else None)
    session.add(row)
    session.flush()
    record_audit(session, actor, "clearance.mark", "product", product.id, sku=sku, how=action,
                 target_date=target_date.isoformat(), markdown_pct=row.markdown_pct, note=row.note)
    return row


def close_clearance(session: Session, actor: Actor, *, clearance_id: int, outcome: str,
                    now: dt.datetime) -> Clearance:
    """Mark an open clearance done or cancelled.

    Raises:
        NotFound: no such clearance. ValidationFailed: another outcome. InvalidState: not open.
    """
    row = session.get(Clearance, clearance_id)
    if row is None:
        raise NotFound(N_("Clearance %(id)s not found", id=clearance_id))
    if outcome not in (ClearanceStatus.DONE.value, ClearanceStatus.CANCELLED.value):
        raise ValidationFailed(N_("Unknown outcome"))
    if row.status != ClearanceStatus.OPEN.value:
        raise InvalidState(N_("This clearance is already closed"))
    row.status, row.closed_at = outcome, now
    sku = session.scalar(select(Product.sku).where(Product.id == row.product_id))
    record_audit(session, actor, "clearance.close", "product", row.product_id, sku=sku,
                 status=outcome)
    return row


def open_clearances(session: Session, product_ids: Iterable[int] | None = None) -> dict[int, Clearance]:
    """Open clearances by product id (one query)."""
    q = select(Clearance).where(Clearance.status == ClearanceStatus.OPEN.value)
    if product_ids is not None:
        q = q.where(Clearance.product_id.in_(list(product_ids)))
    return {c.product_id: c for c in session.scalars(q)}
