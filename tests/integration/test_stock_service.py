"""The stock core against the database: movements, balances, change log, dedup."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.audit.service import Actor, record_audit
from app.db import utcnow
from app.errors import ValidationFailed
from app.stock.models import StockBalance, StockChange, StockMovement
from app.stock.service import (
    MovementInput,
    StockEffect,
    StockRuleBroken,
    post_stock_effects,
    record_movements,
    stock_change,
)
from tests.factories import make_product, make_warehouse

NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


def _balance(session: Session, product_id: int, warehouse_id: int) -> StockBalance:
    return session.scalars(select(StockBalance).where(
        StockBalance.product_id == product_id, StockBalance.warehouse_id == warehouse_id)).one()


def _ledger_sum(session: Session, product_id: int, warehouse_id: int) -> int:
    return session.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
        StockMovement.product_id == product_id, StockMovement.warehouse_id == warehouse_id)) or 0


def test_record_movements_adds_to_on_hand_and_logs_one_change_per_balance(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    result = record_movements(session, [
        MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="e1"),
        MovementInput(p.id, w.id, "damage", 3, NOW, event_id="e2"),
        MovementInput(p.id, w.id, "adjustment", -2, NOW, event_id="e3"),
    ], source="wms", now=NOW)
    assert (result.applied, result.duplicates) == (3, 0)
    bal = _balance(session, p.id, w.id)
    assert (bal.on_hand, bal.reserved, bal.in_transit, bal.version) == (5, 0, 0, 1)
    assert _ledger_sum(session, p.id, w.id) == 5
    session.commit()  # the change-log rows were written with the balances (write_balances); visible after commit
    changes = session.scalars(select(StockChange).where(StockChange.product_id == p.id)).all()
    assert [(c.on_hand, c.reserved) for c in changes] == [(5, 0)]


def test_a_replayed_event_id_is_counted_as_duplicate_not_applied(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    record_movements(session, [MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="e1")], source="wms", now=NOW)
    again = record_movements(session, [
        MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="e1"),
        MovementInput(p.id, w.id, "receipt", 1, NOW, event_id="e9"),
        MovementInput(p.id, w.id, "receipt", 1, NOW, event_id="e9"),
    ], source="wms", now=NOW)
    assert (again.applied, again.duplicates) == (1, 2)
    assert _balance(session, p.id, w.id).on_hand == 11
    # The same event id from another source is a different event.
    other = record_movements(session, [MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="e1")],
                             source="erp", now=NOW)
    assert other.applied == 1


def test_count_sets_on_hand_and_records_the_difference(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    record_movements(session, [
        MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="r"),
        MovementInput(p.id, w.id, "count", 7, NOW, event_id="c"),
    ], source="wms", now=NOW)
    assert _balance(session, p.id, w.id).on_hand == 7
    kinds = session.execute(select(StockMovement.kind, StockMovement.quantity).where(
        StockMovement.product_id == p.id).order_by(StockMovement.id)).all()
    assert [tuple(k) for k in kinds] == [("receipt", 10), ("count_correction", -3)]


def test_count_below_reserved_is_recorded_and_raises_an_alert(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", 10), StockEffect(p.id, w.id, reserved_delta=6)],
                       source="t", now=NOW)
    record_movements(session, [MovementInput(p.id, w.id, "count", 4, NOW, event_id="c")], source="wms", now=NOW)
    bal = _balance(session, p.id, w.id)
    assert (bal.on_hand, bal.reserved) == (4, 6)
    alert = session.scalars(select(Alert).where(Alert.product_id == p.id)).one()
    assert alert.kind == "count_below_reserved"


def test_a_batch_with_a_bad_line_writes_nothing(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    with pytest.raises(ValidationFailed) as info:
        record_movements(session, [
            MovementInput(p.id, w.id, "receipt", 2, NOW, event_id="a"),
            MovementInput(p.id, w.id, "damage", 5, NOW, event_id="b"),
        ], source="wms", now=NOW)
    assert info.value.data["errors"][0]["field"] == "movements[1].quantity"
    assert session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.product_id == p.id)) == 0


@pytest.mark.parametrize(("kind", "quantity", "message"), [
    ("receipt", -3, "a receipt needs quantity > 0"),
    ("damage", -1, "a damage needs quantity > 0"),
    ("customer_return", 0, "a customer_return needs quantity > 0"),
    ("adjustment", 0, "an adjustment cannot be zero"),
    ("count", -1, "a count cannot be negative"),
])
def test_a_quantity_of_the_wrong_sign_is_refused_naming_the_field_not_flipped(
    session: Session, kind: str, quantity: int, message: str
) -> None:
    p, w = make_product(session), make_warehouse(session)
    record_movements(session, [MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="start")], source="wms", now=NOW)
    with pytest.raises(ValidationFailed) as info:
        record_movements(session, [
            MovementInput(p.id, w.id, "receipt", 1, NOW, event_id="ok"),
            MovementInput(p.id, w.id, kind, quantity, NOW, event_id="bad"),
        ], source="wms", now=NOW)
    assert info.value.data["errors"] == [{"field": "movements[1].quantity", "message": message}]
    assert _balance(session, p.id, w.id).on_hand == 10
    assert _ledger_sum(session, p.id, w.id) == 10


def test_a_later_count_in_a_batch_sees_the_earlier_lines_and_positions_are_applied_once(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    result = record_movements(session, [
        MovementInput(p.id, w.id, "receipt", 10, NOW, event_id="r"),
        MovementInput(p.id, w.id, "count", 7, NOW, event_id="c"),
        MovementInput(p.id, w.id, "receipt", 2, NOW, event_id="r2"),
    ], source="wms", now=NOW)
    assert [(b.on_hand, b.reserved) for b in result.changed] == [(9, 0)]
    corrections = session.scalars(select(StockMovement.quantity).where(
        StockMovement.product_id == p.id, StockMovement.kind == "count_correction")).all()
    assert corrections == [-3]
    bal = _balance(session, p.id, w.id)
    assert (bal.on_hand, bal.version) == (9, 1)
    assert _ledger_sum(session, p.id, w.id) == 9


def test_stock_change_refuses_an_effect_on_a_balance_it_did_not_lock(session: Session) -> None:
    p, w, other = make_product(session), make_warehouse(session), make_warehouse(session)
    with pytest.raises(LookupError), stock_change(session, keys=[(p.id, w.id)], source="t", now=NOW) as change:
        change.add(StockEffect(p.id, other.id, "receipt", 1))
    assert session.scalar(select(func.count()).select_from(StockMovement).where(StockMovement.product_id == p.id)) == 0


def test_post_stock_effects_refuses_to_ship_reserved_stock(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", 5), StockEffect(p.id, w.id, reserved_delta=5)],
                       source="t", now=utcnow())
    with pytest.raises(StockRuleBroken, match="below reserved"):
        post_stock_effects(session, [StockEffect(p.id, w.id, "damage", -1)], source="t", now=utcnow())


def test_change_log_cursors_increase_across_transactions(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    for qty in (1, 2, 3):
        post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", qty)], source="t", now=utcnow())
        session.commit()
    rows = session.execute(select(StockChange.seq, StockChange.on_hand).where(
        StockChange.product_id == p.id).order_by(StockChange.seq)).all()
    assert [r.on_hand for r in rows] == [1, 3, 6]
    seqs = [r.seq for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


def test_change_rows_are_written_with_the_balance_and_take_no_shared_counter(session: Session) -> None:
    """The change-log row is written by the statement that writes the balance; on
    PostgreSQL its cursor is the xid of the savepoint that wrote the balance (no counter
    row every writer would queue on)."""
    p, w = make_product(session), make_warehouse(session)
    session.commit()
    statements: list[str] = []
    engine = session.get_bind().engine

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", 4)], source="t", now=utcnow())
        record_audit(session, Actor.system("test"), "test.receive", "product", p.id)
        assert any("stock_change" in s for s in statements)  # written already, before COMMIT
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    writes = [s for s in statements if s.startswith(("insert", "update", "with"))]
    assert not any("feed_counter" in s for s in writes)
    changes = session.scalars(select(StockChange).where(StockChange.product_id == p.id)).all()
    assert [(c.on_hand, c.reserved) for c in changes] == [(4, 0)]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        writer = session.scalar(text("SELECT xmin::text::bigint FROM stock_balance WHERE product_id = :p"),
                                {"p": p.id})
        assert changes[0].seq >> 20 == writer  # same xid as the balance row's version (no epoch yet)


def test_a_rolled_back_savepoint_publishes_no_change_rows(session: Session) -> None:
    p, w = make_product(session), make_warehouse(session)
    post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", 3)], source="t", now=utcnow())
    with pytest.raises(StockRuleBroken), session.begin_nested():
        post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", 5)], source="t", now=utcnow())
        post_stock_effects(session, [StockEffect(p.id, w.id, "damage", -20)], source="t", now=utcnow())
    with session.begin_nested():
        post_stock_effects(session, [StockEffect(p.id, w.id, "receipt", 1)], source="t", now=utcnow())
    session.commit()
    changes = session.execute(select(StockChange.on_hand).where(StockChange.product_id == p.id)
                              .order_by(StockChange.seq)).scalars().all()
    assert changes == [3, 4]
    assert _balance(session, p.id, w.id).on_hand == 4
