"""Reservations: the order system's holds on stock — reserve, commit, release, expire.

Lock order (deadlock-free, see docs/concurrency.md): balance rows first — every bucket of
a hot balance — in the global order (product_id, warehouse_id, bucket) through the
repository, and only then reservation rows, which are never locked up front but changed
with conditional updates (``UPDATE reservation SET status=… WHERE id=… AND
status='active'``): the row count decides who wins when two requests close the same
reservation. The new reservation and its lines are inserted before the balance lock:
they lock nothing another transaction waits for.

Expiry: an active reservation past `expires_at` holds nothing any more. It is released
(status ``expired``) by the cron command, and also by any reservation touching the same
products before it plans, so expired holds never block a sale.

On PostgreSQL the API runs the same rules in one statement (`app.stock.reservations_sql`).
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.errors import ValidationFailed
from app.stock import repository as repo
from app.stock.ledger import (
    Allocation,
    BalanceChange,
    InsufficientStock,
    Key,
    LineRequest,
    WarehouseRef,
    allocation_order,
    apply_changes,
    plan_allocation,
    take_from_buckets,
)
from app.stock.models import MovementKind, Reservation, ReservationAllocation, ReservationLine, ReservationStatus
from app.stock.repository import BalanceRow
from app.stock.reservation_reads import PRODUCTS_AND_OVERDUE, allocations_of, get_reservation, load_reservation
from app.stock.reservation_types import (
    Held,
    LineView,
    ReservationNotActive,
    ReservationOutcome,
    ReservationView,
    ReserveLine,
    merged_allocations,
    shortage_error,
    unknown_sku_error,
)
from app.stock.service import StockEffect, post_stock_effects

__all__ = ["ReservationNotActive", "ReservationOutcome", "ReservationView", "ReserveLine", "commit_reservation",
           "expire_reservations", "get_reservation", "release_reservation", "reserve_stock"]

ACTIVE = ReservationStatus.ACTIVE.value
SOURCE = "reservation"
BucketTake = tuple[int, int, int]  # (warehouse id, bucket, quantity) of a planned line


@dataclass(frozen=True)
class _Request:
    """A reservation request resolved: its lines as product ids, and the overdue holds on them."""

    lines: Sequence[ReserveLine]
    products: dict[str, int]  # SKU → product id
    overdue: dict[str, set[int]]  # overdue reservation → all its products
    requests: list[LineRequest]


@dataclass(frozen=True)
class _Locked:
    """The balances a reservation holds locked, after the overdue holds on them were expired."""

    balances: dict[Key, BalanceRow]
    warehouses: list[WarehouseRef]
    expired: list[str]
    effects: list[StockEffect]  # of the expiries


def _resolve(session: Session, lines: Sequence[ReserveLine], now: dt.datetime) -> _Request:
    """Step 1 — SKUs → product ids and the overdue reservations holding any of them, in one
    statement (found through the (status, expires_at) index: cheap while the cron keeps up)."""
    if not lines:
        raise ValidationFailed("a reservation needs at least one line", [{"field": "lines", "message": "empty"}])
    products: dict[str, int] = {}
    overdue: dict[str, set[int]] = defaultdict(set)
    skus = sorted({line.sku for line in lines})
    for sku, pid, rid, other_pid in session.execute(PRODUCTS_AND_OVERDUE, {"skus": skus, "now": now}):
        products[sku] = pid
        if rid is not None and other_pid is not None:
            overdue[rid].add(other_pid)
    unknown = [i for i, line in enumerate(lines) if line.sku not in products]
    if unknown:
        raise unknown_sku_error(lines, unknown)
    if any(line.quantity <= 0 for line in lines):
        raise ValueError("a reservation line needs quantity > 0")
    return _Request(lines, products, dict(overdue), [LineRequest(products[line.sku], line.quantity) for line in lines])


def _insert_reservation(session: Session, request: _Request, *, reservation_id: str, order_ref: str,
                        region: str | None, expires_at: dt.datetime, now: dt.datetime,
                        api_client_id: int | None) -> list[int]:
    """Step 2 — the reservation and its lines (before any lock); returns the line ids in order."""
    session.execute(insert(Reservation).values(
        id=reservation_id, order_ref=order_ref, region=region, status=ACTIVE, expires_at=expires_at,
        created_at=now, api_client_id=api_client_id))
    rows = [{"reservation_id": reservation_id, "product_id": r.product_id, "quantity": r.quantity}
            for r in request.requests]
    if len(rows) == 1:  # one statement each on SQLite, one in all on PostgreSQL
        return [session.execute(insert(ReservationLine).values(rows[0]).returning(ReservationLine.id)).scalar_one()]
    result = session.execute(insert(ReservationLine).returning(ReservationLine.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _lock_and_expire(session: Session, request: _Request, now: dt.datetime) -> _Locked:
    """Step 3 — lock every balance (every bucket) of the requested products and of the
    overdue holds' products in one ordered call, then expire those holds."""
    involved = set(request.products.values()).union(*request.overdue.values())
    balances, warehouses = repo.lock_product_stock(session, involved)
    expired, effects = _expire_locked(session, sorted(request.overdue), now)
    return _Locked(balances, warehouses, expired, effects)


def _plan(request: _Request, locked: _Locked, region: str | None) -> list[list[BucketTake]]:
    """Step 4 (pure) — the allocation of every line, or `InsufficientStockError` naming each
    short SKU. Warehouses in allocation order; within a hot balance, buckets in order."""
    positions = {k: repo.position_of(b) for k, b in locked.balances.items()}
    positions.update(apply_changes(positions, [
        BalanceChange(e.product_id, e.warehouse_id, e.quantity, e.reserved_delta) for e in locked.effects]))
    wanted = {r.product_id for r in request.requests}
    active = {w.id for w in locked.warehouses}
    available = {k: p.available for k, p in positions.items() if k[0] in wanted and k[1] in active}
    try:
        plan = plan_allocation(request.requests, available, allocation_order(locked.warehouses, region))
    except InsufficientStock as exc:
        sku_of = {pid: sku for sku, pid in request.products.items()}
        raise shortage_error([{"sku": sku_of[s.product_id], "requested": s.requested, "available": s.available}
                              for s in exc.shortages]) from exc
    return _over_buckets(request.requests, plan, locked)


def _over_buckets(requests: Sequence[LineRequest], plan: Sequence[Sequence[Allocation]],
                  locked: _Locked) -> list[list[BucketTake]]:
    """The plan per bucket (`ledger.take_from_buckets`), the expiries' freed stock counted as free."""
    free: dict[tuple[int, int, int], int] = defaultdict(int)
    for bal in locked.balances.values():
        for part in bal.parts or (bal,):
            free[(part.product_id, part.warehouse_id, part.bucket)] += part.available
    for e in locked.effects:
        free[(e.product_id, e.warehouse_id, e.bucket or 0)] -= e.reserved_delta
    buckets = {k: [p.bucket for p in b.parts] if b.parts else [0] for k, b in locked.balances.items()}
    return take_from_buckets(requests, plan, free, buckets)


def reserve_stock(
    session: Session,
    actor: Actor,
    *,
    order_ref: str,
    lines: Sequence[ReserveLine],
    now: dt.datetime,
    ttl_seconds: int = 900,
    region: str | None = None,
    api_client_id: int | None = None,
) -> ReservationView:
    """Reserve every line or none. Allocation: forward warehouses serving `region`, then the
    cloud, then the other forwards; a line may be split across warehouses (and buckets).

    Raises `ValidationFailed` (unknown SKU, naming ``lines[i].sku``) or
    `InsufficientStockError` with ``shortages`` [{sku, requested, available}]; nothing is
    reserved then. Overdue reservations on the same products are expired first.

    Statements: products + overdue holds (1), the reservation and its lines (2, before
    any lock), the ordered balance lock (1), [expiry (2) only when something is overdue],
    allocations (1), balances and change log (1), the audit row (1).
    """
    request = _resolve(session, lines, now)
    reservation_id, expires_at = str(uuid.uuid4()), now + dt.timedelta(seconds=ttl_seconds)
    line_ids = _insert_reservation(session, request, reservation_id=reservation_id, order_ref=order_ref,
                                   region=region, expires_at=expires_at, now=now, api_client_id=api_client_id)
    locked = _lock_and_expire(session, request, now)
    plan = _plan(request, locked, region)
    session.execute(insert(ReservationAllocation), [  # step 5 — the allocations and their effects
        {"line_id": line_id, "warehouse_id": wid, "bucket": bucket, "quantity": qty}
        for line_id, takes in zip(line_ids, plan, strict=True) for wid, bucket, qty in takes])
    holds = [StockEffect(req.product_id, wid, reserved_delta=qty, bucket=bucket, reference_type="reservation",
                         reference_id=reservation_id)
             for req, takes in zip(request.requests, plan, strict=True) for wid, bucket, qty in takes]
    record_audit(session, actor, "reservation.create", "reservation", reservation_id, order_ref=order_ref,
                 lines=[(line.sku, line.quantity) for line in lines], expired=locked.expired or None)
    post_stock_effects(session, locked.effects + holds, source=SOURCE, now=now, locked=locked.balances)
    codes = {w.id: w.code for w in locked.warehouses}
    return ReservationView(
        id=reservation_id, order_ref=order_ref, region=region, status=ACTIVE, expires_at=expires_at, created_at=now,
        lines=[LineView(line.sku, line.quantity, merged_allocations((codes[wid], qty) for wid, _b, qty in takes))
               for line, takes in zip(lines, plan, strict=True)])


def _close_if_active(session: Session, reservation_ids: Sequence[str], status: str, now: dt.datetime) -> list[str]:
    """Conditionally move still-active reservations to `status`; returns the ids this call won."""
    if not reservation_ids:
        return []
    result = session.execute(
        update(Reservation)
        .where(Reservation.id.in_(list(reservation_ids)), Reservation.status == ACTIVE)
        .values(status=status, closed_at=now)
        .returning(Reservation.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result]


def _release_effects(allocations: Iterable[Held], *, ship: bool) -> list[StockEffect]:
    return [StockEffect(pid, wid, MovementKind.SHIPMENT.value if ship else None, -qty if ship else 0,
                        reserved_delta=-qty, bucket=bucket, reference_type="reservation", reference_id=rid)
            for rid, pid, wid, bucket, qty in allocations]


def _expire_locked(session: Session, reservation_ids: Sequence[str], now: dt.datetime) -> tuple[list[str], list[StockEffect]]:
    """Expire those of `reservation_ids` still active; their balances must already be locked."""
    won = _close_if_active(session, reservation_ids, ReservationStatus.EXPIRED.value, now)
    return won, _release_effects(allocations_of(session, won), ship=False)


def _close_one(session: Session, actor: Actor, reservation_id: str, *, commit: bool, now: dt.datetime,
               owner: int | None) -> ReservationOutcome:
    view, allocations = load_reservation(session, reservation_id, owner)
    if view.status != ACTIVE:
        raise ReservationNotActive(f"reservation {reservation_id} is {view.status}", status_now=view.status)
    balances = repo.lock_balances(session, [(p, w) for _r, p, w, _b, _q in allocations], create=False)
    if view.expires_at <= now:
        won, effects = _expire_locked(session, [reservation_id], now)
        if won:
            record_audit(session, actor, "reservation.expire", "reservation", reservation_id)
            post_stock_effects(session, effects, source=SOURCE, now=now, locked=balances)
            return ReservationOutcome(view.with_status(ReservationStatus.EXPIRED.value), ReservationNotActive(
                f"reservation {reservation_id} expired at {view.expires_at.isoformat()}", status_now="expired"),
                expired=[reservation_id])
    else:
        target = ReservationStatus.COMMITTED.value if commit else ReservationStatus.RELEASED.value
        if _close_if_active(session, [reservation_id], target, now):
            record_audit(session, actor, f"reservation.{'commit' if commit else 'release'}", "reservation",
                         reservation_id)
            post_stock_effects(session, _release_effects(allocations, ship=commit), source=SOURCE, now=now,
                               locked=balances)
            return ReservationOutcome(view.with_status(target))
    # Another transaction closed it between our read and our conditional update.
    status_now = session.scalar(select(Reservation.status).where(Reservation.id == reservation_id))
    raise ReservationNotActive(f"reservation {reservation_id} is {status_now}", status_now=status_now)


def commit_reservation(session: Session, actor: Actor, *, reservation_id: str, now: dt.datetime,
                       owner: int | None = None) -> ReservationOutcome:
    """Ship an active reservation: its allocations leave on hand as `shipment` movements
    referencing it (the demand history) and reserved drops by the same amounts.

    Raises `ReservationNotActive` if it is not active; if it is active but overdue it is
    expired instead and the outcome carries that error (commit, then raise it). With `owner`,
    another client's reservation is `NotFound`."""
    return _close_one(session, actor, reservation_id, commit=True, now=now, owner=owner)


def release_reservation(session: Session, actor: Actor, *, reservation_id: str, now: dt.datetime,
                        owner: int | None = None) -> ReservationOutcome:
    """Give an active reservation's stock back to available (status `released`); errors as commit."""
    return _close_one(session, actor, reservation_id, commit=False, now=now, owner=owner)


def expire_reservations(session: Session, actor: Actor, *, now: dt.datetime, limit: int = 5000) -> int:
    """Expire up to `limit` active reservations past their `expires_at`; returns how many.

    All products involved are locked in one ordered call before any reservation row changes.
    """
    ids = list(session.scalars(
        select(Reservation.id).where(Reservation.status == ACTIVE, Reservation.expires_at <= now)
        .order_by(Reservation.expires_at).limit(limit)
    ))
    if not ids:
        return 0
    product_ids = set(session.scalars(
        select(ReservationLine.product_id).where(ReservationLine.reservation_id.in_(ids)).distinct()
    ))
    balances = repo.lock_product_balances(session, product_ids)
    won, effects = _expire_locked(session, ids, now)
    if won:
        record_audit(session, actor, "reservation.expire", "reservation", None, count=len(won))
    post_stock_effects(session, effects, source=SOURCE, now=now, locked=balances)
    return len(won)
