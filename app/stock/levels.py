"""Read models of the stock API: levels, availability and the change feed.
(The stock overview page's reads: `overview.py`.)

Unlocked reads; each function issues a fixed number of queries whatever the row count.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, func, select, text
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.errors import NotFound
from app.stock.ledger import WarehouseRef, allocation_order
from app.stock.models import StockBalance, StockChange, Warehouse
from app.stock.repository import CURSOR_SHIFT


@dataclass(frozen=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    in_transit: int


@dataclass(frozen=True)
class WarehouseAvailability:
    warehouse: str
    available: int
    serves_region: bool


@dataclass(frozen=True)
class SkuAvailability:
    sku: str
    available: int
    warehouses: list[WarehouseAvailability]


@dataclass(frozen=True)
class ChangeRecord:
    cursor: int
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    at: dt.datetime


@dataclass(frozen=True)
class ChangePage:
    changes: list[ChangeRecord]
    next_cursor: int


def _products_by_sku(session: Session, skus: Sequence[str]) -> dict[str, int]:
    """Map SKU → product id; an unknown SKU is a `NotFound` naming it."""
    wanted = list(dict.fromkeys(skus))
    found = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(wanted))).all())
    missing = [s for s in wanted if s not in found]
    if missing:
        raise NotFound(f"unknown SKU {', '.join(missing)}", skus=missing,
                       errors=[{"field": "sku", "message": f"unknown SKU {s!r}"} for s in missing])
    return found


def stock_levels(session: Session, *, skus: Sequence[str], warehouse_code: str | None = None) -> list[StockLevel]:
    """One row per SKU × warehouse that has ever held the SKU (a balance row exists)."""
    products = _products_by_sku(session, skus)
    stmt = (
        select(Product.sku, Warehouse.code, StockBalance.on_hand, StockBalance.reserved, StockBalance.in_transit)
        .join(Product, Product.id == StockBalance.product_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(StockBalance.product_id.in_(list(products.values())))
        .order_by(Product.sku, Warehouse.code)
    )
    if warehouse_code is not None:
        if session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse_code)) is None:
            raise NotFound(f"unknown warehouse {warehouse_code}", warehouse=warehouse_code,
                           errors=[{"field": "warehouse", "message": f"unknown warehouse {warehouse_code!r}"}])
        stmt = stmt.where(Warehouse.code == warehouse_code)
    return [StockLevel(sku, code, on_hand, reserved, on_hand - reserved, in_transit)
            for sku, code, on_hand, reserved, in_transit in session.execute(stmt)]


def availability(session: Session, *, skus: Sequence[str], region: str | None = None) -> list[SkuAvailability]:
    """Sellable quantity per SKU, total and per active warehouse, warehouses in allocation order
    (one query). A warehouse's available is never shown below zero (after a count below
    reserved). An unknown SKU is a `NotFound` naming it."""
    wanted = list(dict.fromkeys(skus))
    rows = session.execute(_AVAILABILITY, {"skus": wanted}).all()
    found: dict[str, list[tuple[WarehouseRef, int]]] = {}
    for sku, wid, code, kind, w_region, available in rows:
        held = found.setdefault(sku, [])
        if wid is not None:
            held.append((WarehouseRef(id=wid, code=code, kind=kind, region=w_region), max(available, 0)))
    missing = [s for s in wanted if s not in found]
    if missing:
        raise NotFound(f"unknown SKU {', '.join(missing)}", skus=missing,
                       errors=[{"field": "sku", "message": f"unknown SKU {s!r}"} for s in missing])
    out = []
    for sku in sorted(found, key=wanted.index):
        by_id = {w.id: a for w, a in found[sku]}
        order = allocation_order([w for w, _ in found[sku]], region)
        lines = [WarehouseAvailability(w.code, by_id[w.id], region is not None and w.kind == "forward"
                                       and w.region == region) for w in order]
        out.append(SkuAvailability(sku, sum(r.available for r in lines), lines))
    return out


_AVAILABILITY = (
    select(Product.sku, Warehouse.id, Warehouse.code, Warehouse.kind, Warehouse.region,
           StockBalance.on_hand - StockBalance.reserved)
    .select_from(Product)
    .outerjoin(StockBalance, StockBalance.product_id == Product.id)
    .outerjoin(Warehouse, (Warehouse.id == StockBalance.warehouse_id) & Warehouse.is_active.is_(True))
    .where(Product.sku.in_(bindparam("skus", expanding=True)))
)


_BELOW_HORIZON = text(
    "(stock_change.seq < stock_feed_horizon() "
    f"OR pg_xact_status(((stock_change.seq >> {CURSOR_SHIFT})::text)::xid8) = 'in progress')")


def _below_horizon(session: Session) -> ColumnElement[bool] | None:
    """PostgreSQL: the rows a follower may be given now — cursors below the feed horizon
    (every transaction that could still commit a smaller cursor has finished) plus this
    transaction's own rows. None on SQLite, where writers are serialised and a committed
    row's cursor is always above every earlier one."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return _BELOW_HORIZON  # type: ignore[return-value]


def changes_after(session: Session, *, after: int | None, limit: int) -> ChangePage:
    """Balance changes with cursor > `after` (None = from the beginning), in commit order,
    never skipping one (docs/concurrency.md, "The change feed").

    `next_cursor` is the last cursor returned, or `after` (0 at the start) when there is
    nothing new, so a follower can always pass it back.
    """
    start = after or 0
    stmt = (
        select(StockChange.seq, Product.sku, Warehouse.code, StockChange.on_hand, StockChange.reserved, StockChange.at)
        .join(Product, Product.id == StockChange.product_id)
        .join(Warehouse, Warehouse.id == StockChange.warehouse_id)
        .where(StockChange.seq > start)
        .order_by(StockChange.seq)
        .limit(limit)
    )
    gate = _below_horizon(session)
    if gate is not None:
        stmt = stmt.where(gate)
    rows = session.execute(stmt).all()
    changes = [ChangeRecord(seq, sku, code, on_hand, reserved, on_hand - reserved, at)
               for seq, sku, code, on_hand, reserved, at in rows]
    return ChangePage(changes, changes[-1].cursor if changes else start)


def feed_position(session: Session) -> int:
    """A cursor at the current end of the feed (0 when empty): the last change a follower
    may be given now; every change not given yet is above it."""
    stmt = select(func.coalesce(func.max(StockChange.seq), 0))
    gate = _below_horizon(session)
    if gate is not None:
        stmt = stmt.where(gate)
    return int(session.scalar(stmt) or 0)


def changes_pending(session: Session, after: int) -> int:
    """How many changes a follower at cursor `after` has not been given yet (committed ones)."""
    return int(session.scalar(select(func.count()).select_from(StockChange).where(StockChange.seq > after)) or 0)


def list_warehouses(session: Session) -> list[Warehouse]:
    return list(session.scalars(select(Warehouse).where(Warehouse.is_active.is_(True)).order_by(Warehouse.code)))


def ids_for(session: Session, *, skus: Sequence[str], warehouse_codes: Sequence[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(SKU → product id, code → active warehouse id) for the known ones among those given."""
    products = dict(session.execute(
        select(Product.sku, Product.id).where(Product.sku.in_(sorted(set(skus))))).all())
    warehouses = dict(session.execute(
        select(Warehouse.code, Warehouse.id).where(Warehouse.code.in_(sorted(set(warehouse_codes))),
                                                  Warehouse.is_active.is_(True))).all())
    return products, warehouses
