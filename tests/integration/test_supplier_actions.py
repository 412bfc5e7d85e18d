"""The supplier's actions on its POs: confirm, change, reject, announce shipments."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.audit.models import AuditEntry
from app.audit.service import Actor
from app.errors import InvalidState, NotFound, ValidationFailed
from app.purchasing.models import ShipmentNotice
from app.suppliers.portal.actions import (
    LineConfirmation,
    confirm_po_lines,
    create_shipment_notice,
    reject_po_line,
)
from tests.factories import make_product, make_supplier, make_warehouse
from tests.factories_purchasing import NOW, make_po, make_receipt

ACTOR = Actor("supplier", 1, "rep@supplier.test")
DUE = dt.date(2026, 3, 20)


@pytest.fixture
def po(session: Session):  # type: ignore[no-untyped-def]
    supplier = make_supplier(session, name="Acme")
    return make_po(session, supplier, make_warehouse(session, kind="cloud"),
                   [(make_product(session), 100, "5.00", DUE), (make_product(session), 40, "2.00", DUE)])


def _alerts(session: Session) -> list[dict]:
    return [json.loads(a.details) for a in session.scalars(select(Alert).where(Alert.kind == "supplier_update"))]


def test_confirming_the_whole_po_confirms_every_line_as_ordered(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, confirmations=None, now=NOW)
    assert po.status == "confirmed" and po.confirmed_at == NOW
    assert [(ln.status, ln.confirmed_quantity, ln.confirmed_date) for ln in po.lines] == [
        ("confirmed", 100, DUE), ("confirmed", 40, DUE)]
    assert _alerts(session)[0]["event"] == "confirm" and _alerts(session)[0]["po_status"] == "confirmed"
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "po.supplier_confirm")).one()
    assert audit.actor_type == "supplier" and audit.entity_id == str(po.id)


def test_a_changed_quantity_or_date_marks_the_line_changed(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    later = DUE + dt.timedelta(days=5)
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW, confirmations=[
        LineConfirmation(po.lines[0].id, 100, later)])
    assert po.lines[0].status == "changed" and po.lines[0].confirmed_date == later
    assert po.status == "sent"  # line 2 is still open
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW, confirmations=[
        LineConfirmation(po.lines[1].id, 30, DUE)])
    assert po.lines[1].status == "changed" and po.lines[1].confirmed_quantity == 30
    assert po.status == "confirmed"
    assert "changed line(s) 2" in session.scalars(select(Alert.message).order_by(Alert.id.desc())).first()


def test_rejecting_every_line_rejects_the_po(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    for line in po.lines:
        reject_po_line(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, line_id=line.id,
                       reason="discontinued", now=NOW)
    assert po.status == "rejected" and po.confirmed_at is None
    assert [ln.reject_reason for ln in po.lines] == ["discontinued", "discontinued"]
    assert [a["event"] for a in _alerts(session)] == ["reject_line", "reject_line"]


def test_a_rejected_line_beside_a_confirmed_one_leaves_the_po_confirmed(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    reject_po_line(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, line_id=po.lines[1].id,
                   reason="out of stock", now=NOW)
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW)
    assert po.status == "confirmed" and [ln.status for ln in po.lines] == ["confirmed", "rejected"]


def test_rejecting_needs_a_reason_and_an_open_line(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed):
        reject_po_line(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, line_id=po.lines[0].id,
                       reason="  ", now=NOW)
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW)
    with pytest.raises(InvalidState):
        reject_po_line(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, line_id=po.lines[0].id,
                       reason="late", now=NOW)


def test_another_supplier_cannot_touch_the_po(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    other = make_supplier(session)
    with pytest.raises(NotFound):
        confirm_po_lines(session, ACTOR, supplier_id=other.id, po_id=po.id, now=NOW)
    with pytest.raises(NotFound):
        reject_po_line(session, ACTOR, supplier_id=other.id, po_id=po.id, line_id=po.lines[0].id, reason="x", now=NOW)
    with pytest.raises(NotFound):
        create_shipment_notice(session, ACTOR, supplier_id=other.id, po_id=po.id, quantities={}, now=NOW,
                               ship_date=DUE, expected_date=DUE)


def test_a_draft_po_is_invisible_to_its_supplier(session: Session) -> None:
    supplier = make_supplier(session)
    draft = make_po(session, supplier, make_warehouse(session), [(make_product(session), 5, "1", DUE)],
                    status="draft", sent_at=None)
    with pytest.raises(NotFound):
        confirm_po_lines(session, ACTOR, supplier_id=supplier.id, po_id=draft.id, now=NOW)


def _notice(session: Session, po, qty_by_line: dict[int, int]) -> ShipmentNotice:  # type: ignore[no-untyped-def]
    return create_shipment_notice(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id,
                                  quantities=qty_by_line, ship_date=DUE, expected_date=DUE + dt.timedelta(days=2),
                                  carrier="SF", tracking_number="SF123", now=NOW)


def test_a_shipment_notice_is_numbered_audited_and_announced(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW)
    notice = _notice(session, po, {po.lines[0].id: 60, po.lines[1].id: 0})
    assert notice.number == f"ASN-2026-{notice.id:06d}"
    assert [(ln.purchase_order_line_id, ln.quantity) for ln in notice.lines] == [(po.lines[0].id, 60)]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "asn.create")).one().entity_id == str(notice.id)
    assert _alerts(session)[-1]["asn_number"] == notice.number


def test_cannot_announce_more_than_is_open_on_a_line(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW, confirmations=[
        LineConfirmation(po.lines[0].id, 80, DUE), LineConfirmation(po.lines[1].id, 40, DUE)])
    first = _notice(session, po, {po.lines[0].id: 50})
    make_receipt(session, po, [(po.lines[0], 10, 10)], received_at=NOW)  # received without the ASN
    # open on line 1: confirmed 80 − in flight 50 − received 10 = 20
    with pytest.raises(ValidationFailed) as err:
        _notice(session, po, {po.lines[0].id: 21})
    assert "line 1" in err.value.detail and f"({po.lines[0].product.sku})" in err.value.detail
    assert "only 20 open" in err.value.detail
    assert _notice(session, po, {po.lines[0].id: 20}).lines[0].quantity == 20
    first.status = "cancelled"  # a cancelled notice announces nothing any more
    session.flush()
    assert _notice(session, po, {po.lines[0].id: 50}).lines[0].quantity == 50


def test_a_shipment_needs_a_confirmed_po_and_something_to_ship(session: Session, po) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidState):
        _notice(session, po, {po.lines[0].id: 1})
    confirm_po_lines(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW)
    with pytest.raises(ValidationFailed):
        _notice(session, po, {po.lines[0].id: 0})
    with pytest.raises(ValidationFailed):
        create_shipment_notice(session, ACTOR, supplier_id=po.supplier_id, po_id=po.id, now=NOW,
                               quantities={po.lines[0].id: 1}, ship_date=DUE, expected_date=DUE - dt.timedelta(days=1))
