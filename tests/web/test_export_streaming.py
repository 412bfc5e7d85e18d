"""Issue 9 item 1: a streamed CSV export must not freeze the app.

Real HTTP (werkzeug's threaded server in this process, so the test can look into the
connection pool), real commits, SQLite and PostgreSQL. Before the fix the export's rows ran
on a session the request had already closed, so its transaction stayed open: on SQLite it
held the write lock (every request after it waited, then failed "database is locked"), on
PostgreSQL the connection stayed "idle in transaction".
"""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from app.catalog.models import Product
from app.db import transaction
from tests.conftest import IS_POSTGRES
from tests.factories import make_api_client, make_staff_user
from tests.live import logged_in, serving

pytestmark = pytest.mark.serial  # "answers within a second" means nothing beside another busy worker
ROWS = 20_000  # ~3.5 MB of CSV: far more than the sockets between client and server buffer
WITHIN = 1.0  # seconds: "answer normally"


@pytest.fixture
def live(committed_app: Any) -> Iterator[str]:
    with serving(committed_app) as base:
        yield base


@pytest.fixture
def people(committed_app: Any) -> dict[str, str]:
    with transaction() as s:
        viewer = make_staff_user(s, "viewer").email
        buyer = make_staff_user(s, "purchasing").email
        _client, token = make_api_client(s)
        s.execute(insert(Product), [{"sku": f"EXP-{i:06d}", "name": f"Export row {i} " + "x" * 120, "unit": "pcs",
                                     "pack_size": 1} for i in range(ROWS)])
    return {"viewer": viewer, "buyer": buyer, "token": token}


def _others_answer_at_once(base: str, people: dict[str, str], sku: str) -> None:
    """Another user's page and an API write, each answered normally within a second."""
    buyer = logged_in(base, people["buyer"])
    started = time.monotonic()
    page = buyer.get(base + "/purchase-orders", timeout=WITHIN + 4)
    assert page.status_code == 200 and time.monotonic() - started < WITHIN, (page.status_code, page.text[:300])
    started = time.monotonic()
    write = requests.put(f"{base}/api/v1/products/{sku}", json={"name": "Written during an export", "unit": "pcs"},
                         headers={"Authorization": f"Bearer {people['token']}"}, timeout=WITHIN + 4)
    assert write.status_code == 201 and time.monotonic() - started < WITHIN, (write.status_code, write.text)


def _open_transactions(engine: Engine) -> list[str]:
    """States of this database's other backends that are inside a transaction (PostgreSQL)."""
    with engine.connect() as conn:
        return list(conn.scalars(text(
            "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND xact_start IS NOT NULL")))


def _wait_for(check: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_after_an_export_another_users_page_and_an_api_write_answer_normally(
        live: str, people: dict[str, str], engine: Engine) -> None:
    viewer = logged_in(live, people["viewer"])
    resp = viewer.get(live + "/products.csv", timeout=30)
    assert resp.status_code == 200
    assert resp.content.decode("utf-8-sig").count("\n") == ROWS + 1
    _others_answer_at_once(live, people, "AFTER-EXPORT-1")
    assert _wait_for(lambda: engine.pool.checkedout() == 0), "the export's connection went back to the pool"  # type: ignore[attr-defined]
    if IS_POSTGRES:
        assert _open_transactions(engine) == []


def test_a_client_that_drops_mid_export_leaves_no_transaction_open(
        live: str, people: dict[str, str], engine: Engine) -> None:
    viewer = logged_in(live, people["viewer"])
    cookie = "; ".join(f"{c.name}={c.value}" for c in viewer.cookies)
    host, port = live.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and then read almost nothing
    sock.connect((host, int(port)))
    sock.sendall((f"GET /products.csv HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n"
                  f"User-Agent: {requests.utils.default_user_agent()}\r\nConnection: close\r\n\r\n").encode())
    head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    try:
        # Mid-export: the server is stuck writing rows we do not read, its query still open.
        assert _wait_for(lambda: engine.pool.checkedout() == 1), "the export is under way"  # type: ignore[attr-defined]
        if IS_POSTGRES:
            assert _wait_for(lambda: "idle in transaction" in _open_transactions(engine))
        _others_answer_at_once(live, people, "DURING-EXPORT-1")  # a read holds no write lock
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
        sock.close()
    assert _wait_for(lambda: engine.pool.checkedout() == 0), "the export's connection went back to the pool"  # type: ignore[attr-defined]
    if IS_POSTGRES:
        assert _wait_for(lambda: _open_transactions(engine) == []), _open_transactions(engine)
    else:
        raw = engine.raw_connection()  # autocommit: a checkpoint cannot finish while a reader keeps a snapshot
        try:
            busy, _log, _done = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        assert busy == 0
    _others_answer_at_once(live, people, "AFTER-DROP-1")
