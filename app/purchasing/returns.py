"""Returns to supplier: ship (goods leave), then close (supplier credited / done).

Shipping takes `from_stock` lines off on hand as `supplier_return` movements through the
stock core; lines rejected at inspection never entered stock, so they move nothing.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.errors import InvalidState, NotFound
from app.purchasing.models import ReturnStatus, SupplierReturn
from app.stock.models import MovementKind
from app.stock.service import StockEffect, post_stock_effects


def _get(session: Session, number: str) -> SupplierReturn:
    ret = session.scalar(select(SupplierReturn).where(SupplierReturn.number == number).with_for_update())
    if ret is None:
        raise NotFound(f"supplier return {number} not found", number=number)
    return ret


def ship_return(session: Session, actor: Actor, *, number: str, now: dt.datetime) -> SupplierReturn:
    """open → shipped. Raises InvalidState if not open; StockRuleBroken if stock lines are no longer on hand."""
    ret = _get(session, number)
    if ret.status != ReturnStatus.OPEN.value:
        raise InvalidState(f"{ret.number} is {ret.status}; only an open return can be shipped", number=ret.number)
    effects = [
        StockEffect(ln.product_id, ret.warehouse_id, MovementKind.SUPPLIER_RETURN.value, -ln.quantity, occurred_at=now,
                    event_id=f"{ret.number}/{ln.id}", reference_type="supplier_return", reference_id=ret.number,
                    note=ln.reason)
        for ln in ret.lines if ln.from_stock
    ]
    post_stock_effects(session, effects, source="supplier_return", now=now,
                       user_id=actor.staff_id)
    ret.status, ret.shipped_at = ReturnStatus.SHIPPED.value, now
    record_audit(session, actor, "supplier_return.ship", "supplier_return", ret.number,
                 units_from_stock=sum(-e.quantity for e in effects))
    return ret


def close_return(session: Session, actor: Actor, *, number: str, now: dt.datetime) -> SupplierReturn:
    """shipped → closed."""
    ret = _get(session, number)
    if ret.status != ReturnStatus.SHIPPED.value:
        raise InvalidState(f"{ret.number} is {ret.status}; only a shipped return can be closed", number=ret.number)
    ret.status, ret.closed_at = ReturnStatus.CLOSED.value, now
    record_audit(session, actor, "supplier_return.close", "supplier_return", ret.number)
    return ret
