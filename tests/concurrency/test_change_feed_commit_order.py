"""The change-feed cursor is handed out in commit order (docs/architecture.md, "Change feed").

Two overlapping transactions: T1 writes a change first but commits last. An id-order
cursor (ids handed out at insert) skips T1's row; our `seq` cursor does not: it is handed
out by the statement that writes the change log, the last one before COMMIT, under the
feed counter's row lock, which is held until that COMMIT.
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
from app.stock.models import StockChange, StockMovement
from app.stock.reads import changes_after
from app.stock.repository import flush_changes
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_product, make_warehouse

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


def test_the_seq_cursor_never_skips_a_change_that_commits_later(committed_app: Any, engine: Engine) -> None:
    """T1 has taken its cursor (the statement commit runs first) but not committed: T2 cannot
    take one, let alone commit, until T1 commits; the reader sees T1 then T2."""
    maker = make_sessionmaker(engine)
    with maker() as db:
        wid, p1, p2 = _setup(db)
    t1, t2, reader = maker(), maker(), maker()
    post_stock_effects(t1, [StockEffect(p1, wid, "receipt", 5)], source="t1", now=utcnow())
    assert flush_changes(t1) == 1  # what t1.commit() does first: T1 now holds the feed counter
    t2_done = threading.Event()

    def second() -> None:
        post_stock_effects(t2, [StockEffect(p2, wid, "receipt", 7)], source="t2", now=utcnow())
        t2.commit()
        t2_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    # T2 cannot take a cursor (let alone commit) while T1 holds the feed counter.
    assert not t2_done.is_set()
    first_page = changes_after(reader, after=None, limit=100)
    reader.commit()
    assert first_page.changes == []
    t1.commit()
    thread.join(10)
    assert t2_done.is_set()
    rest = changes_after(reader, after=first_page.next_cursor, limit=100)
    by_product = {p1: "T1", p2: "T2"}
    assert [by_product[_product_of(reader, c.cursor)] for c in rest.changes] == ["T1", "T2"]  # commit order
    for s in (t1, t2, reader):
        s.close()


def test_a_writer_takes_its_cursor_at_commit_so_an_earlier_reader_still_sees_it(
    committed_app: Any, engine: Engine
) -> None:
    """T1 wrote its balance change first but commits last. Until its commit it holds no feed
    lock (T2 commits freely), and its cursor is handed out at commit, after the one a reader
    has already passed — so the reader, following the cursor, still gets it."""
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
    assert [_product_of(reader, c.cursor) for c in first_page.changes] == [p2]
    reader.commit()
    t1.commit()
    rest = changes_after(reader, after=first_page.next_cursor, limit=100)
    assert [_product_of(reader, c.cursor) for c in rest.changes] == [p1]
    assert rest.changes[0].cursor > first_page.next_cursor
    for s in (t1, t2, reader):
        s.close()
