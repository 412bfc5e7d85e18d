"""Read models of the stock API: levels, availability and the change feed.
(The stock overview page's reads: `overview.py`.)

Unlocked reads; each function issues a fixed number of queries whatever the row count.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, text, tuple_, union_all
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.db import one_statement
from app.errors import NotFound
from app.stock.ledger import Key, WarehouseRef, allocation_order
from app.stock.models import StockBalance, StockChange, Warehouse
from app.stock.repository import CURSOR_SHIFT
from app.stock.totals import balance_totals


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
    totals = balance_totals(StockBalance.product_id.in_(list(products.values())))
    stmt = (
        select(Product.sku, Warehouse.code, totals.c.on_hand, totals.c.reserved, totals.c.in_transit)
        .join(Product, Product.id == totals.c.product_id)
        .join(Warehouse, Warehouse.id == totals.c.warehouse_id)
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
    return _availability_of(session.execute(_AVAILABILITY, {"skus": wanted}).all(), wanted, region)


def availability_in_one_statement(*, skus: Sequence[str], region: str | None = None) -> list[SkuAvailability]:
    """`availability` on PostgreSQL as one statement of its own (`app.db.one_statement`: no
    session, no transaction round trips) — the stock API's read path. The same query as
    `_AVAILABILITY`, written for psycopg (`tests/web/api` run both against each other)."""
    wanted = list(dict.fromkeys(skus))
    return _availability_of(one_statement(_AVAILABILITY_SQL, {"skus": wanted}), wanted, region)


def _availability_of(rows: Sequence[Any], wanted: list[str], region: str | None) -> list[SkuAvailability]:
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


_AVAILABILITY_SQL = (
    "SELECT product.sku, warehouse.id, warehouse.code, warehouse.kind, warehouse.region, stock_total.available "
    "FROM product LEFT OUTER JOIN ("
    " SELECT stock_balance.product_id, stock_balance.warehouse_id,"
    " sum(stock_balance.on_hand - stock_balance.reserved) AS available"
    " FROM stock_balance JOIN product ON product.id = stock_balance.product_id"
    " WHERE product.sku = ANY(%(skus)s::text[]) GROUP BY stock_balance.product_id, stock_balance.warehouse_id"
    ") AS stock_total ON stock_total.product_id = product.id "
    "LEFT OUTER JOIN warehouse ON warehouse.id = stock_total.warehouse_id AND warehouse.is_active IS true "
    "WHERE product.sku = ANY(%(skus)s::text[])")


def _availability_statement() -> Select[Any]:
    """One row per SKU × active warehouse (a balance's buckets summed), or one with NULLs
    for a SKU held nowhere."""
    buckets = (select(StockBalance.product_id, StockBalance.warehouse_id,
                      func.sum(StockBalance.on_hand - StockBalance.reserved).label("available"))
               .join(Product, Product.id == StockBalance.product_id)
               .where(Product.sku.in_(bindparam("skus", expanding=True)))
               .group_by(StockBalance.product_id, StockBalance.warehouse_id).subquery("stock_total"))
    return (select(Product.sku, Warehouse.id, Warehouse.code, Warehouse.kind, Warehouse.region, buckets.c.available)
            .select_from(Product)
            .outerjoin(buckets, buckets.c.product_id == Product.id)
            .outerjoin(Warehouse, (Warehouse.id == buckets.c.warehouse_id) & Warehouse.is_active.is_(True))
            .where(Product.sku.in_(bindparam("skus", expanding=True))))


_AVAILABILITY = _availability_statement()


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
    never skipping one (docs/concurrency.md, "The change feed"). A hot balance's record
    shows the sum of its buckets (`_bucket_sums`).

    `next_cursor` is the last cursor returned, or `after` (0 at the start) when there is
    nothing new, so a follower can always pass it back.
    """
    start = after or 0
    stmt = (
        select(StockChange.seq, Product.sku, Warehouse.code, StockChange.on_hand, StockChange.reserved, StockChange.at,
               StockChange.product_id, StockChange.warehouse_id, StockChange.buckets)
        .join(Product, Product.id == StockChange.product_id)
        .join(Warehouse, Warehouse.id == StockChange.warehouse_id)
        .where(StockChange.seq > start, StockChange.hidden.is_(False))
        .order_by(StockChange.seq)
        .limit(limit)
    )
    gate = _below_horizon(session)
    if gate is not None:
        stmt = stmt.where(gate)
    rows = session.execute(stmt).all()
    sums = _bucket_sums(session, [(seq, p, w, n) for seq, *_r, p, w, n in rows if n > 1])
    changes = []
    for seq, sku, code, on_hand, reserved, at, *_key in rows:
        on_hand, reserved = sums.get(seq, (on_hand, reserved))
        changes.append(ChangeRecord(seq, sku, code, on_hand, reserved, on_hand - reserved, at))
    return ChangePage(changes, changes[-1].cursor if changes else start)


def _bucket_sums(session: Session, records: Sequence[tuple[int, int, int, int]]) -> dict[int, tuple[int, int]]:
    """(on hand, reserved) of a bucketed balance at each of these records (seq, product,
    warehouse, buckets): the sum over its buckets 0 … buckets−1 of each one's latest row at
    or before the record. Every row below a record that a follower is given has committed
    (the feed horizon), so the sum is final. Two statements: each bucket's last row before
    the page, then the balances' rows within it."""
    if not records:
        return {}
    first: dict[Key, int] = {}
    width: dict[Key, int] = defaultdict(int)
    for seq, p, w, n in records:
        first[(p, w)] = min(first.get((p, w), seq), seq)
        width[(p, w)] = max(width[(p, w)], n)
    columns = (StockChange.seq, StockChange.product_id, StockChange.warehouse_id, StockChange.bucket,
               StockChange.on_hand, StockChange.reserved)
    before = [select(*columns).where(StockChange.product_id == p, StockChange.warehouse_id == w,
                                     StockChange.bucket == b, StockChange.seq < first[(p, w)])
              .order_by(StockChange.seq.desc()).limit(1).subquery() for (p, w) in first for b in range(width[(p, w)])]
    rows = list(session.execute(union_all(*[select(*sub.c) for sub in before])))
    rows += session.execute(select(*columns).where(
        tuple_(StockChange.product_id, StockChange.warehouse_id).in_(list(first)),
        StockChange.seq >= min(first.values()), StockChange.seq <= max(seq for seq, *_ in records)))
    wanted = {seq: n for seq, _p, _w, n in records}
    state: dict[Key, dict[int, tuple[int, int]]] = defaultdict(dict)
    out: dict[int, tuple[int, int]] = {}
    for seq, p, w, bucket, on_hand, reserved in sorted(rows, key=lambda r: r[0]):
        state[(p, w)][bucket] = (on_hand, reserved)
        if seq in wanted:
            held = [v for b, v in state[(p, w)].items() if b < wanted[seq]]
            out[seq] = (sum(v[0] for v in held), sum(v[1] for v in held))
    return out


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
    return int(session.scalar(select(func.count()).select_from(StockChange).where(
        StockChange.seq > after, StockChange.hidden.is_(False))) or 0)


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
