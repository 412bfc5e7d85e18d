"""Portal test fixtures: two suppliers with their own users, POs and shipment notices."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.purchasing.models import PurchaseOrder, ShipmentNotice
from app.suppliers.models import Supplier
from app.suppliers.portal.actions import create_shipment_notice
from tests.factories import make_price, make_product, make_supplier, make_supplier_user, make_warehouse
from tests.factories_purchasing import NOW, confirm_as_ordered, make_po


@dataclass
class SupplierSide:
    supplier: Supplier
    email: str
    sent_po: PurchaseOrder  # awaiting confirmation
    confirmed_po: PurchaseOrder  # confirmed, with a shipment notice
    notice: ShipmentNotice


def _side(session: Session, name: str, code: str, warehouse: Any) -> SupplierSide:
    supplier = make_supplier(session, name=name, code=code)
    user = make_supplier_user(session, supplier)
    a, b = make_product(session), make_product(session)
    make_price(session, supplier, a)
    make_price(session, supplier, b)
    due = dt.date(2026, 3, 20)
    sent = make_po(session, supplier, warehouse, [(a, 100, "5.00", due), (b, 40, "7.50", due)])
    confirmed = make_po(session, supplier, warehouse, [(a, 60, "5.00", due)])
    confirm_as_ordered(confirmed, NOW)
    notice = create_shipment_notice(
        session, Actor.system("tests"), supplier_id=supplier.id, po_id=confirmed.id,
        quantities={confirmed.lines[0].id: 20}, ship_date=dt.date(2026, 3, 10), expected_date=dt.date(2026, 3, 12),
        carrier="SF Express", tracking_number=f"SF-{code}", now=NOW,
    )
    return SupplierSide(supplier, user.email, sent, confirmed, notice)


@pytest.fixture
def two_suppliers(session: Session) -> tuple[SupplierSide, SupplierSide]:
    warehouse = make_warehouse(session, kind="cloud", code="CLOUD-1")
    return (_side(session, "Acme Textiles", "ACME", warehouse),
            _side(session, "Zenith Rival Goods", "ZENITH", warehouse))

