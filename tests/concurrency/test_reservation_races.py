"""Races through the real HTTP stack on PostgreSQL: no oversell, no deadlock, one reservation per key."""
from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.stock.models import Reservation
from tests.concurrency.conftest import assert_invariants
from tests.factories import make_api_client, make_product, make_warehouse, receive_stock

pytestmark = pytest.mark.postgres_only


def _client(token: str) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def test_32_clients_race_for_100_units_and_exactly_100_reservations_win(live_url: str, db: Session) -> None:
    cloud = make_warehouse(db, kind="cloud")
    hot = make_product(db, sku="HOT-1")
    receive_stock(db, hot, cloud, 100)
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


def test_multi_line_reservations_over_overlapping_skus_never_deadlock_or_oversell(live_url: str, db: Session) -> None:
    cloud = make_warehouse(db, kind="cloud")
    north = make_warehouse(db, kind="forward", region="north")
    skus = []
    for i in range(5):
        p = make_product(db, sku=f"OVL-{i}")
        receive_stock(db, p, cloud, 20)
        receive_stock(db, p, north, 10)
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


def test_concurrent_commits_and_releases_of_one_reservation_have_exactly_one_winner(
    live_url: str, db: Session
) -> None:
    cloud = make_warehouse(db, kind="cloud")
    p = make_product(db, sku="RACE-CLOSE")
    receive_stock(db, p, cloud, 10)
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
