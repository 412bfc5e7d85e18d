"""Hot-SKU mode in the stock core, on both databases: splitting and merging buckets keeps every
total, movements rebalance the buckets, `stock verify` checks each bucket, and (PostgreSQL)
the lock-wait scan marks a SKU whose balance has a queue."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.db import utcnow
from app.stock.buckets import hot_state, mark_hot_from_waits, sample_lock_waits, set_buckets
from app.stock.models import StockBalance
from app.stock.reservations import ReserveLine, release_reservation, reserve_stock
from app.stock.service import MovementInput, record_movements
from app.stock.verify import verify_stock
from tests.factories import TEST_ACTOR, make_product, make_warehouse, receive_stock


def _buckets(session: Session, product_id: int, warehouse_id: int) -> list[tuple[int, int, int]]:
    session.expire_all()
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(StockBalance.bucket, StockBalance.on_hand, StockBalance.reserved).where(
            StockBalance.product_id == product_id, StockBalance.warehouse_id == warehouse_id)
        .order_by(StockBalance.bucket))]


def test_movements_rebalance_the_buckets_and_holds_stay_where_they_were_taken(session: Session) -> None:
    cloud = make_warehouse(session, kind="cloud")
    p = make_product(session, sku="HOT-RB")
    receive_stock(session, p, cloud, 10)
    now = utcnow()
    set_buckets(session, TEST_ACTOR, sku="HOT-RB", buckets=4, now=now)
    assert _buckets(session, p.id, cloud.id) == [(0, 3, 0), (1, 3, 0), (2, 2, 0), (3, 2, 0)]
    held = reserve_stock(session, TEST_ACTOR, order_ref="o", lines=[ReserveLine("HOT-RB", 7)], now=now)
    rows = _buckets(session, p.id, cloud.id)
    assert sum(r[2] for r in rows) == 7 and sum(r[1] for r in rows) == 10
    assert verify_stock(session) == []
    record_movements(session, [MovementInput(p.id, cloud.id, "receipt", 9, now, event_id="r-9")], source="t", now=now)
    rows = _buckets(session, p.id, cloud.id)
    assert [o - r for _b, o, r in rows] == [3, 3, 3, 3]  # free stock shared evenly, each hold kept in its bucket
    record_movements(session, [MovementInput(p.id, cloud.id, "count", 5, now, event_id="c-5")], source="t", now=now)
    rows = _buckets(session, p.id, cloud.id)
    assert sum(r[1] for r in rows) == 5 and all(o <= r for _b, o, r in rows)  # below reserved: flagged, covered in turn
    assert verify_stock(session) == []
    release_reservation(session, TEST_ACTOR, reservation_id=held.id, now=now)
    assert sum(r[2] for r in _buckets(session, p.id, cloud.id)) == 0
    set_buckets(session, TEST_ACTOR, sku="HOT-RB", buckets=1, now=now)
    assert _buckets(session, p.id, cloud.id) == [(0, 5, 0)]
    assert hot_state(session, "HOT-RB").buckets == 1
    assert verify_stock(session) == []


def test_merging_buckets_moves_the_holds_to_bucket_zero(session: Session) -> None:
    cloud = make_warehouse(session, kind="cloud")
    p = make_product(session, sku="HOT-MG")
    receive_stock(session, p, cloud, 12)
    now = utcnow()
    set_buckets(session, TEST_ACTOR, sku="HOT-MG", buckets=3, now=now)
    for n in range(5):
        reserve_stock(session, TEST_ACTOR, order_ref=f"o{n}", lines=[ReserveLine("HOT-MG", 2)], now=now)
    set_buckets(session, TEST_ACTOR, sku="HOT-MG", buckets=2, now=now)
    assert [r[0] for r in _buckets(session, p.id, cloud.id)] == [0, 1]
    assert verify_stock(session) == []
    set_buckets(session, TEST_ACTOR, sku="HOT-MG", buckets=1, now=now)
    assert _buckets(session, p.id, cloud.id) == [(0, 12, 10)]
    assert verify_stock(session) == []


def test_stock_verify_names_a_bucket_whose_reserved_drifted(session: Session) -> None:
    cloud = make_warehouse(session, kind="cloud")
    p = make_product(session, sku="HOT-DR")
    receive_stock(session, p, cloud, 8)
    now = utcnow()
    set_buckets(session, TEST_ACTOR, sku="HOT-DR", buckets=2, now=now)
    reserve_stock(session, TEST_ACTOR, order_ref="o", lines=[ReserveLine("HOT-DR", 3)], now=now)
    assert verify_stock(session) == []
    bucket_of_hold = next(b for b, _o, r in _buckets(session, p.id, cloud.id) if r > 0)
    other = 1 - bucket_of_hold
    # Move one unit of reserved from one bucket to the other: the totals still agree, the buckets do not.
    session.execute(update(StockBalance).where(StockBalance.product_id == p.id, StockBalance.bucket == bucket_of_hold)
                    .values(reserved=StockBalance.reserved - 1))
    session.execute(update(StockBalance).where(StockBalance.product_id == p.id, StockBalance.bucket == other)
                    .values(reserved=StockBalance.reserved + 1))
    fields = sorted(d.field for d in verify_stock(session))
    assert fields == [f"reserved[bucket {b}]" for b in sorted((0, 1))]


@pytest.mark.postgres_only
def test_the_lock_wait_scan_marks_a_sku_whose_balance_has_a_queue(committed_app: object) -> None:
    engine = committed_app.extensions["stockwise_db"].engine  # type: ignore[attr-defined]
    maker = committed_app.extensions["stockwise_db"].sessionmaker  # type: ignore[attr-defined]
    with maker() as s:
        cloud = make_warehouse(s, kind="cloud")
        hot, calm = make_product(s, sku="SCAN-HOT"), make_product(s, sku="SCAN-CALM")
        receive_stock(s, hot, cloud, 10)
        receive_stock(s, calm, cloud, 10)
        s.commit()
        hot_id, calm_id, wid = hot.id, calm.id, cloud.id
    lock = text("SELECT pg_advisory_xact_lock(:p, :w)")
    holder = engine.connect()
    holder.execute(lock, {"p": hot_id, "w": wid})  # the hot balance is held, as by a long reservation
    waiting = [engine.connect() for _ in range(3)]
    threads = [threading.Thread(target=lambda c=c: (c.execute(lock, {"p": hot_id, "w": wid}), c.rollback()))
               for c in waiting]
    for t in threads:
        t.start()
    try:
        with maker() as s:
            deadline = time.monotonic() + 30
            while sample_lock_waits(s, samples=1).get((hot_id, wid), 0) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            waits = sample_lock_waits(s, samples=5, interval=0.01)
        assert waits.get((hot_id, wid)) == 3.0 and (calm_id, wid) not in waits
    finally:
        holder.rollback()
        holder.close()
        for t in threads:
            t.join(10)
        for c in waiting:
            c.close()
    with maker() as s:
        marked = mark_hot_from_waits(s, Actor.system("hot-scan"), waits, now=utcnow(), threshold=2.0, buckets=4)
        s.commit()
        assert [m.sku for m in marked] == ["SCAN-HOT"]
        state = hot_state(s, "SCAN-HOT")
        assert (state.buckets, state.source, state.waiters) == (4, "auto", 3.0)
        assert hot_state(s, "SCAN-CALM").buckets == 1
        assert mark_hot_from_waits(s, Actor.system("hot-scan"), waits, now=utcnow()) == []  # already hot
        assert verify_stock(s) == []
