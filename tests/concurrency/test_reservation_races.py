"""Races through the real HTTP stack on PostgreSQL: no oversell, no deadlock, one reservation per key."""
from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.buckets import set_buckets
from app.stock.models import Reservation
from tests.concurrency.conftest import assert_invariants
from tests.factories import TEST_ACTOR, make_api_client, make_product, make_warehouse, receive_stock

pytestmark = pytest.mark.postgres_only


def _client(token: str) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    return http


@pytest.mark.parametrize("buckets", [1, 8], ids=["plain", "hot-8-buckets"])
def test_32_clients_race_for_100_units_and_exactly_100_reservations_win(live_url: str, db: Session,
                                                                       buckets: int) -> None:
    cloud = make_warehouse(db, kind="cloud")
    hot = make_product(db, sku="HOT-1")
    receive_stock(db, hot, cloud, 100)
    if buckets > 1:  # 100 units over 8 rows: the last units of every bucket are sold through the others
        set_buckets(db, TEST_ACTOR, sku="HOT-1", buckets=buckets, now=utcnow())
    _c, token = make_api_client(db)
    db.commit()
    clients = [_client(token) for _ in range(32)]

    def one(i: int) -> int:
        resp = clients[i % 32].post(f"{live_url}/reservations", timeout=60,
                                    json={"order_ref": f"SO-{i}", "lines": [{"sku": "HOT-1", "quantity": 1}]})
        if resp.status_code == 409:
            assert resp.json()["type"].endswith("/insufficient-stock")
        return resp.status_code

    with ThreadPoolExecutor(32) as pool:
        statuses = Counter(pool.map(one, range(300)))
    assert statuses == {201: 100, 409: 200}
    assert db.scalar(select(func.count()).select_from(Reservation)) == 100
    assert_invariants(db)


@pytest.mark.parametrize("hot", [False, True], ids=["plain", "some-hot"])
def test_multi_line_reservations_over_overlapping_skus_never_deadlock_or_oversell(live_url: str, db: Session,
                                                                                 hot: bool) -> None:
    cloud = make_warehouse(db, kind="cloud")
    north = make_warehouse(db, kind="forward", region="north")
    skus = []
    for i in range(5):
        p = make_product(db, sku=f"OVL-{i}")
        receive_stock(db, p, cloud, 20)
        receive_stock(db, p, north, 10)
        if hot and i % 2 == 0:  # hot and plain SKUs in one request: bucket try-locks among ordered locks
            set_buckets(db, TEST_ACTOR, sku=p.sku, buckets=4, now=utcnow())
        skus.append(p.sku)
    _c, token = make_api_client(db)
    db.commit()

    def worker(seed: int) -> Counter[str]:
        rng, http, seen = random.Random(seed), _client(token), Counter[str]()
        for n in range(15):
            chosen = rng.sample(skus, rng.randint(2, 4))  # random order: lock order must not depend on it
            body = {"order_ref": f"W{seed}-{n}", "region": rng.choice(["north", None]),
                    "lines": [{"sku": s, "quantity": rng.randint(1, 4)} for s in chosen]}
            resp = http.post(f"{live_url}/reservations", json=body, timeout=60)
            seen[str(resp.status_code)] += 1
            if resp.status_code == 201 and rng.random() < 0.6:
                action = rng.choice(["commit", "release"])
                closed = http.post(f"{live_url}/reservations/{resp.json()['id']}/{action}", timeout=60)
                seen[f"{action}:{closed.status_code}"] += 1
        return seen

    with ThreadPoolExecutor(12) as pool:
        totals: Counter[str] = sum(pool.map(worker, range(12)), Counter())
    assert set(totals) <= {"201", "409", "commit:200", "release:200"}, totals
    assert totals["201"] > 0 and totals["409"] > 0  # the stock really ran out: a race happened
    assert_invariants(db)


def test_ten_concurrent_requests_with_one_key_make_one_reservation(live_url: str, db: Session) -> None:
    cloud = make_warehouse(db, kind="cloud")
    receive_stock(db, make_product(db, sku="IDEM-1"), cloud, 50)
    _c, token = make_api_client(db)
    db.commit()
    body = {"order_ref": "SO-IDEM", "lines": [{"sku": "IDEM-1", "quantity": 2}]}

    def one(_: int) -> Any:
        resp = _client(token).post(f"{live_url}/reservations", json=body, timeout=60,
                                   headers={"Idempotency-Key": "one-key-for-all"})
        return resp.status_code, resp.content

    for _round in range(3):
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(one, range(10)))
        assert {status for status, _ in results} == {201}
        assert len({content for _, content in results}) == 1  # everybody got the first response
    assert db.scalar(select(func.count()).select_from(Reservation)) == 1
    assert_invariants(db)


@pytest.mark.parametrize("buckets", [1, 4], ids=["plain", "hot-4-buckets"])
def test_concurrent_commits_and_releases_of_one_reservation_have_exactly_one_winner(
    live_url: str, db: Session, buckets: int
) -> None:
    cloud = make_warehouse(db, kind="cloud")
    p = make_product(db, sku="RACE-CLOSE")
    receive_stock(db, p, cloud, 10)
    if buckets > 1:
        set_buckets(db, TEST_ACTOR, sku="RACE-CLOSE", buckets=buckets, now=utcnow())
    _c, token = make_api_client(db)
    db.commit()
    http = _client(token)
    clients = [_client(token) for _ in range(8)]
    for round_ in range(5):
        rid = http.post(f"{live_url}/reservations", timeout=30, json={
            "order_ref": f"RC-{round_}", "lines": [{"sku": "RACE-CLOSE", "quantity": 2}]}).json()["id"]

        def close(i: int, rid: str = rid) -> tuple[str, int]:
            action = "commit" if i % 2 else "release"
            return action, clients[i].post(f"{live_url}/reservations/{rid}/{action}", timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(close, range(8)))
        winners = [action for action, status in outcomes if status == 200]
        assert len(winners) == 1 and sorted(status for _a, status in outcomes) == [200] + [409] * 7
        status = http.get(f"{live_url}/reservations/{rid}", timeout=30).json()["status"]
        assert status == {"commit": "committed", "release": "released"}[winners[0]]
    assert_invariants(db)


def test_a_reservation_of_a_hot_sku_does_not_wait_for_a_bucket_another_transaction_holds(
    live_url: str, db: Session, committed_app: Any
) -> None:
    """The point of buckets: while one transaction holds the lock of a bucket (as a concurrent
    reservation would until its COMMIT), reservations of the same SKU × warehouse go through
    on the other buckets instead of queueing; the plain SKU's reservation has to wait."""
    cloud = make_warehouse(db, kind="cloud")
    for sku in ("HOT-B", "PLAIN-B"):
        receive_stock(db, make_product(db, sku=sku), cloud, 40)
    set_buckets(db, TEST_ACTOR, sku="HOT-B", buckets=4, now=utcnow())
    _c, token = make_api_client(db)
    db.commit()
    http = _client(token)
    engine = committed_app.extensions["stockwise_db"].engine
    with engine.connect() as holder:  # holds bucket 0 of both balances (the key every writer takes first)
        for sku in ("HOT-B", "PLAIN-B"):
            holder.execute(text("SELECT pg_advisory_xact_lock(b.product_id, stock_balance_key(b.product_id, "
                                "b.warehouse_id, b.bucket)) FROM stock_balance b JOIN product p ON p.id = b.product_id "
                                "WHERE p.sku = :sku AND b.bucket = 0"), {"sku": sku})
        for n in range(6):
            resp = http.post(f"{live_url}/reservations", timeout=10,
                             json={"order_ref": f"HB-{n}", "lines": [{"sku": "HOT-B", "quantity": 2}]})
            assert resp.status_code == 201
        with pytest.raises(requests.Timeout):
            http.post(f"{live_url}/reservations", timeout=2,
                      json={"order_ref": "PB", "lines": [{"sku": "PLAIN-B", "quantity": 1}]})
        holder.rollback()
    assert_invariants(db)
