"""Documents wider than PostgreSQL's lock table (docs/concurrency.md rule 11).

The shared lock table is sized max_locks_per_transaction × backend slots (64 × 122 on the test
server, which holds ~12,800 locks when idle: the table grows into spare shared memory) for all
sessions together. A stock writer used to take one advisory lock per balance row it writes and
hold it to COMMIT, so one document of 16,000 balances failed with "out of shared memory" (and
could fail other sessions' lock requests while it held them). Now a
writer over `repository.ADVISORY_LOCK_LIMIT` rows holds the stock gate exclusively instead:
these tests send such documents through the real HTTP stack and the services, beside small
writers of the same balances.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from app.catalog.models import Product
from app.counts import service as counts
from app.db import utcnow
from app.stock import repository as repo
from app.stock.models import StockBalance
from app.stock.service import StockEffect, post_stock_effects
from tests.concurrency.conftest import assert_invariants
from tests.factories import TEST_ACTOR, make_api_client, make_warehouse

pytestmark = pytest.mark.postgres_only

WAREHOUSES = 16
PRODUCTS = 1000  # the API's batch limit: one reservation of 1,000 lines over 16 warehouses = 16,000 balances


def _seed(db: Session, *, products: int, warehouses: int, on_hand: int, prefix: str) -> list[int]:
    """`products` SKUs with `on_hand` in each of `warehouses` warehouses, in commits of ≤ 1,000 balances."""
    whs = [make_warehouse(db, kind="cloud").id for _ in range(warehouses)]
    db.execute(insert(Product), [{"sku": f"{prefix}-{i:05d}", "name": f"SKU {i}", "unit": "pcs", "pack_size": 1}
                                 for i in range(products)])
    pids = list(db.scalars(select(Product.id).where(Product.sku.like(f"{prefix}-%")).order_by(Product.id)))
    db.commit()
    keys = [(p, w) for p in pids for w in whs]
    for i in range(0, len(keys), 1000):
        post_stock_effects(db, [StockEffect(p, w, "receipt", on_hand) for p, w in keys[i:i + 1000]],
                           source="tests", now=utcnow())
        db.commit()
    return whs


def _http(token: str) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def _big_reservation(prefix: str, quantity: int) -> dict[str, Any]:
    return {"order_ref": f"BIG-{prefix}",
            "lines": [{"sku": f"{prefix}-{i:05d}", "quantity": quantity} for i in range(PRODUCTS)]}


def test_a_reservation_over_16000_balances_goes_through_while_small_ones_on_the_same_stock_do(
        live_url: str, db: Session) -> None:
    """1,000 lines whose SKUs are stocked in 16 warehouses: the fast path would lock 16,000 rows.
    Small reservations of the same SKUs race with it; all are served, none oversold."""
    _seed(db, products=PRODUCTS, warehouses=WAREHOUSES, on_hand=3, prefix="W")
    _c, token = make_api_client(db)
    db.commit()
    http = _http(token)
    small_clients = [_http(token) for _ in range(4)]

    def small(i: int) -> int:
        body = {"order_ref": f"S-{i}", "lines": [{"sku": f"W-{(i * 37) % PRODUCTS:05d}", "quantity": 2}]}
        return small_clients[i % 4].post(f"{live_url}/reservations", json=body, timeout=120).status_code

    with ThreadPoolExecutor(4) as pool:
        smalls = pool.map(small, range(40))
        # 20 units of each SKU: every line is served from the first warehouses, whatever the small ones took
        big = http.post(f"{live_url}/reservations", json=_big_reservation("W", 20), timeout=300)
        small_statuses = Counter(smalls)
    assert big.status_code == 201, big.text[:500]
    assert sum(a["quantity"] for ln in big.json()["lines"] for a in ln["allocations"]) == 20 * PRODUCTS
    assert small_statuses == {201: 40}
    # and closing it (its 1,000+ allocations' balances) goes through too
    done = http.post(f"{live_url}/reservations/{big.json()['id']}/commit", timeout=300)
    assert done.status_code == 200, done.text[:500]
    assert_invariants(db)


def test_a_full_count_of_16000_balances_is_approved_and_excludes_other_writers_until_commit(
        committed_app: Any, db: Session, live_url: str) -> None:
    """A year-end full count of a warehouse with 16,000 SKUs, approved in one transaction: a
    reservation of one of its SKUs waits for the count's COMMIT, then plans on the counted stock."""
    (wh,) = _seed(db, products=16000, warehouses=1, on_hand=5, prefix="C")
    _c, token = make_api_client(db)
    db.commit()
    count = counts.open_count(db, TEST_ACTOR, warehouse_id=wh, kind="full")
    counted = {ln.id: 4 for ln in count.lines}  # one unit short everywhere: 16,000 corrections
    counts.record_counts(db, TEST_ACTOR, count_id=count.id, counted=counted, submit=True, now=utcnow())
    db.commit()
    assert len(counted) == 16000
    sessions = committed_app.extensions["stockwise_db"].sessionmaker
    with sessions() as s:
        counts.approve_count(s, TEST_ACTOR, count_id=count.id, now=utcnow())
        # held, not committed: a reservation of a counted SKU must wait (5 units on the books, 4 counted)
        result: dict[str, Any] = {}

        def reserve() -> None:
            result["resp"] = _http(token).post(f"{live_url}/reservations", timeout=120, json={
                "order_ref": "AFTER-COUNT", "lines": [{"sku": "C-00042", "quantity": 5}]})

        waiter = threading.Thread(target=reserve)
        waiter.start()
        time.sleep(1.5)
        assert "resp" not in result, "a reservation went through while the count held the stock"
        s.commit()
    waiter.join(120)
    assert result["resp"].status_code == 409, result["resp"].text  # it planned on the 4 counted units
    assert result["resp"].json()["shortages"] == [{"sku": "C-00042", "requested": 5, "available": 4}]
    on_hand = db.scalar(select(func.sum(StockBalance.on_hand)).where(StockBalance.warehouse_id == wh))
    assert on_hand == 4 * 16000
    assert_invariants(db)


def test_wide_and_narrow_writers_of_the_same_balances_never_deadlock_or_lose_an_update(
        committed_app: Any, db: Session) -> None:
    """Receipts of every balance (over the limit: the gate) race with receipts of a few
    (per-balance locks, in random order of their lines) and with reservations through the
    one-statement functions; every unit is booked exactly once."""
    whs = _seed(db, products=repo.ADVISORY_LOCK_LIMIT // 2 + 10, warehouses=2, on_hand=0, prefix="R")
    pids = list(db.scalars(select(Product.id).where(Product.sku.like("R-%")).order_by(Product.id)))
    db.commit()
    keys = [(p, w) for p in pids for w in whs]
    assert len(keys) > repo.ADVISORY_LOCK_LIMIT
    sessions = committed_app.extensions["stockwise_db"].sessionmaker
    wide_runs, narrow_runs = 6, 60

    def wide(_i: int) -> None:
        with sessions() as s, s.begin():
            post_stock_effects(s, [StockEffect(p, w, "receipt", 1) for p, w in keys], source="tests", now=utcnow())

    def narrow(i: int) -> None:
        picked = [keys[(i * 7 + j * 131) % len(keys)] for j in range(5)]
        picked = list(dict.fromkeys(reversed(picked) if i % 2 else picked))
        with sessions() as s, s.begin():
            post_stock_effects(s, [StockEffect(p, w, "receipt", 1) for p, w in picked], source="tests", now=utcnow())
        return None

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(wide, i) for i in range(wide_runs)] + [pool.submit(narrow, i) for i in range(narrow_runs)]
        for f in futures:
            f.result(timeout=300)
    db.expire_all()
    total = db.scalar(select(func.sum(StockBalance.on_hand)).where(StockBalance.product_id.in_(pids)))
    assert total == wide_runs * len(keys) + narrow_runs * 5
    # and nothing of the gate or of a balance is left locked
    left = db.scalar(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid() "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
    assert left == 0
    assert_invariants(db)
