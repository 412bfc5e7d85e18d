"""Reservations: the order system's holds on stock — reserve, commit, release, expire.

Lock order (deadlock-free, see docs/concurrency.md): balance rows first, in the global
order (product_id, warehouse_id) through the repository, and only then reservation rows,
which are never locked up front but changed with conditional updates
(``UPDATE reservation SET status=… WHERE id=… AND status='active'``): the row count
decides who wins when two requests close the same reservation. The feed counter is
taken last, by the change-log statement that runs just before COMMIT.

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
from typing import Any

from sqlalchemy import Select, and_, bindparam, insert, select, true, update
from sqlalchemy.orm import Session, aliased

from app.audit.service import Actor, record_audit
from app.catalog.models import Product
from app.db import UTCDateTime
from app.errors import N_, DomainError, InsufficientStockError, InvalidState, NotFound, ValidationFailed
from app.stock import repository as repo
from app.stock.ledger import (
    BalanceChange,
    InsufficientStock,
    Key,
    LineRequest,
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
    Warehouse,
)
from app.stock.repository import BalanceRow
from app.stock.service import StockEffect, post_stock_effects

ACTIVE = ReservationStatus.ACTIVE.value
SOURCE = "reservation"


class ReservationNotActive(InvalidState):
    """Commit or release of a reservation that is no longer active (nothing changed)."""

    code = "reservation-not-active"
    title = N_("Reservation is not active")


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


def unknown_sku_error(lines: Sequence[ReserveLine], indexes: Iterable[int]) -> ValidationFailed:
    """The 422 for reservation lines naming SKUs that do not exist (both paths)."""
    return ValidationFailed("unknown SKU in reservation lines", [
        {"field": f"lines[{i}].sku", "message": f"unknown SKU {lines[i].sku!r}"} for i in indexes])


def shortage_error(shortages: Sequence[dict[str, object]]) -> InsufficientStockError:
    """The 409 naming every short SKU: [{sku, requested, available}] (both paths)."""
    return InsufficientStockError(
        "not enough available stock for " + ", ".join(str(s["sku"]) for s in shortages), shortages=list(shortages))


def reservation_not_found(reservation_id: str) -> NotFound:
    return NotFound(f"reservation {reservation_id} not found", field="id")


def _products_and_overdue_statement() -> Select[Any]:
    held, other = aliased(ReservationLine), aliased(ReservationLine)
    overdue = (
        select(held.product_id.label("held"), other.reservation_id, other.product_id)
        .join(Reservation, Reservation.id == held.reservation_id)
        .join(other, other.reservation_id == Reservation.id)
        .where(Reservation.status == ACTIVE, Reservation.expires_at <= bindparam("now", type_=UTCDateTime()))
        .subquery()
    )
    return (select(Product.sku, Product.id, overdue.c.reservation_id, overdue.c.product_id)
            .outerjoin(overdue, overdue.c.held == Product.id)
            .where(Product.sku.in_(bindparam("skus", expanding=True))))


# Built once: constructing aliases per request costs more than running the query.
_PRODUCTS_AND_OVERDUE = _products_and_overdue_statement()


def _products_and_overdue(
    session: Session, skus: Sequence[str], now: dt.datetime
) -> tuple[dict[str, int], dict[str, set[int]]]:
    """(SKU → product id for the known SKUs, overdue reservations holding any of them → all
    their products), in one statement. Overdue = still active but past `expires_at`; found
    through the (status, expires_at) index, so this is cheap while the cron keeps up."""
    products: dict[str, int] = {}
    holding: dict[str, set[int]] = defaultdict(set)
    for sku, pid, rid, other_pid in session.execute(_PRODUCTS_AND_OVERDUE, {"skus": list(skus), "now": now}):
        products[sku] = pid
        if rid is not None:
            holding[rid].add(other_pid)
    return products, dict(holding)


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

    Statements: products + overdue holds (1), the reservation and its lines (2, before
    any lock), the ordered balance lock (1), [expiry (2) only when something is overdue],
    allocations (1), balances (1); the audit row and the change log follow at commit.
    """
    if not lines:
        raise ValidationFailed("a reservation needs at least one line", [{"field": "lines", "message": "empty"}])
    skus = sorted({line.sku for line in lines})
    products, overdue = _products_and_overdue(session, skus, now)
    unknown = [i for i, line in enumerate(lines) if line.sku not in products]
    if unknown:
        raise unknown_sku_error(lines, unknown)
    product_ids = {products[line.sku] for line in lines}
    requests = [LineRequest(products[line.sku], line.quantity) for line in lines]
    for req in requests:
        if req.quantity <= 0:
            raise ValueError("a reservation line needs quantity > 0")
    # The new rows lock nothing another transaction waits for, so they are written before
    # the balance lock: the hot rows are then held for fewer statements.
    reservation_id = str(uuid.uuid4())
    expires_at = now + dt.timedelta(seconds=ttl_seconds)
    session.execute(insert(Reservation).values(
        id=reservation_id, order_ref=order_ref, region=region, status=ACTIVE, expires_at=expires_at,
        created_at=now, api_client_id=api_client_id))
    line_ids = _insert_lines(session, reservation_id, requests)

    involved = set(product_ids).union(*overdue.values()) if overdue else set(product_ids)
    balances, warehouses = repo.lock_product_stock(session, involved)  # one ordered lock call
    expired, effects = _expire_locked(session, sorted(overdue), now)

    positions = {k: repo.position_of(b) for k, b in balances.items()}
    positions.update(apply_changes(positions, [
        BalanceChange(e.product_id, e.warehouse_id, e.quantity, e.reserved_delta) for e in effects
    ]))
    codes = {w.id: w.code for w in warehouses}
    available = {k: p.available for k, p in positions.items() if k[0] in product_ids and k[1] in codes}
    try:
        plan = plan_allocation(requests, available, allocation_order(warehouses, region))
    except InsufficientStock as exc:
        sku_of = {pid: sku for sku, pid in products.items()}
        raise shortage_error([
            {"sku": sku_of[s.product_id], "requested": s.requested, "available": s.available}
            for s in exc.shortages]) from exc

    session.execute(insert(ReservationAllocation), [
        {"line_id": line_id, "warehouse_id": a.warehouse_id, "quantity": a.quantity}
        for line_id, allocs in zip(line_ids, plan, strict=True) for a in allocs
    ])
    for req, allocs in zip(requests, plan, strict=True):
        for a in allocs:
            effects.append(StockEffect(req.product_id, a.warehouse_id, reserved_delta=a.quantity,
                                       reference_type="reservation", reference_id=reservation_id))
    record_audit(session, actor, "reservation.create", "reservation", reservation_id, order_ref=order_ref,
                 lines=[(line.sku, line.quantity) for line in lines], expired=expired or None)
    post_stock_effects(session, effects, source=SOURCE, now=now, locked=balances)
    return ReservationView(
        id=reservation_id, order_ref=order_ref, region=region, status=ACTIVE, expires_at=expires_at,
        created_at=now,
        lines=[
            LineView(line.sku, line.quantity, [AllocationView(codes[a.warehouse_id], a.quantity) for a in allocs])
            for line, allocs in zip(lines, plan, strict=True)
        ],
    )


def _insert_lines(session: Session, reservation_id: str, requests: Sequence[LineRequest]) -> list[int]:
    """Insert the lines in order; returns their ids in the same order (one statement each
    on SQLite, one in all on PostgreSQL)."""
    rows = [{"reservation_id": reservation_id, "product_id": r.product_id, "quantity": r.quantity} for r in requests]
    if len(rows) == 1:
        return [session.execute(insert(ReservationLine).values(rows[0]).returning(ReservationLine.id)).scalar_one()]
    result = session.execute(insert(ReservationLine).returning(ReservationLine.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


@dataclass(frozen=True)
class _Loaded:
    view: ReservationView
    allocations: list[tuple[str, int, int, int]]  # (reservation id, product id, warehouse id, quantity)


def _load(session: Session, reservation_id: str, owner: int | None) -> _Loaded:
    """The reservation, its lines and allocations in one statement; `NotFound` if unknown
    or, when `owner` is given, created by another API client."""
    if not looks_like_id(reservation_id):
        raise reservation_not_found(reservation_id)
    mine = true() if owner is None else Reservation.api_client_id == owner
    rows = session.execute(
        select(Reservation.order_ref, Reservation.region, Reservation.status, Reservation.expires_at,
               Reservation.created_at, ReservationLine.id, Product.sku, ReservationLine.quantity,
               ReservationLine.product_id, ReservationAllocation.warehouse_id, Warehouse.code,
               ReservationAllocation.quantity)
        .outerjoin(ReservationLine, ReservationLine.reservation_id == Reservation.id)
        .outerjoin(Product, Product.id == ReservationLine.product_id)
        .outerjoin(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .outerjoin(Warehouse, Warehouse.id == ReservationAllocation.warehouse_id)
        .where(Reservation.id == reservation_id, mine)
        .order_by(ReservationLine.id, ReservationAllocation.id)
    ).all()
    if not rows:
        raise reservation_not_found(reservation_id)
    lines: dict[int, LineView] = {}
    allocations = []
    for *_head, line_id, sku, qty, pid, wid, code, alloc_qty in rows:
        if line_id is None:
            continue
        view = lines.setdefault(line_id, LineView(sku, qty, []))
        if code is not None:
            view.allocations.append(AllocationView(code, alloc_qty))
            allocations.append((reservation_id, pid, wid, alloc_qty))
    order_ref, region, status, expires_at, created_at = rows[0][:5]
    return _Loaded(ReservationView(id=reservation_id, order_ref=order_ref, region=region, status=status,
                                   expires_at=expires_at, created_at=created_at, lines=list(lines.values())),
                   allocations)


def get_reservation(session: Session, reservation_id: str, *, owner: int | None = None) -> ReservationView:
    """The reservation with its lines and allocations (1 query); `NotFound` if unknown or,
    with `owner` (the acting API client; None = any, for admins and staff), another's."""
    return _load(session, reservation_id, owner).view


def looks_like_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError):
        return False
    return True


def _close_one(session: Session, actor: Actor, reservation_id: str, *, commit: bool, now: dt.datetime,
               owner: int | None) -> ReservationOutcome:
    loaded = _load(session, reservation_id, owner)
    view, allocations = loaded.view, loaded.allocations
    if view.status != ACTIVE:
        raise ReservationNotActive(f"reservation {reservation_id} is {view.status}", status_now=view.status)
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
    balances: dict[Key, BalanceRow] = repo.lock_product_balances(session, product_ids)
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
