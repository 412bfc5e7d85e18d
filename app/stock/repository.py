"""The only code that touches the stock tables (balances, ledger, change log).

Locking: balance rows are always locked in one global order, (product_id,
warehouse_id) ascending, with ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite serialises
whole transactions with BEGIN IMMEDIATE). A reservation's own new rows (reservation,
lines) are inserted before the balance lock — they lock nothing another transaction waits
for — and its allocations and status changes are written after it. No row is shared by all stock writers: the change log
takes its cursors from the transaction ids (`write_balances`, docs/concurrency.md).

The hot paths use Core statements and plain `BalanceRow`s, not ORM objects: no identity
map, no unit-of-work flush, one statement per step whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.db import UTCDateTime, utcnow
from app.stock.ledger import Key, Position, WarehouseRef
from app.stock.models import StockBalance, StockChange, StockMovement, Warehouse

# Keep IN-lists and VALUES lists well under SQLite's and psycopg's parameter limits.
CHUNK = 500


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    ins: Any = postgresql.insert(StockBalance) if dialect == "postgresql" else sqlite.insert(StockBalance)
    for chunk in _chunks(rows):
        session.execute(ins.values(list(chunk)).on_conflict_do_nothing(index_elements=["product_id", "warehouse_id"]))


def _key_filter(keys: Sequence[Key]) -> Any:
    return tuple_(StockBalance.product_id, StockBalance.warehouse_id).in_(list(keys))


@dataclass(frozen=True)
class BalanceRow:
    """A balance row as read (under lock) or written by this module: plain data, no ORM state."""

    id: int
    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    in_transit: int

    @property
    def key(self) -> Key:
        return (self.product_id, self.warehouse_id)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


_BALANCE_COLUMNS = (StockBalance.id, StockBalance.product_id, StockBalance.warehouse_id, StockBalance.on_hand,
                    StockBalance.reserved, StockBalance.in_transit)


def _locked_rows(session: Session, where: Any, *, join_warehouse: bool = False) -> list[Any]:
    """One ``SELECT … FOR UPDATE OF stock_balance`` in the global order (Core: no identity map).

    On PostgreSQL the per-balance advisory locks come first, in the same order: every
    stock writer takes them (the SQL functions too, `stock_lock_balances`), so a row is
    only ever written by a holder of its advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        keys = (select(StockBalance.product_id.label("p"), StockBalance.warehouse_id.label("w")).where(where)
                .order_by(StockBalance.product_id, StockBalance.warehouse_id).subquery())
        session.execute(select(func.count(func.pg_advisory_xact_lock(keys.c.p, keys.c.w))))
    columns: tuple[Any, ...] = _BALANCE_COLUMNS
    stmt = select(*columns)
    if join_warehouse:
        stmt = select(*columns, Warehouse.code, Warehouse.kind, Warehouse.region, Warehouse.is_active).join(
            Warehouse, Warehouse.id == StockBalance.warehouse_id)
    stmt = (stmt.where(where).order_by(StockBalance.product_id, StockBalance.warehouse_id)
            .with_for_update(of=StockBalance.__table__))
    return list(session.execute(stmt))


def lock_balances(session: Session, keys: Iterable[Key], *, create: bool = True) -> dict[Key, BalanceRow]:
    """Lock (creating if needed) the balance rows of `keys`, in the global order."""
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    if create:
        existing: set[Key] = set()
        for chunk in _chunks(ordered):
            existing.update(
                (p, w) for p, w in session.execute(
                    select(StockBalance.product_id, StockBalance.warehouse_id).where(_key_filter(chunk))
                )
            )
        missing = [k for k in ordered if k not in existing]
        if missing:
            now = utcnow()
            _insert_ignore(session, [
                {"product_id": p, "warehouse_id": w, "on_hand": 0, "reserved": 0, "in_transit": 0,
                 "version": 0, "updated_at": now}
                for p, w in missing
            ])
    out: dict[Key, BalanceRow] = {}
    for chunk in _chunks(ordered):
        for row in _locked_rows(session, _key_filter(chunk)):
            bal = BalanceRow(*row)
            out[bal.key] = bal
    return out


def lock_product_balances(session: Session, product_ids: Iterable[int]) -> dict[Key, BalanceRow]:
    """Lock every existing balance row of these products, in the global order."""
    return lock_product_stock(session, product_ids)[0]


def lock_product_stock(
    session: Session, product_ids: Iterable[int]
) -> tuple[dict[Key, BalanceRow], list[WarehouseRef]]:
    """Lock every existing balance row of these products in the global order (one statement
    per 500 products) and return them with the active warehouses they are in."""
    ids = sorted(set(product_ids))
    out: dict[Key, BalanceRow] = {}
    warehouses: dict[int, WarehouseRef] = {}
    for chunk in _chunks(ids):
        where = StockBalance.product_id.in_(list(chunk)) if len(chunk) > 1 else StockBalance.product_id == chunk[0]
        for row in _locked_rows(session, where, join_warehouse=True):
            bal = BalanceRow(*row[:6])
            out[bal.key] = bal
            code, kind, region, is_active = row[6:]
            if is_active:
                warehouses[bal.warehouse_id] = WarehouseRef(id=bal.warehouse_id, code=code, kind=kind, region=region)
    return out, list(warehouses.values())


def position_of(balance: BalanceRow | StockBalance) -> Position:
    return Position(on_hand=balance.on_hand, reserved=balance.reserved, in_transit=balance.in_transit)


def read_positions(session: Session, keys: Iterable[Key]) -> dict[Key, Position]:
    """Unlocked read of the positions of `keys` that have a balance row (for previews)."""
    ordered = sorted(set(keys))
    out: dict[Key, Position] = {}
    for chunk in _chunks(ordered):
        for row in session.execute(select(*_BALANCE_COLUMNS).where(_key_filter(chunk))):
            bal = BalanceRow(*row)
            out[bal.key] = position_of(bal)
    return out


def seen_event_ids(session: Session, source: str, event_ids: Sequence[str]) -> set[str]:
    seen: set[str] = set()
    for chunk in _chunks(list(event_ids)):
        seen.update(session.scalars(
            select(StockMovement.event_id).where(StockMovement.source == source, StockMovement.event_id.in_(list(chunk)))
        ))
    return seen


@dataclass(frozen=True)
class MovementRow:
    """A ledger line to append (already validated by the service)."""

    product_id: int
    warehouse_id: int
    kind: str
    quantity: int
    occurred_at: dt.datetime
    source: str
    event_id: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None
    note: str | None = None
    user_id: int | None = None


def append_movements(session: Session, rows: Sequence[MovementRow]) -> None:
    if not rows:
        return
    now = utcnow()
    payload = [
        {
            "product_id": r.product_id, "warehouse_id": r.warehouse_id, "kind": r.kind, "quantity": r.quantity,
            "occurred_at": r.occurred_at, "business_date": r.occurred_at.astimezone(dt.UTC).date(),
            "recorded_at": now, "source": r.source, "event_id": r.event_id, "reference_type": r.reference_type,
            "reference_id": r.reference_id, "note": r.note, "user_id": r.user_id,
        }
        for r in rows
    ]
    for chunk in _chunks(payload, 2000):
        session.execute(insert(StockMovement), list(chunk))


# A change's cursor: the xid of the writing sub-transaction × 2^20 + its ordinal (PostgreSQL).
CURSOR_SHIFT = 20
MAX_ROWS_PER_STATEMENT = 5000


def write_balances(
    session: Session, balances: Mapping[Key, BalanceRow], new_positions: Mapping[Key, Position]
) -> list[BalanceRow]:
    """Store new positions on the locked rows and write their change-log rows (which are the
    webhook outbox too); returns the rows that really changed. `version` goes up by one per
    changed row; ORM copies of these rows already loaded are expired.

    PostgreSQL: one ``UPDATE … FROM unnest(arrays) RETURNING xmin`` feeding the change-log
    INSERT, in a savepoint opened now that every lock is held. The savepoint's own xid
    (the new tuples' xmin) is the change's cursor: any later writer of the same balance
    waits for our commit and gets a larger xid, so a balance's changes are in commit order,
    and no row is shared by all writers. SQLite (writers serialised): cursor = max + 1.
    """
    changed = []
    for key, pos in sorted(new_positions.items()):
        bal = balances[key]
        if (bal.on_hand, bal.reserved, bal.in_transit) == (pos.on_hand, pos.reserved, pos.in_transit):
            continue
        changed.append(BalanceRow(bal.id, bal.product_id, bal.warehouse_id, pos.on_hand, pos.reserved,
                                  pos.in_transit))
    if not changed:
        return changed
    now = utcnow()
    table = cast(Table, StockBalance.__table__)
    if session.get_bind().dialect.name == "postgresql":
        for chunk in _chunks(changed, MAX_ROWS_PER_STATEMENT):
            with session.begin_nested():  # one sub-transaction (one xid) per statement
                session.execute(_WRITE_BALANCES_PG, {
                    "ids": [b.id for b in chunk], "on_hand": [b.on_hand for b in chunk],
                    "reserved": [b.reserved for b in chunk], "in_transit": [b.in_transit for b in chunk],
                    "now": now})
    else:
        stmt = (update(table).where(table.c.id == bindparam("b_id"))
                .values(on_hand=bindparam("b_on_hand"), reserved=bindparam("b_reserved"),
                        in_transit=bindparam("b_in_transit"), version=table.c.version + 1, updated_at=now))
        session.execute(stmt, [{"b_id": b.id, "b_on_hand": b.on_hand, "b_reserved": b.reserved,
                                "b_in_transit": b.in_transit} for b in changed])
        last = session.scalar(select(func.coalesce(func.max(StockChange.seq), 0))) or 0
        payload = [
            {"seq": last + i + 1, "product_id": r.product_id, "warehouse_id": r.warehouse_id, "on_hand": r.on_hand,
             "reserved": r.reserved, "in_transit": r.in_transit, "at": now}
            for i, r in enumerate(changed)
        ]
        for part in _chunks(payload, 2000):
            session.execute(insert(StockChange), list(part))
    _expire_loaded(session, [b.id for b in changed])
    return changed


_WRITE_BALANCES_PG = text(
    "WITH v AS (SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:on_hand AS integer[]), "  # noqa: S608 (constant statement)
    "CAST(:reserved AS integer[]), CAST(:in_transit AS integer[])) AS v(id, on_hand, reserved, in_transit)), "
    "u AS (UPDATE stock_balance AS b SET on_hand = v.on_hand, reserved = v.reserved, in_transit = v.in_transit, "
    "version = b.version + 1, updated_at = :now FROM v WHERE b.id = v.id "
    "RETURNING b.xmin AS x, b.product_id, b.warehouse_id, b.on_hand, b.reserved, b.in_transit) "
    "INSERT INTO stock_change (seq, product_id, warehouse_id, on_hand, reserved, in_transit, at) "
    f"SELECT stock_feed_xid(u.x) * {1 << CURSOR_SHIFT} + row_number() OVER (ORDER BY u.product_id, u.warehouse_id), "
    "u.product_id, u.warehouse_id, u.on_hand, u.reserved, u.in_transit, :now FROM u"
).bindparams(bindparam("now", type_=UTCDateTime()))


def _expire_loaded(session: Session, balance_ids: Sequence[int]) -> None:
    for bid in balance_ids:
        loaded = session.identity_map.get(identity_key(StockBalance, bid))
        if loaded is not None:
            session.expire(loaded)
