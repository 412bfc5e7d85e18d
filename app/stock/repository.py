"""The only code that touches the stock tables (balances, ledger, change log).

Locking: balance rows are always locked in one global order, (product_id,
warehouse_id) ascending, with ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite serialises
whole transactions with BEGIN IMMEDIATE). Reservation rows are touched only after the
balances they affect are locked. The feed counter is locked last, just before commit.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.ledger import Key, Position
from app.stock.models import FeedCounter, StockBalance, StockChange, StockMovement

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


def lock_balances(session: Session, keys: Iterable[Key], *, create: bool = True) -> dict[Key, StockBalance]:
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
    out: dict[Key, StockBalance] = {}
    for chunk in _chunks(ordered):
        stmt = (
            select(StockBalance)
            .where(_key_filter(chunk))
            .order_by(StockBalance.product_id, StockBalance.warehouse_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for bal in session.scalars(stmt):
            out[(bal.product_id, bal.warehouse_id)] = bal
    return out


def lock_product_balances(session: Session, product_ids: Iterable[int]) -> dict[Key, StockBalance]:
    """Lock every existing balance row of these products, in the global order."""
    ids = sorted(set(product_ids))
    out: dict[Key, StockBalance] = {}
    for chunk in _chunks(ids):
        stmt = (
            select(StockBalance)
            .where(StockBalance.product_id.in_(list(chunk)))
            .order_by(StockBalance.product_id, StockBalance.warehouse_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        for bal in session.scalars(stmt):
            out[(bal.product_id, bal.warehouse_id)] = bal
    return out


def position_of(balance: StockBalance) -> Position:
    return Position(on_hand=balance.on_hand, reserved=balance.reserved, in_transit=balance.in_transit)


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


def write_balances(
    session: Session, balances: Mapping[Key, StockBalance], new_positions: Mapping[Key, Position]
) -> list[StockBalance]:
    """Store new positions on the locked rows; returns the rows that really changed."""
    now = utcnow()
    changed = []
    for key, pos in sorted(new_positions.items()):
        bal = balances[key]
        if (bal.on_hand, bal.reserved, bal.in_transit) == (pos.on_hand, pos.reserved, pos.in_transit):
            continue
        bal.on_hand, bal.reserved, bal.in_transit = pos.on_hand, pos.reserved, pos.in_transit
        bal.version += 1
        bal.updated_at = now
        changed.append(bal)
    session.flush()
    return changed


def publish_changes(session: Session, balances: Sequence[StockBalance]) -> None:
    """Append change-log rows for `balances`; call as the last write of the transaction.

    The cursor values come from the single feed-counter row; its row lock is held
    until commit, so cursors are handed out in commit order and a reader following
    `seq` upward can never skip a change that commits later with a smaller cursor.
    """
    if not balances:
        return
    n = len(balances)
    last = session.execute(
        update(FeedCounter).where(FeedCounter.id == 1).values(last_seq=FeedCounter.last_seq + n)
        .returning(FeedCounter.last_seq)
    ).scalar_one()
    first = last - n + 1
    now = utcnow()
    rows = [
        {"seq": first + i, "product_id": b.product_id, "warehouse_id": b.warehouse_id, "on_hand": b.on_hand,
         "reserved": b.reserved, "in_transit": b.in_transit, "at": now}
        for i, b in enumerate(sorted(balances, key=lambda b: (b.product_id, b.warehouse_id)))
    ]
    for chunk in _chunks(rows, 2000):
        session.execute(insert(StockChange), list(chunk))


def balances_for(session: Session, product_ids: Sequence[int], warehouse_id: int | None = None) -> list[StockBalance]:
    """Unlocked read of balances (for GET endpoints and pages)."""
    stmt = select(StockBalance).where(StockBalance.product_id.in_(list(product_ids)))
    if warehouse_id is not None:
        stmt = stmt.where(StockBalance.warehouse_id == warehouse_id)
    return list(session.scalars(stmt.order_by(StockBalance.product_id, StockBalance.warehouse_id)))

