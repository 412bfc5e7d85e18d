"""Reading reservations back: one reservation with its lines and allocations, the allocations
of several, the products and overdue holds a new reservation touches. Unlocked reads, a
fixed number of statements."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, bindparam, select, true
from sqlalchemy.orm import Session, aliased

from app.catalog.models import Product
from app.db import UTCDateTime
from app.stock.models import Reservation, ReservationAllocation, ReservationLine, ReservationStatus, Warehouse
from app.stock.reservation_types import (
    Held,
    LineView,
    ReservationView,
    looks_like_id,
    merged_allocations,
    reservation_not_found,
)


def _products_and_overdue_statement() -> Select[Any]:
    held, other = aliased(ReservationLine), aliased(ReservationLine)
    overdue = (
        select(held.product_id.label("held"), other.reservation_id, other.product_id)
        .join(Reservation, Reservation.id == held.reservation_id)
        .join(other, other.reservation_id == Reservation.id)
        .where(Reservation.status == ReservationStatus.ACTIVE.value,
               Reservation.expires_at <= bindparam("now", type_=UTCDateTime()))
        .subquery()
    )
    return (select(Product.sku, Product.id, overdue.c.reservation_id, overdue.c.product_id)
            .outerjoin(overdue, overdue.c.held == Product.id)
            .where(Product.sku.in_(bindparam("skus", expanding=True))))


# Built once: constructing aliases per request costs more than running the query.
PRODUCTS_AND_OVERDUE = _products_and_overdue_statement()


def load_reservation(session: Session, reservation_id: str, owner: int | None) -> tuple[ReservationView, list[Held]]:
    """The reservation with its lines and allocations in one statement; `NotFound` if unknown
    or, when `owner` is given, created by another API client."""
    if not looks_like_id(reservation_id):
        raise reservation_not_found(reservation_id)
    mine = true() if owner is None else Reservation.api_client_id == owner
    rows = session.execute(
        select(Reservation.order_ref, Reservation.region, Reservation.status, Reservation.expires_at,
               Reservation.created_at, ReservationLine.id, Product.sku, ReservationLine.quantity,
               ReservationLine.product_id, ReservationAllocation.warehouse_id, Warehouse.code,
               ReservationAllocation.bucket, ReservationAllocation.quantity)
        .outerjoin(ReservationLine, ReservationLine.reservation_id == Reservation.id)
        .outerjoin(Product, Product.id == ReservationLine.product_id)
        .outerjoin(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .outerjoin(Warehouse, Warehouse.id == ReservationAllocation.warehouse_id)
        .where(Reservation.id == reservation_id, mine)
        .order_by(ReservationLine.id, ReservationAllocation.id)
    ).all()
    if not rows:
        raise reservation_not_found(reservation_id)
    lines: dict[int, tuple[str, int, list[tuple[str, int]]]] = {}
    held: list[Held] = []
    for *_head, line_id, sku, qty, pid, wid, code, bucket, alloc_qty in rows:
        if line_id is None:
            continue
        line = lines.setdefault(line_id, (sku, qty, []))
        if code is not None:
            line[2].append((code, alloc_qty))
            held.append((reservation_id, pid, wid, bucket, alloc_qty))
    order_ref, region, status, expires_at, created_at = rows[0][:5]
    views = [LineView(sku, qty, merged_allocations(pairs)) for sku, qty, pairs in lines.values()]
    return ReservationView(id=reservation_id, order_ref=order_ref, region=region, status=status,
                           expires_at=expires_at, created_at=created_at, lines=views), held


def get_reservation(session: Session, reservation_id: str, *, owner: int | None = None) -> ReservationView:
    """The reservation with its lines and allocations (1 query); `NotFound` if unknown or,
    with `owner` (the acting API client; None = any, for admins and staff), another's."""
    return load_reservation(session, reservation_id, owner)[0]


def allocations_of(session: Session, reservation_ids: Sequence[str]) -> list[Held]:
    """Every allocation of these reservations."""
    if not reservation_ids:
        return []
    rows = session.execute(
        select(ReservationLine.reservation_id, ReservationLine.product_id, ReservationAllocation.warehouse_id,
               ReservationAllocation.bucket, ReservationAllocation.quantity)
        .join(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .where(ReservationLine.reservation_id.in_(list(reservation_ids)))
    ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
