"""Counts: snapshot on open, blind counting, approval books counted − snapshot as a delta."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.counts import service
from app.db import utcnow
from app.errors import Conflict, InvalidState, ValidationFailed
from app.stock.models import StockBalance, StockMovement
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import TEST_ACTOR, make_category, make_product, make_warehouse, receive_stock


def _on_hand(session: Session, product_id: int, warehouse_id: int) -> StockBalance:
    return session.scalars(select(StockBalance).where(StockBalance.product_id == product_id,
                                                      StockBalance.warehouse_id == warehouse_id)).one()


def test_open_snapshots_on_hand_of_the_category_only(session: Session) -> None:
    wh = make_warehouse(session)
    cat = make_category(session)
    a, b = make_product(session, category_id=cat.id), make_product(session)
    receive_stock(session, a, wh, 12)
    receive_stock(session, b, wh, 3)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, category_id=cat.id)
    assert [(ln.product_id, ln.system_quantity, ln.counted_quantity) for ln in count.lines] == [(a.id, 12, None)]
    with pytest.raises(Conflict):
        service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)


def test_full_count_covers_every_product_with_a_balance(session: Session) -> None:
    wh = make_warehouse(session)
    cat = make_category(session)
    a, b = make_product(session, category_id=cat.id), make_product(session)
    receive_stock(session, a, wh, 1)
    receive_stock(session, b, wh, 2)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id, category_id=cat.id, kind="full")
    assert count.kind == "full" and count.category_id is None and len(count.lines) == 2


def test_submit_needs_every_line_counted_and_rejects_negatives(session: Session) -> None:
    wh = make_warehouse(session)
    a, b = make_product(session), make_product(session)
    receive_stock(session, a, wh, 5)
    receive_stock(session, b, wh, 5)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    la, lb = count.lines
    service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={la.id: 4, lb.id: None}, submit=False,
                          now=utcnow())
    assert count.status == "open" and la.counted_quantity == 4
    with pytest.raises(ValidationFailed) as err:
        service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={lb.id: None}, submit=True, now=utcnow())
    assert err.value.data["errors"] == [{"field": "lines-1-counted", "message": "not counted yet"}]
    with pytest.raises(ValidationFailed):
        service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={lb.id: -1}, submit=False, now=utcnow())


def test_approval_books_counted_minus_snapshot_and_keeps_later_movements(session: Session) -> None:
    wh = make_warehouse(session)
    p = make_product(session)
    receive_stock(session, p, wh, 20)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    receive_stock(session, p, wh, 5)  # arrives while the count runs: real, must stay
    (line,) = count.lines
    service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={line.id: 17}, submit=True, now=utcnow())
    with pytest.raises(InvalidState):
        service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={line.id: 1}, submit=False, now=utcnow())
    service.approve_count(session, TEST_ACTOR, count_id=count.id, now=utcnow())
    assert _on_hand(session, p.id, wh.id).on_hand == 22  # 25 − 3
    kinds = session.execute(select(StockMovement.kind, StockMovement.quantity)
                            .where(StockMovement.reference_id == count.number)).all()
    assert kinds == [("count_correction", -3)]
    assert count.status == "approved"


def test_a_count_below_reserved_is_booked_and_raises_an_alert(session: Session) -> None:
    wh = make_warehouse(session)
    p = make_product(session)
    receive_stock(session, p, wh, 10)
    post_stock_effects(session, [StockEffect(p.id, wh.id, reserved_delta=8)], source="tests", now=utcnow())
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={count.lines[0].id: 6}, submit=True,
                          now=utcnow())
    service.approve_count(session, TEST_ACTOR, count_id=count.id, now=utcnow())
    bal = _on_hand(session, p.id, wh.id)
    assert (bal.on_hand, bal.reserved) == (6, 8)
    alert = session.scalars(select(Alert).where(Alert.product_id == p.id)).one()
    assert alert.kind == "count_below_reserved" and alert.resolved_at is None


def test_review_values_variances_at_unit_cost(session: Session) -> None:
    from decimal import Decimal
    wh = make_warehouse(session)
    p = make_product(session, unit_cost=Decimal("2.50"))
    receive_stock(session, p, wh, 10)
    count = service.open_count(session, TEST_ACTOR, warehouse_id=wh.id)
    service.record_counts(session, TEST_ACTOR, count_id=count.id, counted={count.lines[0].id: 14}, submit=True,
                          now=utcnow())
    summary = service.review_summary(count)
    assert (summary.variance_units, summary.variance_value, summary.with_variance) == (4, Decimal("10.00"), 1)
