"""How transactions begin on SQLite (docs/concurrency.md, rule 6): the request's reads take
no lock, a unit of work (`transaction()`) holds the write lock from before its first
statement, and a unit of work that follows a read never fails SQLITE_BUSY on upgrade."""
from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from app.catalog.models import Product
from app.db import session as db_session
from app.db import transaction
from tests.conftest import IS_POSTGRES
from tests.factories import make_product

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="SQLite's locking; PostgreSQL uses row locks")


def _write_lock_free(engine: Engine) -> bool:
    """Whether another connection can take the write lock right now."""
    other = sqlite3.connect(engine.url.database or "", timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


def test_a_read_takes_no_write_lock_and_a_unit_of_work_holds_it_from_its_start(committed_app: Any,
                                                                                engine: Engine) -> None:
    with committed_app.test_request_context("/"):
        assert db_session().scalar(select(func.count()).select_from(Product)) == 0
        assert _write_lock_free(engine)  # the read transaction is open, yet a writer may go
        with transaction() as s:
            assert not _write_lock_free(engine)  # held before the unit of work ran anything
            make_product(s, sku="UOW-1")
        assert _write_lock_free(engine)


def test_a_unit_of_work_after_a_stale_read_waits_its_turn_instead_of_failing_busy(committed_app: Any) -> None:
    with transaction() as s:
        make_product(s, sku="RACE-1", name="v0")
    read_done, other_committed = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def reader_then_writer() -> None:
        try:
            with committed_app.test_request_context("/"):
                assert db_session().scalar(select(Product.name).where(Product.sku == "RACE-1")) == "v0"
                read_done.set()
                other_committed.wait(5)  # our read snapshot is now stale
                with transaction() as ts:
                    ts.execute(update(Product).where(Product.sku == "RACE-1").values(name=Product.name + "+a"))
        except BaseException as exc:  # report it to the test thread
            errors.append(exc)

    thread = threading.Thread(target=reader_then_writer)
    thread.start()
    read_done.wait(5)
    with committed_app.test_request_context("/"), transaction() as s:
        s.execute(update(Product).where(Product.sku == "RACE-1").values(name=Product.name + "+b"))
    other_committed.set()
    thread.join(10)
    assert errors == []
    with committed_app.test_request_context("/"):
        assert db_session().scalar(select(Product.name).where(Product.sku == "RACE-1")) == "v0+b+a"
