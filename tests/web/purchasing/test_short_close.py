"""A buyer closes the outstanding rest of a partially received PO with a reason (audited): it
leaves receiving and on-order, its open notices are cancelled; without a reason nothing changes."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.db import utcnow
from app.purchasing.models import PurchaseOrder
from tests.factories import make_product, make_supplier, make_warehouse
from tests.factories_purchasing import make_po
from tests.web.clients import csrf_token, login_as


def test_short_close_with_a_reason_is_audited_and_leaves_receiving(client: Any, session: Session) -> None:
    supplier, wh = make_supplier(session), make_warehouse(session, kind="cloud")
    p = make_product(session, sku="SHORT-1")
    po = make_po(session, supplier, wh, [(p, 40, "2.00", utcnow().date() + dt.timedelta(days=3))],
                 status="partially_received")
    po.lines[0].received_quantity, po.lines[0].accepted_quantity, po.lines[0].rejected_quantity = 40, 23, 17
    number = po.number
    login_as(client, session, "purchasing")
    page = client.get(f"/purchase-orders/{number}").text
    assert "Close the rest" in page
    assert number in client.get("/receiving").text

    refused = client.post(f"/purchase-orders/{number}/short-close", data={"csrf_token": csrf_token(page), "reason": " "})
    assert refused.status_code == 302
    assert session.scalars(select(PurchaseOrder).where(PurchaseOrder.number == number)).one().status == \
        "partially_received"

    done = client.post(f"/purchase-orders/{number}/short-close",
                       data={"csrf_token": csrf_token(page), "reason": "rejected goods will not be replaced"},
                       follow_redirects=True)
    assert "closed short" in done.text
    session.expire_all()
    closed = session.scalars(select(PurchaseOrder).where(PurchaseOrder.number == number)).one()
    assert closed.status == "closed" and closed.closed_at is not None
    assert "rejected goods will not be replaced" in (closed.notes or "")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "purchase_order.short_close")).one()
    details = json.loads(entry.details or "{}")
    assert details["reason"] == "rejected goods will not be replaced" and details["outstanding"] == {"1": 17}
    assert number not in re.findall(r">(PO-[^<]+)</a>", client.get("/receiving").text)
