"""A supplier's confirmation that changes a line shows on the PO list, the PO and the dashboard
until a buyer acknowledges it (audited); a confirmation as ordered raises nothing there."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.audit.service import Actor
from app.db import utcnow
from app.suppliers.portal.actions import LineConfirmation, confirm_po_lines
from tests.factories import make_product, make_supplier, make_warehouse
from tests.factories_purchasing import make_po
from tests.web.clients import csrf_token, login_as


def test_changed_confirmation_is_flagged_until_acknowledged(client: Any, session: Session) -> None:
    supplier, wh = make_supplier(session), make_warehouse(session, kind="cloud")
    a, b = make_product(session, sku="CHG-A"), make_product(session, sku="CHG-B")
    day = utcnow().date() + dt.timedelta(days=10)
    changed = make_po(session, supplier, wh, [(a, 40, "1", day), (b, 10, "1", day)], number="PO-CHANGED")
    as_ordered = make_po(session, supplier, wh, [(a, 5, "1", day)], number="PO-ASORDERED")
    portal = Actor("supplier", 1, "sales@supplier.test")
    confirm_po_lines(session, portal, supplier_id=supplier.id, po_id=changed.id, now=utcnow(), confirmations=[
        LineConfirmation(changed.lines[0].id, 30, day + dt.timedelta(days=4)),
        LineConfirmation(changed.lines[1].id, 10, day)])
    confirm_po_lines(session, portal, supplier_id=supplier.id, po_id=as_ordered.id, now=utcnow())
    login_as(client, session, "purchasing")

    orders = client.get("/purchase-orders").text
    row_changed = orders.split("PO-CHANGED</a>")[1].split("</tr>")[0]
    row_plain = orders.split("PO-ASORDERED</a>")[1].split("</tr>")[0]
    assert "supplier changed" in row_changed and "supplier changed" not in row_plain
    assert "PO-CHANGED" in client.get("/dashboard").text.split('role="alert"')[1].split("</div>")[0]
    page = client.get("/purchase-orders/PO-CHANGED").text
    assert "changed 1 line(s)" in page and "line 1 (CHG-A): 30 by" in page

    client.post("/purchase-orders/PO-CHANGED/acknowledge", data={"csrf_token": csrf_token(page)})
    assert "supplier changed" not in client.get("/purchase-orders").text.split("PO-CHANGED</a>")[1].split("</tr>")[0]
    assert "changed 1 line(s)" not in client.get("/purchase-orders/PO-CHANGED").text
    assert "PO-CHANGED" not in client.get("/dashboard").text
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "purchase_order.acknowledge_changes")).one()
