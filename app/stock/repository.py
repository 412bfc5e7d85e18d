"""The only code that touches the stock tables (balances, ledger, change log).

Locking: balance rows are always locked in one global order, (product_id,
warehouse_id, bucket) ascending, with ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite serialises
whole transactions with BEGIN IMMEDIATE), behind the stock gate (`ADVISORY_LOCK_LIMIT`).
A reservation's own new rows (reservation, lines) are inserted before the balance lock — they
lock nothing another transaction waits for — and its allocations and status changes are
written after it. No row is shared by all stock writers: the change log takes its cursors
from the transaction ids (`write_balances`, docs/concurrency.md).

The hot paths use Core statements and plain `BalanceRow`s, not ORM objects: no identity
map, no unit-of-work flush, one statement per step whatever the number of rows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.db import UTCDateTime, utcnow
from app.stock.ledger import Key, Position, WarehouseRef, spread_on_hand
from app.stock.models import (
    MAX_BUCKETS,
    HotSku,
    ReservationAllocation,
    ReservationLine,
    StockBalance,
    StockChange,
    StockMovement,
    Warehouse,
)

# Keep IN-lists and VALUES lists well under SQLite's and psycopg's parameter limits.
CHUNK = 500


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    ins: Any = postgresql.insert(StockBalance) if dialect == "postgresql" else sqlite.insert(StockBalance)
    for chunk in _chunks(rows):
        session.execute(ins.values(list(chunk)).on_conflict_do_nothing(
            index_elements=["product_id", "warehouse_id", "bucket"]))


def _key_filter(keys: Sequence[Key]) -> Any:
    return tuple_(StockBalance.product_id, StockBalance.warehouse_id).in_(list(keys))


@dataclass(frozen=True)
class BalanceRow:
    """A balance as read (under lock) or written by this module: plain data, no ORM state.

    A bucketed balance (hot-SKU mode) is handed out as its total — `id` of bucket 0, the
    figures summed — with its bucket rows in `parts`; `bucket` is that of a single row."""

    id: int
    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    in_transit: int
    bucket: int = 0
    parts: tuple[BalanceRow, ...] = ()

    @property
    def key(self) -> Key:
        return (self.product_id, self.warehouse_id)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


_BALANCE_COLUMNS = (StockBalance.id, StockBalance.product_id, StockBalance.warehouse_id, StockBalance.on_hand,
                    StockBalance.reserved, StockBalance.in_transit, StockBalance.bucket)
# The advisory-lock key of a bucket is (product, stock_balance_key(…) = warehouse + bucket × 2^24),
# bucket 0's is (product, warehouse): migration 1601.

# PostgreSQL's lock table is shared by all sessions and bounded (max_locks_per_transaction ×
# backends), so a writer takes at most this many per-row advisory locks; a wider one holds the
# stock gate exclusively instead (`stock_gate`, migration 1710 — the same number there).
ADVISORY_LOCK_LIMIT = 1000


def _take_gate(session: Session, rows: int) -> bool:
    """Take the stock gate before locking `rows` balance rows (PostgreSQL): shared, and the
    caller takes its per-row advisory locks; or, for more than `ADVISORY_LOCK_LIMIT` rows,
    exclusive (True), and it takes none — no other stock writer runs until our COMMIT."""
    return bool(session.scalar(select(func.stock_gate(rows))))


def _locked_rows(session: Session, where: Any, *, join_warehouse: bool = False, wide: bool = False) -> list[Any]:
    """One ``SELECT … FOR UPDATE OF stock_balance`` in the global order (product, warehouse,
    bucket) — every bucket of the balances (Core: no identity map).

    On PostgreSQL the caller holds the stock gate (`_take_gate`). Unless it holds it
    exclusively (`wide`), the per-row advisory locks come first, in the same order: every
    narrow stock writer takes them (the SQL functions too, `stock_lock_balances`), so a row
    is only ever written by a holder of its advisory lock or of the whole gate."""
    order = (StockBalance.product_id, StockBalance.warehouse_id, StockBalance.bucket)
    if session.get_bind().dialect.name == "postgresql" and not wide:
        keys = (select(StockBalance.product_id.label("p"), func.stock_balance_key(
                    StockBalance.product_id, StockBalance.warehouse_id, StockBalance.bucket).label("w"))
                .where(where).order_by(*order).subquery())
        session.execute(select(func.count(func.pg_advisory_xact_lock(keys.c.p, keys.c.w))))
    columns: tuple[Any, ...] = _BALANCE_COLUMNS
    stmt = select(*columns)
    if join_warehouse:
        stmt = select(*columns, Warehouse.code, Warehouse.kind, Warehouse.region, Warehouse.is_active).join(
            Warehouse, Warehouse.id == StockBalance.warehouse_id)
    stmt = stmt.where(where).order_by(*order).with_for_update(of=StockBalance.__table__)
    return list(session.execute(stmt))


def _total(rows: Sequence[BalanceRow]) -> BalanceRow:
    """One balance from its rows: the row itself, or the sum of its buckets (rows in bucket order)."""
    if len(rows) == 1:
        return rows[0]
    first = rows[0]
    return BalanceRow(first.id, first.product_id, first.warehouse_id, sum(r.on_hand for r in rows),
                      sum(r.reserved for r in rows), sum(r.in_transit for r in rows), 0, tuple(rows))


def _grouped(rows: Iterable[BalanceRow]) -> dict[Key, BalanceRow]:
    by_key: dict[Key, list[BalanceRow]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    return {key: _total(parts) for key, parts in by_key.items()}


def _hot_buckets(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """Product id → bucket count of the hot SKUs among these."""
    ids = sorted(set(product_ids))
    return dict(session.execute(select(HotSku.product_id, HotSku.buckets).where(HotSku.product_id.in_(ids))).all())


def lock_balances(session: Session, keys: Iterable[Key], *, create: bool = True) -> dict[Key, BalanceRow]:
    """Lock (creating if needed) the balance rows of `keys` — every bucket — in the global order.
    A balance created for a hot SKU gets its buckets at once."""
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    wide = False
    if session.get_bind().dialect.name == "postgresql":
        # The gate before the missing rows are inserted: a wide writer's uncommitted new row
        # would otherwise make a narrow one (holding the gate shared) wait for it, and it for the gate.
        rows = len(ordered)
        if rows * MAX_BUCKETS > ADVISORY_LOCK_LIMIT:  # hot SKUs have several rows per balance
            hot = _hot_buckets(session, [p for p, _w in ordered])
            rows = sum(hot.get(p, 1) for p, _w in ordered)
        wide = _take_gate(session, rows)
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
            hot = _hot_buckets(session, [p for p, _w in missing])
            _insert_ignore(session, [
                {"product_id": p, "warehouse_id": w, "bucket": b, "on_hand": 0, "reserved": 0, "in_transit": 0,
                 "version": 0, "updated_at": now}
                for p, w in missing for b in range(hot.get(p, 1))
            ])
    out: dict[Key, BalanceRow] = {}
    for chunk in _chunks(ordered):
        out.update(_grouped(BalanceRow(*row) for row in _locked_rows(session, _key_filter(chunk), wide=wide)))
    return out


def lock_product_balances(session: Session, product_ids: Iterable[int]) -> dict[Key, BalanceRow]:
    """Lock every existing balance row of these products, in the global order."""
    return lock_product_stock(session, product_ids)[0]


def lock_product_stock(
    session: Session, product_ids: Iterable[int]
) -> tuple[dict[Key, BalanceRow], list[WarehouseRef]]:
    """Lock every existing balance row (every bucket) of these products in the global order
    (one statement per 500 products) and return them with the active warehouses they are in."""
    ids = sorted(set(product_ids))
    rows: list[BalanceRow] = []
    warehouses: dict[int, WarehouseRef] = {}
    wide = False
    if ids and session.get_bind().dialect.name == "postgresql":
        count = sum(session.scalar(select(func.count()).select_from(StockBalance)
                                   .where(StockBalance.product_id.in_(list(chunk)))) or 0 for chunk in _chunks(ids))
        wide = _take_gate(session, count)
    for chunk in _chunks(ids):
        where = StockBalance.product_id.in_(list(chunk)) if len(chunk) > 1 else StockBalance.product_id == chunk[0]
        for row in _locked_rows(session, where, join_warehouse=True, wide=wide):
            bal = BalanceRow(*row[:7])
            rows.append(bal)
            code, kind, region, is_active = row[7:]
            if is_active:
                warehouses[bal.warehouse_id] = WarehouseRef(id=bal.warehouse_id, code=code, kind=kind, region=region)
    return _grouped(rows), list(warehouses.values())


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
BucketKey = tuple[int, int, int]  # (product_id, warehouse_id, bucket)


def bucket_rows(balance: BalanceRow, position: Position, deltas: Mapping[int, tuple[int, int]]) -> list[BalanceRow]:
    """The rows to store for `balance` at its new total `position`. A balance of one row is
    `position` itself. A bucketed one: each bucket's reserved changes by its own delta
    (`deltas`: bucket → (on-hand, reserved) change, named by the reservation that holds
    stock there), then on hand is rebalanced over the buckets (`ledger.spread_on_hand`);
    in transit stays in bucket 0. Raises ValueError if the deltas do not add up to `position`."""
    if not balance.parts:
        return [replace(balance, on_hand=position.on_hand, reserved=position.reserved,
                        in_transit=position.in_transit)]
    reserved = [p.reserved + deltas.get(p.bucket, (0, 0))[1] for p in balance.parts]
    if sum(reserved) != position.reserved:
        raise ValueError(f"balance {balance.key}: reserved of a bucketed balance changes only bucket by bucket")
    on_hand = spread_on_hand(position.on_hand, reserved)
    return [replace(p, on_hand=o, reserved=r, in_transit=position.in_transit if p.bucket == 0 else 0)
            for p, o, r in zip(balance.parts, on_hand, reserved, strict=True)]


def write_balances(
    session: Session, balances: Mapping[Key, BalanceRow], new_positions: Mapping[Key, Position],
    bucket_deltas: Mapping[BucketKey, tuple[int, int]] | None = None,
) -> list[BalanceRow]:
    """Store new positions on the locked balances and write their change-log rows (which are the
    webhook outbox too); returns the balances that really changed (totals). A bucketed balance
    is stored bucket by bucket (`bucket_rows`: rebalanced). `version` goes up by one per
    changed row; ORM copies of these rows already loaded are expired.

    PostgreSQL: one ``UPDATE … FROM unnest(arrays) RETURNING xmin`` feeding the change-log
    INSERT, in a savepoint opened now that every lock is held. The savepoint's own xid
    (the new tuples' xmin) is the change's cursor: any later writer of the same row
    waits for our commit and gets a larger xid, so a row's changes are in commit order,
    and no row is shared by all writers. SQLite (writers serialised): cursor = max + 1.
    """
    by_key: dict[Key, dict[int, tuple[int, int]]] = {}
    for (p, w, b), delta in (bucket_deltas or {}).items():
        by_key.setdefault((p, w), {})[b] = delta
    changed: list[BalanceRow] = []
    writes: list[_Write] = []
    for key, pos in sorted(new_positions.items()):
        bal = balances[key]
        rows = bucket_rows(bal, pos, by_key.get(key, {}))
        before = bal.parts or (bal,)
        moved = [r for r, old in zip(rows, before, strict=True)
                 if (r.on_hand, r.reserved, r.in_transit) != (old.on_hand, old.reserved, old.in_transit)]
        if not moved:
            continue
        changed.append(_total(rows) if len(rows) > 1 else rows[0])
        writes.extend(_log_rows(moved, len(rows)))
    if writes:
        store_rows(session, writes)
    return changed


@dataclass(frozen=True)
class _Write:
    row: BalanceRow  # new figures
    buckets: int  # how many buckets the balance has after this write
    hidden: bool  # not the balance's record in the feed (another row of the same write is)


def _log_rows(rows: Sequence[BalanceRow], buckets: int) -> list[_Write]:
    """One balance's changed rows in log order (bucket descending): the last one — the
    lowest bucket written — is the feed's record of this write, the others are hidden."""
    ordered = sorted(rows, key=lambda r: -r.bucket)
    return [_Write(r, buckets, i < len(ordered) - 1) for i, r in enumerate(ordered)]


def store_rows(session: Session, writes: Sequence[_Write]) -> None:
    """UPDATE the rows to their new figures and append their change-log rows (see write_balances)."""
    now = utcnow()
    table = cast(Table, StockBalance.__table__)
    writes = sorted(writes, key=lambda x: (x.row.product_id, x.row.warehouse_id, -x.row.bucket))
    if session.get_bind().dialect.name == "postgresql":
        for chunk in _chunks(writes, MAX_ROWS_PER_STATEMENT):
            with session.begin_nested():  # one sub-transaction (one xid) per statement
                session.execute(_WRITE_BALANCES_PG, {
                    "ids": [x.row.id for x in chunk], "on_hand": [x.row.on_hand for x in chunk],
                    "reserved": [x.row.reserved for x in chunk], "in_transit": [x.row.in_transit for x in chunk],
                    "buckets": [x.buckets for x in chunk], "hidden": [x.hidden for x in chunk], "now": now})
    else:
        stmt = (update(table).where(table.c.id == bindparam("b_id"))
                .values(on_hand=bindparam("b_on_hand"), reserved=bindparam("b_reserved"),
                        in_transit=bindparam("b_in_transit"), version=table.c.version + 1, updated_at=now))
        session.execute(stmt, [{"b_id": x.row.id, "b_on_hand": x.row.on_hand, "b_reserved": x.row.reserved,
                                "b_in_transit": x.row.in_transit} for x in writes])
        last = session.scalar(select(func.coalesce(func.max(StockChange.seq), 0))) or 0
        payload = [
            {"seq": last + i + 1, "product_id": x.row.product_id, "warehouse_id": x.row.warehouse_id,
             "on_hand": x.row.on_hand, "reserved": x.row.reserved, "in_transit": x.row.in_transit, "at": now,
             "bucket": x.row.bucket, "buckets": x.buckets, "hidden": x.hidden}
            for i, x in enumerate(writes)
        ]
        for part in _chunks(payload, 2000):
            session.execute(insert(StockChange), list(part))
    _expire_loaded(session, [x.row.id for x in writes])


def resize_buckets(session: Session, balances: Mapping[Key, BalanceRow], buckets: int) -> None:
    """Give each of these locked balances exactly `buckets` rows (1 = an ordinary balance).
    New buckets start empty; a removed bucket's reserved moves to bucket 0 together with the
    allocations held in it; then on hand is rebalanced (`ledger.spread_on_hand`). The rows
    are logged hidden (the totals are unchanged, so the feed shows nothing) — removed ones at
    zero before they are deleted — so later records' bucket sums stay right."""
    writes: list[_Write] = []
    removed: list[int] = []
    for (p, w), bal in sorted(balances.items()):
        parts = list(bal.parts or (bal,))
        if len(parts) == buckets:
            continue
        if buckets > len(parts):
            session.execute(insert(StockBalance), [
                {"product_id": p, "warehouse_id": w, "bucket": b, "on_hand": 0, "reserved": 0, "in_transit": 0,
                 "version": 0, "updated_at": utcnow()} for b in range(len(parts), buckets)])
            parts += [BalanceRow(i, p, w, 0, 0, 0, b) for i, b in session.execute(
                select(StockBalance.id, StockBalance.bucket).where(
                    StockBalance.product_id == p, StockBalance.warehouse_id == w, StockBalance.bucket >= len(parts))
                .order_by(StockBalance.bucket))]
            keep, drop = parts, []
        else:
            keep, drop = parts[:buckets], parts[buckets:]
            session.execute(update(ReservationAllocation).where(
                ReservationAllocation.warehouse_id == w, ReservationAllocation.bucket >= buckets,
                ReservationAllocation.line_id.in_(select(ReservationLine.id).where(ReservationLine.product_id == p)),
            ).values(bucket=0).execution_options(synchronize_session=False))
        reserved = [x.reserved for x in keep]
        reserved[0] += sum(x.reserved for x in drop)
        on_hand = spread_on_hand(bal.on_hand, reserved)
        rows = [replace(x, on_hand=o, reserved=r, in_transit=bal.in_transit if x.bucket == 0 else 0)
                for x, o, r in zip(keep, on_hand, reserved, strict=True)]
        rows += [replace(x, on_hand=0, reserved=0, in_transit=0) for x in drop]
        moved = [r for r, old in zip(rows, keep + drop, strict=True)
                 if (r.on_hand, r.reserved, r.in_transit) != (old.on_hand, old.reserved, old.in_transit)]
        writes.extend(_Write(r, buckets, True) for r in moved)  # the totals did not change: no feed record
        removed.extend(x.id for x in drop)
    if writes:
        store_rows(session, writes)
    if removed:
        session.execute(delete(StockBalance).where(StockBalance.id.in_(removed)))


# The rows come ordered (product, warehouse, bucket descending): their ordinal is their position.
_WRITE_BALANCES_PG = text(
    "WITH v AS (SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:on_hand AS integer[]), "  # noqa: S608 (constant statement)
    "CAST(:reserved AS integer[]), CAST(:in_transit AS integer[]), CAST(:buckets AS integer[]), "
    "CAST(:hidden AS boolean[])) WITH ORDINALITY AS v(id, on_hand, reserved, in_transit, buckets, hidden, n)), "
    "u AS (UPDATE stock_balance AS b SET on_hand = v.on_hand, reserved = v.reserved, in_transit = v.in_transit, "
    "version = b.version + 1, updated_at = :now FROM v WHERE b.id = v.id "
    "RETURNING b.xmin AS x, b.product_id, b.warehouse_id, b.bucket, b.on_hand, b.reserved, b.in_transit, "
    "v.buckets, v.hidden, v.n) "
    "INSERT INTO stock_change (seq, product_id, warehouse_id, on_hand, reserved, in_transit, at, bucket, buckets, "
    "hidden) "
    f"SELECT stock_feed_xid(u.x) * {1 << CURSOR_SHIFT} + row_number() OVER (ORDER BY u.n), "
    "u.product_id, u.warehouse_id, u.on_hand, u.reserved, u.in_transit, :now, u.bucket, u.buckets, u.hidden FROM u"
).bindparams(bindparam("now", type_=UTCDateTime()))


def _expire_loaded(session: Session, balance_ids: Sequence[int]) -> None:
    for bid in balance_ids:
        loaded = session.identity_map.get(identity_key(StockBalance, bid))
        if loaded is not None:
            session.expire(loaded)
