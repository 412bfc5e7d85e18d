"""Reservations: the order system's holds on stock — reserve, commit, release, expire.

Lock order (deadlock-free, see docs/concurrency.md): balance rows first, in the global
order (product_id, warehouse_id) through the repository, and only then reservation rows,
which are never locked up front but changed with conditional updates
(``UPDATE reservation SET status=… WHERE id=… AND status='active'``): the row count
decides who wins when two requests close the same reservation. The feed counter is
taken last, inside `post_stock_effects`.

Expiry: an active reservation past `expires_at` holds nothing any more. It is released
(status ``expired``) by the cron command, and also by any reservation touching the same
products before it plans, so expired holds never block a sale.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.errors import DomainError, InsufficientStockError, InvalidState, NotFound, ValidationFailed
from app.stock import repository as repo
from app.stock.ledger import (
    BalanceChange,
    InsufficientStock,
    Key,
    LineRequest,
    WarehouseRef,
    allocation_order,
    apply_changes,
    plan_allocation,
)
from app.stock.models import (
    MovementKind,
    Reservation,
    ReservationAllocation,
    ReservationLine,
    ReservationStatus,
    StockBalance,
    Warehouse,
)
from app.stock.service import StockEffect, post_stock_effects

ACTIVE = ReservationStatus.ACTIVE.value
SOURCE = "reservation"


class ReservationNotActive(InvalidState):
    """Commit or release of a reservation that is no longer active (nothing changed)."""

    code = "reservation-not-active"
    title = "Reservation is not active"


@dataclass(frozen=True)
class ReserveLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class AllocationView:
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class LineView:
    sku: str
    quantity: int
    allocations: list[AllocationView]


@dataclass(frozen=True)
class ReservationView:
    """A reservation as the API shows it (SKUs and warehouse codes, not ids)."""

    id: str
    order_ref: str
    region: str | None
    status: str
    expires_at: dt.datetime
    created_at: dt.datetime
    lines: list[LineView]


@dataclass
class ReservationOutcome:
    """What a commit/release did. `error` is set when the reservation turned out expired:
    the expiry is written (commit the transaction), then the caller raises `error`."""

    reservation: ReservationView
    error: DomainError | None = None
    expired: list[str] = field(default_factory=list)


def _active_warehouses(session: Session) -> list[WarehouseRef]:
    rows = session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.kind, Warehouse.region).where(Warehouse.is_active.is_(True))
    ).all()
    return [WarehouseRef(id=r.id, code=r.code, kind=r.kind, region=r.region) for r in rows]


def _overdue_holding(session: Session, product_ids: Iterable[int], now: dt.datetime) -> dict[str, set[int]]:
    """Active-but-overdue reservations holding any of `product_ids`, with all their products."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    overdue = (
        select(ReservationLine.reservation_id)
        .join(Reservation, Reservation.id == ReservationLine.reservation_id)
        .where(Reservation.status == ACTIVE, Reservation.expires_at <= now, ReservationLine.product_id.in_(ids))
    )
    out: dict[str, set[int]] = defaultdict(set)
    for rid, pid in session.execute(
        select(ReservationLine.reservation_id, ReservationLine.product_id).where(
            ReservationLine.reservation_id.in_(overdue)
        )
    ):
        out[rid].add(pid)
    return dict(out)


def _allocations_of(session: Session, reservation_ids: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(reservation id, product id, warehouse id, quantity) of every allocation."""
    if not reservation_ids:
        return []
    rows = session.execute(
        select(ReservationLine.reservation_id, ReservationLine.product_id, ReservationAllocation.warehouse_id,
               ReservationAllocation.quantity)
        .join(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .where(ReservationLine.reservation_id.in_(list(reservation_ids)))
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


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


def _release_effects(allocations: Iterable[tuple[str, int, int, int]], *, ship: bool) -> list[StockEffect]:
    effects = []
    for rid, pid, wid, qty in allocations:
        if ship:
            effects.append(StockEffect(pid, wid, MovementKind.SHIPMENT.value, -qty, reserved_delta=-qty,
                                       reference_type="reservation", reference_id=rid))
        else:
            effects.append(StockEffect(pid, wid, reserved_delta=-qty, reference_type="reservation", reference_id=rid))
    return effects


def _expire_locked(session: Session, reservation_ids: Sequence[str], now: dt.datetime) -> tuple[list[str], list[StockEffect]]:
    """Expire those of `reservation_ids` still active; their balances must already be locked."""
    won = _close_if_active(session, reservation_ids, ReservationStatus.EXPIRED.value, now)
    return won, _release_effects(_allocations_of(session, won), ship=False)


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
    cloud, then the other forwards; a line may be split across warehouses.

    Raises `ValidationFailed` (unknown SKU, naming ``lines[i].sku``) or
    `InsufficientStockError` with ``shortages`` [{sku, requested, available}]; nothing is
    reserved then. Overdue reservations on the same products are expired first.
    """
    if not lines:
        raise ValidationFailed("a reservation needs at least one line", [{"field": "lines", "message": "empty"}])
    skus = sorted({line.sku for line in lines})
    products = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus))).all())
    unknown = [
        {"field": f"lines[{i}].sku", "message": f"unknown SKU {line.sku!r}"}
        for i, line in enumerate(lines) if line.sku not in products
    ]
    if unknown:
        raise ValidationFailed("unknown SKU in reservation lines", unknown)
    product_ids = {products[line.sku] for line in lines}
    warehouses = _active_warehouses(session)
    codes = {w.id: w.code for w in warehouses}

    overdue = _overdue_holding(session, product_ids, now)
    involved = set(product_ids).union(*overdue.values()) if overdue else set(product_ids)
    balances = repo.lock_product_balances(session, involved)  # one ordered lock call
    expired, effects = _expire_locked(session, sorted(overdue), now)

    positions = {k: repo.position_of(b) for k, b in balances.items()}
    positions.update(apply_changes(positions, [
        BalanceChange(e.product_id, e.warehouse_id, e.quantity, e.reserved_delta) for e in effects
    ]))
    available = {k: p.available for k, p in positions.items() if k[0] in product_ids and k[1] in codes}
    requests = [LineRequest(products[line.sku], line.quantity) for line in lines]
    try:
        plan = plan_allocation(requests, available, allocation_order(warehouses, region))
    except InsufficientStock as exc:
        sku_of = {pid: sku for sku, pid in products.items()}
        shortages: list[dict[str, object]] = [
            {"sku": sku_of[s.product_id], "requested": s.requested, "available": s.available} for s in exc.shortages]
        raise InsufficientStockError(
            "not enough available stock for " + ", ".join(sku_of[s.product_id] for s in exc.shortages),
            shortages=shortages,
        ) from exc

    reservation = Reservation(
        id=str(uuid.uuid4()), order_ref=order_ref, region=region, status=ACTIVE,
        expires_at=now + dt.timedelta(seconds=ttl_seconds), created_at=now, api_client_id=api_client_id,
        lines=[
            ReservationLine(product_id=req.product_id, quantity=req.quantity, allocations=[
                ReservationAllocation(warehouse_id=a.warehouse_id, quantity=a.quantity) for a in allocs
            ])
            for req, allocs in zip(requests, plan, strict=True)
        ],
    )
    session.add(reservation)
    session.flush()
    for req, allocs in zip(requests, plan, strict=True):
        for a in allocs:
            effects.append(StockEffect(req.product_id, a.warehouse_id, reserved_delta=a.quantity,
                                       reference_type="reservation", reference_id=reservation.id))
    # Audit before the stock write: the feed counter (taken last) is then held only until commit.
    record_audit(session, actor, "reservation.create", "reservation", reservation.id, order_ref=order_ref,
                 lines=[(line.sku, line.quantity) for line in lines], expired=expired or None)
    post_stock_effects(session, effects, source=SOURCE, now=now, locked=balances)
    return ReservationView(
        id=reservation.id, order_ref=order_ref, region=region, status=ACTIVE, expires_at=reservation.expires_at,
        created_at=now,
        lines=[
            LineView(line.sku, line.quantity, [AllocationView(codes[a.warehouse_id], a.quantity) for a in allocs])
            for line, allocs in zip(lines, plan, strict=True)
        ],
    )


def get_reservation(session: Session, reservation_id: str) -> ReservationView:
    """The reservation with its lines and allocations (2 queries); `NotFound` if unknown."""
    res = session.get(Reservation, reservation_id) if _looks_like_id(reservation_id) else None
    if res is None:
        raise NotFound(f"reservation {reservation_id} not found", field="id")
    rows = session.execute(
        select(ReservationLine.id, Product.sku, ReservationLine.quantity, Warehouse.code, ReservationAllocation.quantity)
        .join(Product, Product.id == ReservationLine.product_id)
        .outerjoin(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .outerjoin(Warehouse, Warehouse.id == ReservationAllocation.warehouse_id)
        .where(ReservationLine.reservation_id == reservation_id)
        .order_by(ReservationLine.id, ReservationAllocation.id)
    ).all()
    lines: dict[int, LineView] = {}
    for line_id, sku, qty, code, alloc_qty in rows:
        view = lines.setdefault(line_id, LineView(sku, qty, []))
        if code is not None:
            view.allocations.append(AllocationView(code, alloc_qty))
    return ReservationView(id=res.id, order_ref=res.order_ref, region=res.region, status=res.status,
                           expires_at=res.expires_at, created_at=res.created_at, lines=list(lines.values()))


def _looks_like_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError):
        return False
    return True


def _close_one(session: Session, actor: Actor, reservation_id: str, *, commit: bool, now: dt.datetime) -> ReservationOutcome:
    view = get_reservation(session, reservation_id)
    if view.status != ACTIVE:
        raise ReservationNotActive(f"reservation {reservation_id} is {view.status}", status_now=view.status)
    allocations = _allocations_of(session, [reservation_id])
    balances = repo.lock_balances(session, [(p, w) for _r, p, w, _q in allocations], create=False)
    if view.expires_at <= now:
        won, effects = _expire_locked(session, [reservation_id], now)
        if won:
            record_audit(session, actor, "reservation.expire", "reservation", reservation_id)
            post_stock_effects(session, effects, source=SOURCE, now=now, locked=balances)
            expired = _with_status(view, ReservationStatus.EXPIRED.value)
            return ReservationOutcome(expired, ReservationNotActive(
                f"reservation {reservation_id} expired at {view.expires_at.isoformat()}", status_now="expired"),
                expired=[reservation_id])
    else:
        target = ReservationStatus.COMMITTED.value if commit else ReservationStatus.RELEASED.value
        if _close_if_active(session, [reservation_id], target, now):
            record_audit(session, actor, f"reservation.{'commit' if commit else 'release'}", "reservation",
                         reservation_id)
            post_stock_effects(session, _release_effects(allocations, ship=commit), source=SOURCE, now=now,
                               locked=balances)
            return ReservationOutcome(_with_status(view, target))
    # Another transaction closed it between our read and our conditional update.
    status_now = session.scalar(select(Reservation.status).where(Reservation.id == reservation_id))
    raise ReservationNotActive(f"reservation {reservation_id} is {status_now}", status_now=status_now)


def _with_status(view: ReservationView, status: str) -> ReservationView:
    return ReservationView(id=view.id, order_ref=view.order_ref, region=view.region, status=status,
                           expires_at=view.expires_at, created_at=view.created_at, lines=view.lines)


def commit_reservation(session: Session, actor: Actor, *, reservation_id: str, now: dt.datetime) -> ReservationOutcome:
    """Ship an active reservation: its allocations leave on hand as `shipment` movements
    referencing it (the demand history) and reserved drops by the same amounts.

    Raises `ReservationNotActive` if it is not active; if it is active but overdue it is
    expired instead and the outcome carries that error (commit, then raise it)."""
    return _close_one(session, actor, reservation_id, commit=True, now=now)


def release_reservation(session: Session, actor: Actor, *, reservation_id: str, now: dt.datetime) -> ReservationOutcome:
    """Give an active reservation's stock back to available (status `released`); errors as commit."""
    return _close_one(session, actor, reservation_id, commit=False, now=now)


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
    balances: dict[Key, StockBalance] = repo.lock_product_balances(session, product_ids)
    won, effects = _expire_locked(session, ids, now)
    if won:
        record_audit(session, actor, "reservation.expire", "reservation", None, count=len(won))
    post_stock_effects(session, effects, source=SOURCE, now=now, locked=balances)
    return len(won)


def reserved_by_active(session: Session) -> dict[Key, int]:
    """Sum of active reservations' allocations per (product, warehouse) — what `reserved` must be."""
    rows = session.execute(
        select(ReservationLine.product_id, ReservationAllocation.warehouse_id, ReservationAllocation.quantity)
        .join(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .join(Reservation, and_(Reservation.id == ReservationLine.reservation_id, Reservation.status == ACTIVE))
    ).all()
    out: dict[Key, int] = defaultdict(int)
    for pid, wid, qty in rows:
        out[(pid, wid)] += qty
    return dict(out)
