"""The operator commands: reservations expire (and key pruning), stock verify."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.stock.models import IdempotencyRecord, Reservation, StockBalance
from app.stock.reservations import ReserveLine, reserve_stock
from tests.factories import TEST_ACTOR, make_api_client, make_product, make_warehouse, receive_stock


def test_expire_releases_overdue_reservations_and_prunes_old_keys(app: Any, session: Session) -> None:
    now = dt.datetime.now(dt.UTC)  # taken when the test starts: TTLs count from here
    w = make_warehouse(session, kind="cloud")
    p, other = make_product(session), make_product(session)
    receive_stock(session, p, w, 10)
    receive_stock(session, other, w, 10)
    past = reserve_stock(session, TEST_ACTOR, order_ref="a", lines=[ReserveLine(p.sku, 4)], ttl_seconds=60,
                         now=now - dt.timedelta(minutes=5))
    # (a reservation of `p` now would expire `past` itself: expired holds never block)
    live = reserve_stock(session, TEST_ACTOR, order_ref="b", lines=[ReserveLine(other.sku, 3)], ttl_seconds=600,
                         now=now)
    client, _ = make_api_client(session)
    session.add_all([
        IdempotencyRecord(api_client_id=client.id, key="old", fingerprint="f", response_status=201, response_body="{}",
                          created_at=now - dt.timedelta(hours=25)),
        IdempotencyRecord(api_client_id=client.id, key="new", fingerprint="f", response_status=201, response_body="{}",
                          created_at=now - dt.timedelta(hours=23)),
    ])
    session.commit()
    result = app.test_cli_runner().invoke(args=["reservations", "expire"])
    assert result.exit_code == 0, result.output
    assert "expired 1 reservation(s); pruned 1 idempotency key(s)" in result.output
    session.expire_all()
    assert session.get(Reservation, past.id).status == "expired"  # type: ignore[union-attr]
    assert session.get(Reservation, live.id).status == "active"  # type: ignore[union-attr]
    assert session.scalar(select(StockBalance.reserved).where(StockBalance.product_id == p.id)) == 0
    assert session.scalar(select(StockBalance.reserved).where(StockBalance.product_id == other.id)) == 3
    assert session.scalars(select(IdempotencyRecord.key)).all() == ["new"]


def test_stock_verify_passes_on_a_consistent_ledger_and_reports_drift(app: Any, session: Session) -> None:
    now = dt.datetime.now(dt.UTC)  # taken when the test starts: TTLs count from here
    w = make_warehouse(session, kind="cloud", code="VER-1")
    p = make_product(session, sku="VER-SKU")
    receive_stock(session, p, w, 10)
    reserve_stock(session, TEST_ACTOR, order_ref="a", lines=[ReserveLine(p.sku, 4)], now=now)
    session.commit()
    ok = app.test_cli_runner().invoke(args=["stock", "verify"])
    assert ok.exit_code == 0, ok.output
    session.execute(update(StockBalance).where(StockBalance.product_id == p.id).values(on_hand=11, reserved=5))
    session.commit()
    bad = app.test_cli_runner().invoke(args=["stock", "verify"])
    assert bad.exit_code == 1
    assert "DRIFT VER-SKU @ VER-1: on_hand stored 11, expected 10" in bad.output
    assert "DRIFT VER-SKU @ VER-1: reserved stored 5, expected 4" in bad.output
    assert session.scalar(select(func.count()).select_from(Reservation)) == 1
