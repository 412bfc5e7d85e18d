"""Issue 9 item 11 (a) and (b): database faults under a live server, on PostgreSQL.

We never restart the PostgreSQL cluster here: other engineers' runs share it. What a
restart does to the app is that every connection it holds dies and, for a moment, new
ones are refused. Both are done to this run's own throwaway database only:
`pg_terminate_backend` on its backends (what a restart or a failover does to them), and
`ALTER DATABASE … ALLOW_CONNECTIONS false` for the moment a restarting server refuses
connections. The app must answer a clean error for the request that lost its connection
(problem+json 503 under /api, an error page in the UI — not a hang, not a 500), leave
nothing half-written, and serve the next request without being restarted.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.purchasing.models import PurchaseOrder, Receipt
from app.stock.models import Reservation, StockBalance, StockMovement
from tests.concurrency.conftest import assert_invariants
from tests.conftest import TEST_DATABASE_URL
from tests.factories import (
    make_api_client,
    make_price,
    make_product,
    make_staff_user,
    make_supplier,
    make_warehouse,
    receive_stock,
)
from tests.factories_purchasing import make_po
from tests.live import csrf_of, logged_in, serving

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def base(committed_app: Any) -> Iterator[str]:
    with serving(committed_app) as url:
        yield url


@pytest.fixture
def admin_engine() -> Iterator[Engine]:
    """A connection to the cluster's maintenance database: still there while ours refuses connections."""
    assert TEST_DATABASE_URL is not None
    eng = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    yield eng
    eng.dispose()


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    cloud = make_warehouse(db, kind="cloud", code="CLOUD-F")
    north = make_warehouse(db, kind="forward", code="NORTH-F", region="north")
    product = make_product(db, sku="FAULT-1")
    receive_stock(db, product, north, 10)
    receive_stock(db, product, cloud, 1)  # the balance row a receipt will lock
    supplier = make_supplier(db, code="FSUP")
    make_price(db, supplier, product)
    po = make_po(db, supplier, cloud, [(product, 6, "5.00", dt.date(2026, 5, 1))])
    _client, token = make_api_client(db)
    receiver = make_staff_user(db, "warehouse").email
    db.commit()
    return {"product": product, "north": north, "cloud": cloud, "po": po.number, "po_line": po.lines[0].id,
            "token": token, "receiver": receiver}


def _backends(admin: Engine, database: str, where: str = "TRUE") -> list[int]:
    with admin.connect() as conn:
        return list(conn.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = :db AND backend_type = 'client backend' "
            f"AND pid <> pg_backend_pid() AND {where}"), {"db": database}))


def _terminate(admin: Engine, pids: list[int]) -> None:
    """Terminate the backends and wait (up to 5 s each) until they are gone, as they are
    once a restarted database accepts connections again."""
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})


class _HeldBalance:
    """Hold the FOR UPDATE lock on one balance row, so a request that needs it stops mid-transaction."""

    def __init__(self, engine: Engine, product_id: int, warehouse_id: int) -> None:
        self.conn = engine.connect()
        self.conn.execute(select(StockBalance.product_id).where(
            StockBalance.product_id == product_id, StockBalance.warehouse_id == warehouse_id).with_for_update())

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def _kill_when_waiting(admin: Engine, database: str, request: Any) -> tuple[Any, float]:
    """Run `request` in a thread; when its backend waits on our lock, terminate that backend."""
    answer: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answer.setdefault("resp", request()))
    thread.start()
    deadline = time.monotonic() + 10
    waiting: list[int] = []
    while not waiting and time.monotonic() < deadline:
        waiting = _backends(admin, database, "wait_event_type = 'Lock'")
        time.sleep(0.02)
    assert len(waiting) == 1, "the request is in the middle of its transaction, waiting for the balance row"
    started = time.monotonic()
    _terminate(admin, waiting)
    thread.join(15)
    assert not thread.is_alive(), "the request answered instead of hanging"
    return answer["resp"], time.monotonic() - started


def _reserve(base: str, token: str, order_ref: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/reservations", timeout=20, headers={"Authorization": f"Bearer {token}"},
                         json={"order_ref": order_ref, "region": "north", "lines": [{"sku": "FAULT-1", "quantity": 3}]})


def test_a_reservation_whose_connection_is_killed_fails_cleanly_and_the_next_one_works(
        base: str, world: dict[str, Any], engine: Engine, admin_engine: Engine, db: Session) -> None:
    database = engine.url.database or ""
    held = _HeldBalance(engine, world["product"].id, world["north"].id)
    try:
        resp, took = _kill_when_waiting(admin_engine, database, lambda: _reserve(base, world["token"], "KILLED-1"))
    finally:
        held.release()
    assert resp.status_code == 503 and resp.headers["Content-Type"] == "application/problem+json", resp.text
    assert resp.json()["type"].endswith("/database-unavailable") and took < 5
    assert resp.headers["Retry-After"] == "5"
    documented = requests.get(f"{base}/api/v1/openapi.json", timeout=10).json()
    assert "503" in documented["paths"]["/api/v1/reservations"]["post"]["responses"]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Reservation)) == 0  # nothing half-written
    assert_invariants(db)
    db.rollback()
    again = _reserve(base, world["token"], "AFTER-KILL-1")
    assert again.status_code == 201, again.text
    assert_invariants(db)


def test_a_receipt_whose_connection_is_killed_shows_an_error_page_and_the_next_one_works(
        base: str, world: dict[str, Any], engine: Engine, admin_engine: Engine, db: Session) -> None:
    database = engine.url.database or ""
    http = logged_in(base, world["receiver"])
    url = f"{base}/receiving/{world['po']}"
    form = http.get(url, timeout=10)
    data = {"csrf_token": csrf_of(form.text), "notice": "", "notes": "", "lines-0-line_id": str(world["po_line"]),
            "lines-0-received": "6", "lines-0-rejected": "0", "lines-0-reason": ""}
    held = _HeldBalance(engine, world["product"].id, world["cloud"].id)
    try:
        resp, took = _kill_when_waiting(admin_engine, database,
                                        lambda: http.post(url, data=data, allow_redirects=False, timeout=20))
    finally:
        held.release()
    assert resp.status_code == 503 and resp.headers["Content-Type"].startswith("text/html"), resp.text[:300]
    assert "Service unavailable" in resp.text and took < 5
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Receipt)) == 0  # nothing half-written
    assert db.scalar(select(PurchaseOrder.status).where(PurchaseOrder.number == world["po"])) == "sent"
    assert db.scalar(select(func.count()).select_from(StockMovement)) == 2  # the two set-up receipts only
    db.rollback()
    again = http.post(url, data=data, allow_redirects=False, timeout=20)
    assert again.status_code == 302, again.text[:300]
    assert db.scalar(select(func.count()).select_from(Receipt)) == 1
    assert_invariants(db)


def _page_and_write(base: str, http: requests.Session, token: str, ref: str) -> tuple[int, int]:
    page = http.get(f"{base}/receiving", timeout=20)
    write = _reserve(base, token, ref)
    return page.status_code, write.status_code


def test_the_app_recovers_without_a_restart_when_every_backend_is_terminated(
        base: str, world: dict[str, Any], engine: Engine, admin_engine: Engine) -> None:
    database = engine.url.database or ""
    http = logged_in(base, world["receiver"])
    assert _page_and_write(base, http, world["token"], "BEFORE-1") == (200, 201)
    assert engine.pool.checkedin() >= 1  # type: ignore[attr-defined]  # the pool holds connections to lose
    _terminate(admin_engine, _backends(admin_engine, database))
    # The very next requests work: the pool's pre-ping finds its connections dead and replaces them.
    assert _page_and_write(base, http, world["token"], "AFTER-1") == (200, 201)


def test_a_request_waits_out_a_database_that_refuses_connections_for_a_moment(
        base: str, world: dict[str, Any], engine: Engine, admin_engine: Engine) -> None:
    database = engine.url.database or ""
    http = logged_in(base, world["receiver"])
    assert _page_and_write(base, http, world["token"], "BEFORE-2") == (200, 201)
    with admin_engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
    reopen = threading.Timer(0.6, lambda: _allow(admin_engine, database))
    try:
        _terminate(admin_engine, _backends(admin_engine, database))  # as a restart does
        reopen.start()
        started = time.monotonic()
        status = _reserve(base, world["token"], "DURING-RESTART-1").status_code
        waited = time.monotonic() - started
    finally:
        reopen.join()
        _allow(admin_engine, database)
    # Without the retry before the first statement this is an immediate 503.
    assert status == 201 and waited >= 0.5, (status, waited)


def _allow(admin: Engine, database: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))


def test_a_pooled_connection_found_dead_is_replaced_even_if_its_replacement_dies_at_once(
        database_url: str) -> None:
    """At checkout a dead pooled connection is replaced (rule 8). If the replacement is killed
    before it is used — `pg_terminate_backend` over every backend, as a failover or the worker
    test does — the caller gets a database error (OperationalError: a 503, a worker's retry),
    never SQLAlchemy's InvalidRequestError("This connection is closed"), which the pool raised
    when the check found a hang-up on two connections in one checkout."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from app.db import make_engine, make_sessionmaker

    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    admin = create_engine(database_url)
    kill_next = {"on": False}

    def terminate(pid: int) -> None:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        time.sleep(0.2)  # its FATAL message has reached our socket

    @event.listens_for(engine.pool, "connect")
    def _die_at_once(dbapi_connection: Any, _record: Any) -> None:
        if kill_next["on"]:
            kill_next["on"] = False
            terminate(dbapi_connection.info.backend_pid)

    sessions = make_sessionmaker(engine)
    try:
        with sessions() as s:
            pid = s.scalar(text("SELECT pg_backend_pid()"))
        terminate(pid)  # the pooled connection dies while checked in
        kill_next["on"] = True  # and so does the one that replaces it
        with pytest.raises(OperationalError), sessions() as s:
            s.execute(text("SELECT 1"))
        with sessions() as s:  # and the next one works
            assert s.scalar(text("SELECT 1")) == 1
    finally:
        engine.dispose()
        admin.dispose()
