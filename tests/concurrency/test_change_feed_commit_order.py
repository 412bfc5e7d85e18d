"""The change feed never skips a change, and writers share no row (docs/concurrency.md).

Two overlapping transactions: T1 writes a change first but commits last. An id-order
cursor (ids handed out at insert) skips T1's row. Ours does not: a change's cursor is the
xid of the sub-transaction that wrote it, and a follower is only given cursors below the
feed horizon (the oldest transaction of the database still running), so T2 is not made to
wait for T1 — the follower is: it gets T2's change only once T1 has finished, after T1's.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.db import make_sessionmaker, utcnow
from app.stock.buckets import set_buckets
from app.stock.levels import changes_after
from app.stock.models import StockChange, StockMovement
from app.stock.reservation_types import ReserveLine
from app.stock.reservations_sql import reserve_in_one_statement
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import TEST_ACTOR, make_api_client, make_product, make_warehouse, receive_stock

pytestmark = pytest.mark.postgres_only


def _setup(db: Session) -> tuple[int, int, int]:
    w = make_warehouse(db, kind="cloud")
    p1, p2 = make_product(db), make_product(db)
    db.commit()
    return w.id, p1.id, p2.id


def test_an_insert_order_id_cursor_would_skip_a_late_committer(committed_app: Any, engine: Engine) -> None:
    """The hazard we designed against, shown on the ledger's own auto-increment id."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        wid, p1, p2 = _setup(db)
    t1, t2, reader = maker(), maker(), maker()
    row = {"warehouse_id": wid, "kind": "receipt", "quantity": 1, "occurred_at": utcnow(),
           "business_date": utcnow().date(), "recorded_at": utcnow(), "source": "raw"}
    t1.execute(insert(StockMovement).values(product_id=p1, **row))  # id N, not committed
    t2.execute(insert(StockMovement).values(product_id=p2, **row))  # id N+1
    t2.commit()
    cursor = reader.scalar(select(func.max(StockMovement.id)))  # the reader sees N+1 and moves past it
    reader.commit()
    t1.commit()
    later = reader.scalars(select(StockMovement.product_id).where(StockMovement.id > cursor)).all()
    assert later == []  # T1's row (id N < cursor) is skipped for ever
    assert reader.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.product_id == p1)) == 1
    for s in (t1, t2, reader):
        s.close()


def _product_of(reader: Session, cursor: int) -> int:
    return reader.scalar(select(StockChange.product_id).where(StockChange.seq == cursor))  # type: ignore[return-value]


def test_the_cursor_never_skips_a_change_that_commits_later(committed_app: Any, engine: Engine) -> None:
    """T1 has written (its cursor is taken) but not committed. T2 writes and commits freely
    (no shared row to wait on); the follower is given neither while T1 is open, then both,
    T1's first (its cursor is smaller), each once."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        wid, p1, p2 = _setup(db)
    t1, t2, reader = maker(), maker(), maker()
    post_stock_effects(t1, [StockEffect(p1, wid, "receipt", 5)], source="t1", now=utcnow())
    t2_done = threading.Event()

    def second() -> None:
        post_stock_effects(t2, [StockEffect(p2, wid, "receipt", 7)], source="t2", now=utcnow())
        t2.commit()
        t2_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(10)
    assert t2_done.is_set()  # T2 did not wait for T1: writers share no row
    first_page = changes_after(reader, after=None, limit=100)
    reader.commit()
    assert first_page.changes == []  # T2's change is held back while T1, older, may still commit
    t1.commit()
    rest = changes_after(reader, after=first_page.next_cursor, limit=100)
    by_product = {p1: "T1", p2: "T2"}
    assert [by_product[_product_of(reader, c.cursor)] for c in rest.changes] == ["T1", "T2"]
    for s in (t1, t2, reader):
        s.close()


def test_a_writer_that_commits_last_is_still_seen_by_a_follower_that_read_in_between(
    committed_app: Any, engine: Engine
) -> None:
    """T1 wrote its balance change first but commits last; T2 commits in between and a
    follower reads in between. Following the cursor, the follower still gets T1's change,
    and T2's exactly once."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        wid, p1, p2 = _setup(db)
    t1, t2, reader = maker(), maker(), maker()
    post_stock_effects(t1, [StockEffect(p1, wid, "receipt", 5)], source="t1", now=utcnow())  # T1 wrote, open
    thread = threading.Thread(target=lambda: (
        post_stock_effects(t2, [StockEffect(p2, wid, "receipt", 7)], source="t2", now=utcnow()), t2.commit()))
    thread.start()
    thread.join(5)
    assert not thread.is_alive()  # not blocked by T1
    first_page = changes_after(reader, after=None, limit=100)
    reader.commit()
    t1.commit()
    rest = changes_after(reader, after=first_page.next_cursor, limit=100)
    seen = [_product_of(reader, c.cursor) for c in first_page.changes + rest.changes]
    assert sorted(seen) == sorted([p1, p2])  # both, each once: nothing skipped, nothing twice
    assert all(c.cursor > first_page.next_cursor for c in rest.changes)
    for s in (t1, t2, reader):
        s.close()


def test_a_balance_changed_by_a_waiting_older_transaction_is_listed_in_its_commit_order(
    committed_app: Any, engine: Engine
) -> None:
    """T_old gets its xid first (writes another balance), then waits for T_young's lock on
    the shared balance. T_young commits first, so the shared balance's changes must come
    in that order: the cursor is the xid of the savepoint that wrote the balance, taken
    after the lock, not the transaction's first xid."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        wid, shared, other = _setup(db)
    old, young, reader = maker(), maker(), maker()
    post_stock_effects(old, [StockEffect(other, wid, "receipt", 1)], source="old", now=utcnow())  # xid first
    post_stock_effects(young, [StockEffect(shared, wid, "receipt", 10)], source="young", now=utcnow())
    thread = threading.Thread(target=lambda: (
        post_stock_effects(old, [StockEffect(shared, wid, "receipt", 5)], source="old", now=utcnow()), old.commit()))
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # waiting for young's row lock
    young.commit()
    thread.join(10)
    page = changes_after(reader, after=None, limit=100)
    shared_figures = [c.on_hand for c in page.changes if _product_of(reader, c.cursor) == shared]
    assert shared_figures == [10, 15]  # young's change, then old's on top of it
    for s in (old, young, reader):
        s.close()


@pytest.mark.parametrize("hot", [False, True], ids=["plain", "hot-buckets"])
def test_concurrent_writers_and_a_follower_lose_no_change(committed_app: Any, engine: Engine, hot: bool) -> None:
    """8 writers × 25 receipts over 4 SKUs while a follower polls: the follower ends with
    every change exactly once, and each balance's figures in its own commit order (with
    hot-SKU mode on, the sums of the buckets every receipt rebalances)."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        w = make_warehouse(db, kind="cloud")
        made = [make_product(db) for _ in range(4)]
        for product in made if hot else []:
            set_buckets(db, TEST_ACTOR, sku=product.sku, buckets=4, now=utcnow())
        products = [product.id for product in made]
        db.commit()
        wid = w.id
    stop = threading.Event()
    got: list[tuple[int, int, int]] = []

    def follow() -> None:
        cursor = 0
        with maker() as r:
            while True:
                finished = stop.is_set()
                page = changes_after(r, after=cursor, limit=50)
                r.commit()
                got.extend((c.cursor, _product_of(r, c.cursor), c.on_hand) for c in page.changes)
                r.commit()
                cursor = page.next_cursor
                if finished and not page.changes:
                    return

    def write(n: int) -> None:
        with maker() as s:
            for i in range(25):
                pid = products[(n + i) % len(products)]
                post_stock_effects(s, [StockEffect(pid, wid, "receipt", 1)], source=f"w{n}", now=utcnow())
                s.commit()

    follower = threading.Thread(target=follow)
    follower.start()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in writers:
        t.start()
    for t in writers:
        t.join(60)
    stop.set()
    follower.join(60)
    assert len(got) == 200 and len({c for c, _, _ in got}) == 200
    for pid in products:
        assert [on_hand for _, p, on_hand in got if p == pid] == list(range(1, 51))


def test_one_statement_reservations_on_a_hot_sku_give_the_feed_every_total_in_order(
    committed_app: Any, engine: Engine
) -> None:
    """8 clients × 20 one-unit reservations (the SQL fast path, one bucket each) on one SKU in
    hot-SKU mode while a follower polls: the feed's reserved figure — the sum over the buckets —
    counts up 1, 2, … 160 with no gap, no repeat and no step back."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        w = make_warehouse(db, kind="cloud")
        product = make_product(db, sku="FEED-HOT")
        receive_stock(db, product, w, 1000)
        set_buckets(db, TEST_ACTOR, sku="FEED-HOT", buckets=8, now=utcnow())
        client_id = make_api_client(db)[0].id
        db.commit()
        start = changes_after(db, after=None, limit=1000).next_cursor
    stop = threading.Event()
    got: list[tuple[int, int]] = []

    def follow() -> None:
        cursor = start
        with maker() as r:
            while True:
                finished = stop.is_set()
                page = changes_after(r, after=cursor, limit=50)
                r.commit()
                got.extend((c.on_hand, c.reserved) for c in page.changes)
                cursor = page.next_cursor
                if finished and not page.changes:
                    return

    def reserve(n: int) -> None:
        with maker() as s:
            for i in range(20):
                result = reserve_in_one_statement(s, TEST_ACTOR, api_client_id=client_id, key=None, fingerprint=None,
                                                  order_ref=f"F{n}-{i}", lines=[ReserveLine("FEED-HOT", 1)],
                                                  now=utcnow())
                assert result.error is None and result.status == 201
                s.commit()

    follower = threading.Thread(target=follow)
    follower.start()
    clients = [threading.Thread(target=reserve, args=(n,)) for n in range(8)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(120)
    stop.set()
    follower.join(60)
    assert got == [(1000, n) for n in range(1, 161)]
