"""Recompute every balance from its sources of truth and report drift.

- on_hand    == sum of the balance's ledger movements
- reserved   == sum of active reservations' allocations
- in_transit == sum of shipped_quantity of transfer lines whose transfer is `shipped`,
                at the destination warehouse
A balance in hot-SKU mode is checked as the sum of its buckets, and each bucket's own
reserved against the active allocations held in it (field ``reserved[bucket n]``).
A fixed number of aggregate queries, whatever the size of the ledger.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.stock.ledger import Key
from app.stock.models import (
    Reservation,
    ReservationAllocation,
    ReservationLine,
    StockBalance,
    StockMovement,
    Warehouse,
)
from app.transfers.models import Transfer, TransferLine, TransferStatus


@dataclass(frozen=True)
class Drift:
    sku: str
    warehouse: str
    field: str
    stored: int
    expected: int


def verify_stock(session: Session) -> list[Drift]:
    """Every (SKU × warehouse, field) whose stored balance differs from its recomputation.

    The queries must see one snapshot, or a stock transaction committing between two of
    them (a live system; a statement finishing after its client died) shows as drift:
    on PostgreSQL a session not yet in a transaction starts a REPEATABLE READ one."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    stored: dict[Key, tuple[int, int, int]] = {}
    bucket_reserved: dict[tuple[int, int, int], int] = {}
    buckets: dict[Key, int] = defaultdict(int)
    for p, w, b, on_hand, res, transit in session.execute(select(
            StockBalance.product_id, StockBalance.warehouse_id, StockBalance.bucket, StockBalance.on_hand,
            StockBalance.reserved, StockBalance.in_transit)):
        total = stored.get((p, w), (0, 0, 0))
        stored[(p, w)] = (total[0] + on_hand, total[1] + res, total[2] + transit)
        bucket_reserved[(p, w, b)] = res
        buckets[(p, w)] += 1
    ledger: dict[Key, int] = {
        (p, w): int(q) for p, w, q in session.execute(
            select(StockMovement.product_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity))
            .group_by(StockMovement.product_id, StockMovement.warehouse_id))
    }
    held = reserved_by_active_bucket(session)
    reserved: dict[Key, int] = defaultdict(int)
    for (p, w, _b), q in held.items():
        reserved[(p, w)] += q
    in_transit: dict[Key, int] = defaultdict(int)
    for p, w, q in session.execute(
        select(TransferLine.product_id, Transfer.dest_warehouse_id, func.sum(TransferLine.shipped_quantity))
        .join(Transfer, Transfer.id == TransferLine.transfer_id)
        .where(Transfer.status == TransferStatus.SHIPPED.value)
        .group_by(TransferLine.product_id, Transfer.dest_warehouse_id)
    ):
        in_transit[(p, w)] += int(q or 0)
    skus = dict(session.execute(select(Product.id, Product.sku)).all())
    codes = dict(session.execute(select(Warehouse.id, Warehouse.code)).all())
    drift = []
    for key in sorted(set(stored) | set(ledger) | set(reserved) | {k for k, v in in_transit.items() if v}):
        on_hand, res, transit = stored.get(key, (0, 0, 0))
        for name, have, want in (("on_hand", on_hand, ledger.get(key, 0)), ("reserved", res, reserved.get(key, 0)),
                                 ("in_transit", transit, in_transit.get(key, 0))):
            if have != want:
                drift.append(Drift(skus.get(key[0], str(key[0])), codes.get(key[1], str(key[1])), name, have, want))
    for (p, w, b) in sorted(set(held) | {k for k in bucket_reserved if buckets[k[:2]] > 1}):
        have, want = bucket_reserved.get((p, w, b), 0), held.get((p, w, b), 0)
        if have != want:
            drift.append(Drift(skus.get(p, str(p)), codes.get(w, str(w)), f"reserved[bucket {b}]", have, want))
    return drift


def reserved_by_active_bucket(session: Session) -> dict[tuple[int, int, int], int]:
    """Sum of active reservations' allocations per (product, warehouse, bucket): what each
    balance row's `reserved` must be."""
    rows = session.execute(
        select(ReservationLine.product_id, ReservationAllocation.warehouse_id, ReservationAllocation.bucket,
               func.sum(ReservationAllocation.quantity))
        .join(ReservationAllocation, ReservationAllocation.line_id == ReservationLine.id)
        .join(Reservation, and_(Reservation.id == ReservationLine.reservation_id, Reservation.status == "active"))
        .group_by(ReservationLine.product_id, ReservationAllocation.warehouse_id, ReservationAllocation.bucket)
    ).all()
    return {(p, w, b): int(q) for p, w, b, q in rows}
