"""Purchase order service: drafts with defaults and line checks, send, cancel, numbering."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.errors import InvalidState, ValidationFailed
from app.purchasing import orders
from app.purchasing.models import ShipmentNotice, ShipmentNoticeLine
from app.suppliers.service import PriceInput, save_price
from tests.factories import TEST_ACTOR, make_price, make_product, make_supplier, make_warehouse

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def _line(i: int, sku: str, qty: int | None, **kw: object) -> orders.POLineInput:
    return orders.POLineInput(index=i, sku=sku, quantity=qty, **kw)  # type: ignore[arg-type]


@pytest.fixture
def setup(session: Session):  # type: ignore[no-untyped-def]
    cloud = make_warehouse(session, code="CLOUD-1", kind="cloud")
    make_warehouse(session, code="BJ-01", kind="forward")
    supplier = make_supplier(session)
    towel = make_product(session, sku="TOWEL")
    mask = make_product(session, sku="MASK", pack_size=1)
    make_price(session, supplier, towel, unit_price=Decimal("3.5000"), moq=10, pack_size=5, lead_time_days=12)
    return cloud, supplier, towel, mask


def test_draft_defaults_price_and_promised_date_from_the_price_list_and_goes_to_the_cloud(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    cloud, supplier, _towel, _mask = setup
    po = orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, lines=[_line(0, "TOWEL", 20)],
                                      today=TODAY)
    assert po.status == "draft" and po.warehouse_id == cloud.id
    assert re.fullmatch(r"PO-2026-\d{6}", po.number) and po.number.endswith(f"{po.id:06d}")
    (line,) = po.lines
    assert line.unit_price == Decimal("3.5000") and line.promised_date == TODAY + dt.timedelta(days=12)
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.entity_id == po.number)) == "purchase_order.create"


def test_every_broken_line_rule_is_reported_naming_line_and_field(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, _towel, _mask = setup
    with pytest.raises(ValidationFailed) as err:
        orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, today=TODAY, lines=[
            _line(0, "TOWEL", 5), _line(1, "TOWEL", 12), _line(2, "MASK", 4), _line(3, "NOPE", 1),
        ])
    by_field = {e["field"]: e["message"] for e in err.value.data["errors"]}
    assert "below the supplier's minimum order quantity 10" in by_field["lines-0-quantity"]
    assert by_field["lines-0-quantity"].startswith("Line 1 (TOWEL)")
    assert "already ordered on line 1" in by_field["lines-1-sku"]
    assert "not a multiple of the pack size 5 (try 10 or 15)" in by_field["lines-1-quantity"]
    assert "no valid price" in by_field["lines-2-unit_price"]  # MASK has no price from this supplier
    assert "no product with SKU 'NOPE'" in by_field["lines-3-sku"]


def test_an_entered_price_is_used_when_the_supplier_has_none_and_past_promised_dates_are_refused(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, _towel, _mask = setup
    po = orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, today=TODAY,
                                      lines=[_line(0, "MASK", 3, unit_price=Decimal("1.25"))])
    assert po.lines[0].unit_price == Decimal("1.25") and po.lines[0].promised_date == TODAY + dt.timedelta(days=7)
    with pytest.raises(ValidationFailed) as err:
        orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, today=TODAY,
                                     lines=[_line(0, "MASK", 3, unit_price=Decimal("1"),
                                                  promised_date=TODAY - dt.timedelta(days=1))])
    assert err.value.data["errors"][0]["field"] == "lines-0-promised_date"


def test_an_expired_price_is_not_used_as_default(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, _towel, mask = setup
    make_price(session, supplier, mask, unit_price=Decimal("9"), valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31))
    with pytest.raises(ValidationFailed):
        orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, today=TODAY, lines=[_line(0, "MASK", 1)])


def test_editing_replaces_the_lines_of_a_draft_only(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, _towel, _mask = setup
    po = orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, lines=[_line(0, "TOWEL", 20)], today=TODAY)
    orders.update_draft(session, TEST_ACTOR, number=po.number, today=TODAY,
                        lines=[_line(0, "TOWEL", 30), _line(1, "MASK", 2, unit_price=Decimal("1"))])
    assert [(ln.line_no, ln.product.sku, ln.quantity) for ln in po.lines] == [(1, "TOWEL", 30), (2, "MASK", 2)]
    orders.send_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW)
    assert po.status == "sent" and po.sent_at == NOW
    with pytest.raises(InvalidState):
        orders.update_draft(session, TEST_ACTOR, number=po.number, today=TODAY, lines=[_line(0, "TOWEL", 10)])
    with pytest.raises(InvalidState):
        orders.send_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW)


def test_cancel_cancels_lines_and_open_notices_but_not_after_goods_arrived(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, _towel, _mask = setup
    po = orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, lines=[_line(0, "TOWEL", 20)], today=TODAY)
    orders.send_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW)
    notice = ShipmentNotice(number="ASN-1", purchase_order_id=po.id, supplier_id=supplier.id, ship_date=TODAY,
                            expected_date=TODAY, lines=[ShipmentNoticeLine(purchase_order_line_id=po.lines[0].id, quantity=20)])
    session.add(notice)
    session.flush()
    orders.cancel_purchase_order(session, TEST_ACTOR, number=po.number, now=NOW)
    assert po.status == "cancelled" and po.lines[0].status == "cancelled" and notice.status == "cancelled"
    other = orders.create_purchase_order(session, TEST_ACTOR, supplier_id=supplier.id, lines=[_line(0, "TOWEL", 20)], today=TODAY)
    other.lines[0].received_quantity = 1
    session.flush()
    with pytest.raises(InvalidState, match="received goods"):
        orders.cancel_purchase_order(session, TEST_ACTOR, number=other.number, now=NOW)


def test_only_one_preferred_supplier_per_product_over_overlapping_dates(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, towel, _mask = setup
    rival = make_supplier(session)
    old = make_price(session, rival, towel, is_preferred=True, valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2024, 12, 31))
    current = make_price(session, rival, towel, is_preferred=True, valid_from=dt.date(2025, 1, 1))
    data = PriceInput(sku="TOWEL", unit_price="3.10", moq=10, pack_size=5, lead_time_days=10,
                      valid_from=dt.date(2026, 1, 1), valid_to=None, is_preferred=True)
    price = save_price(session, TEST_ACTOR, supplier_id=supplier.id, data=data)
    session.refresh(old)
    session.refresh(current)
    assert price.is_preferred and price.unit_price == Decimal("3.10")
    assert current.is_preferred is False  # overlaps 2026 onwards
    assert old.is_preferred is True  # ended before the new price starts


@pytest.mark.parametrize(("changes", "field"), [
    ({"unit_price": "-1"}, "unit_price"), ({"unit_price": "abc"}, "unit_price"), ({"moq": 0}, "moq"),
    ({"pack_size": 0}, "pack_size"), ({"valid_to": dt.date(2025, 12, 31)}, "valid_to"), ({"sku": "NOPE"}, "sku"),
])
def test_price_validation_names_the_bad_field(session: Session, setup, changes: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    _cloud, supplier, _towel, _mask = setup
    base = {"sku": "TOWEL", "unit_price": "3", "moq": 1, "pack_size": 1, "lead_time_days": 3,
            "valid_from": dt.date(2026, 1, 1), "valid_to": None}
    with pytest.raises(ValidationFailed) as err:
        save_price(session, TEST_ACTOR, supplier_id=supplier.id, data=PriceInput(**{**base, **changes}))
    assert field in [e["field"] for e in err.value.data["errors"]]
