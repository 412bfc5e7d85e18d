"""Concurrency fixtures (PostgreSQL only): a real threaded HTTP server on committed_app."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app.stock.verify import verify_stock

HERE = Path(__file__).resolve().parent

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Races keep production's password cost: how long a login takes sets how much its requests overlap."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.production_password_hashing)


@pytest.fixture
def live_url(committed_app: Any) -> Iterator[str]:
    """The app behind werkzeug's threaded server on 127.0.0.1 (a free port): real commits."""
    server = make_server("127.0.0.1", 0, committed_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def db(committed_app: Any) -> Iterator[Session]:
    """A session on the real engine for arranging data (commit it) and checking results."""
    s = committed_app.extensions["stockwise_db"].sessionmaker()
    yield s
    s.close()


def assert_invariants(session: Session) -> None:
    """API.md invariants: ledger == on hand, reserved == active allocations, 0 ≤ reserved ≤ on hand."""
    from sqlalchemy import select

    from app.stock.models import StockBalance

    session.expire_all()
    assert verify_stock(session) == []
    for bal in session.scalars(select(StockBalance)):
        assert 0 <= bal.reserved <= bal.on_hand, (bal.product_id, bal.warehouse_id, bal.on_hand, bal.reserved)
