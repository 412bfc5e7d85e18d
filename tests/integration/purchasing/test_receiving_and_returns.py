"""Receiving with inspection (stock, PO, notice, return document) and shipping returns."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.errors import InvalidState, ValidationFailed
from app.purchasing import receiving, returns
from app.purchasing.models import (
    ShipmentNotice,
    ShipmentNoticeLine,
    SupplierReturn,
    SupplierReturnLine,
)
from app.purchasing.receiving import ReceiveLineInput, max_acceptable
from app.settings.service import set_setting
from app.stock.models import StockBalance, StockMovement
from app.stock.service import StockRuleBroken
from tests.factories import TEST_ACTOR, make_po, make_price, make_product, make_supplier, make_warehouse, receive_stock

NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def po(session: Session):  # type: ignore[no-untyped-def]
    make_warehouse(session, code="CLOUD-1", kind="cloud")
    supplier = make_supplier(session)
    a, b = make_product(session, sku="A-1"), make_product(session, sku="B-2")
    make_price(session, supplier, a, unit_price=Decimal("2"))
    make_price(session, supplier, b, unit_price=Decimal("4"))
    return make_po(session, supplier, [(a, 100), (b, 40)])


def _on_hand(session: Session, product_id: int, warehouse_id: int) -> int:
    return session.scalar(select(StockBalance.on_hand).where(StockBalance.product_id == product_id,
                                                             StockBalance.warehouse_id == warehouse_id)) or 0


@pytest.mark.parametrize(("ordered", "pct", "expected"), [(100, 5, 105), (10, 5, 10), (40, 5, 42), (3, 0, 3), (7, "12.5", 7)])
def test_max_acceptable_rounds_the_tolerance_down(ordered: int, pct: object, expected: int) -> None:
    assert max_acceptable(ordered, pct) == expected  # type: ignore[arg-type]


def test_partial_receipt_with_a_rejection_moves_accepted_stock_and_opens_a_return(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    la, lb = po.lines
    result = receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW, lines=[
        ReceiveLineInput(0, la.id, received=100, rejected=0),
        ReceiveLineInput(1, lb.id, received=40, rejected=6, reason="damaged"),
    ])
    receipt, ret = result.receipt, result.supplier_return
    assert receipt.number == f"GR-2026-{receipt.id:06d}"
    assert _on_hand(session, la.product_id, po.warehouse_id) == 100
    assert _on_hand(session, lb.product_id, po.warehouse_id) == 34
    moves = session.scalars(select(StockMovement).where(StockMovement.reference_id == receipt.number)).all()
    assert sorted((m.kind, m.quantity, m.reference_type) for m in moves) == [
        ("receipt", 34, "receipt"), ("receipt", 100, "receipt")]
    assert (lb.received_quantity, lb.accepted_quantity, lb.rejected_quantity) == (40, 34, 6)
    assert po.status == "partially_received"  # 6 of B are still owed: the supplier may replace them
    assert ret is not None and ret.status == "open" and ret.number.startswith("RS-2026-")
    assert [(ln.quantity, ln.reason, ln.from_stock) for ln in ret.lines] == [(6, "damaged", False)]
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"receipt.create", "supplier_return.create"} <= actions

    receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW,
                                     lines=[ReceiveLineInput(1, lb.id, received=6)])
    assert po.status == "received" and po.received_at == NOW
    with pytest.raises(InvalidState):
        receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW,
                                         lines=[ReceiveLineInput(0, la.id, received=1)])


def test_over_receipt_beyond_the_tolerance_is_refused_naming_the_line(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    la, lb = po.lines
    with pytest.raises(ValidationFailed) as err:
        receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW, lines=[
            ReceiveLineInput(0, la.id, received=105), ReceiveLineInput(1, lb.id, received=43)])
    (only,) = err.value.data["errors"]
    assert only["field"] == "lines-1-received" and only["message"].startswith("Line 2 (B-2)")
    assert "at most 42 more" in only["message"]
    assert _on_hand(session, la.product_id, po.warehouse_id) == 0  # nothing was written
    set_setting(session, TEST_ACTOR, "over_receipt_tolerance_pct", 10)
    receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW,
                                     lines=[ReceiveLineInput(1, lb.id, received=43)])
    assert lb.accepted_quantity == 43


@pytest.mark.parametrize(("line", "field", "text"), [
    ({"received": 5, "rejected": 6, "reason": "damaged"}, "rejected", "more than received"),
    ({"received": 5, "rejected": 2, "reason": None}, "reason", "choose a rejection reason"),
    ({"received": 5, "rejected": 2, "reason": "made up"}, "reason", "choose a rejection reason"),
    ({"received": -1}, "received", "negative"),
    ({"received": 0}, "received", "at least one line"),
])
def test_inspection_input_errors_name_the_field(session: Session, po, line: dict, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as err:
        receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW,
                                         lines=[ReceiveLineInput(0, po.lines[0].id, **line)])
    assert err.value.data["errors"][0]["field"] == f"lines-0-{field}"
    assert text in err.value.data["errors"][0]["message"]


def test_receiving_against_a_notice_marks_it_received_and_prefills_its_quantities(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    la, _lb = po.lines
    notice = ShipmentNotice(number="ASN-9", purchase_order_id=po.id, supplier_id=po.supplier_id, ship_date=NOW.date(),
                            expected_date=NOW.date(), lines=[ShipmentNoticeLine(purchase_order_line_id=la.id, quantity=60)])
    session.add(notice)
    session.flush()
    assert receiving.prefill_quantities(session, po, notice) == {la.id: 60}
    result = receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW, notice_id=notice.id,
                                              lines=[ReceiveLineInput(0, la.id, received=60)])
    assert notice.status == "received" and result.receipt.shipment_notice_id == notice.id
    with pytest.raises(InvalidState):
        receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW, notice_id=notice.id,
                                         lines=[ReceiveLineInput(0, la.id, received=1)])


def test_a_draft_cannot_be_received(session: Session) -> None:
    make_warehouse(session, kind="cloud")
    supplier = make_supplier(session)
    p = make_product(session)
    make_price(session, supplier, p)
    draft = make_po(session, supplier, [(p, 5)], send=False)
    with pytest.raises(InvalidState, match="not awaiting goods"):
        receiving.receive_purchase_order(session, TEST_ACTOR, number=draft.number, now=NOW,
                                         lines=[ReceiveLineInput(0, draft.lines[0].id, received=5)])


def test_shipping_a_return_takes_only_stock_lines_off_on_hand_then_it_can_be_closed(session: Session) -> None:
    wh = make_warehouse(session, kind="cloud")
    supplier = make_supplier(session)
    kept, rejected = make_product(session), make_product(session)
    receive_stock(session, kept, wh, 10)
    ret = SupplierReturn(number="RS-T-1", supplier_id=supplier.id, warehouse_id=wh.id, lines=[
        SupplierReturnLine(product_id=kept.id, quantity=4, from_stock=True, reason="quality defect"),
        SupplierReturnLine(product_id=rejected.id, quantity=3, from_stock=False, reason="damaged"),
    ])
    session.add(ret)
    session.flush()
    with pytest.raises(InvalidState):
        returns.close_return(session, TEST_ACTOR, number="RS-T-1", now=NOW)
    returns.ship_return(session, TEST_ACTOR, number="RS-T-1", now=NOW)
    assert ret.status == "shipped" and ret.shipped_at == NOW
    assert _on_hand(session, kept.id, wh.id) == 6
    assert _on_hand(session, rejected.id, wh.id) == 0
    moves = session.scalars(select(StockMovement).where(StockMovement.reference_id == "RS-T-1")).all()
    assert [(m.kind, m.quantity, m.product_id) for m in moves] == [("supplier_return", -4, kept.id)]
    with pytest.raises(InvalidState):
        returns.ship_return(session, TEST_ACTOR, number="RS-T-1", now=NOW)
    returns.close_return(session, TEST_ACTOR, number="RS-T-1", now=NOW)
    assert ret.status == "closed"


def test_shipping_a_stock_return_needs_the_stock(session: Session) -> None:
    wh = make_warehouse(session, kind="cloud")
    supplier = make_supplier(session)
    p = make_product(session)
    receive_stock(session, p, wh, 2)
    session.add(SupplierReturn(number="RS-T-2", supplier_id=supplier.id, warehouse_id=wh.id,
                               lines=[SupplierReturnLine(product_id=p.id, quantity=5, from_stock=True)]))
    session.flush()
    with pytest.raises(StockRuleBroken):
        returns.ship_return(session, TEST_ACTOR, number="RS-T-2", now=NOW)
