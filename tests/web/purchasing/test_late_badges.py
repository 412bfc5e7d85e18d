"""Late goods are marked where people work (Receiving, the PO list, the portal), and Receiving
lists overdue and due-today orders first."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from tests.factories import make_product, make_supplier, make_supplier_user, make_warehouse
from tests.factories_purchasing import confirm_as_ordered, make_po
from tests.web.clients import login_as, login_supplier


def test_receiving_sorts_overdue_and_due_today_first_and_marks_them(client: Any, session: Session) -> None:
    today = utcnow().date()
    supplier, wh = make_supplier(session), make_warehouse(session, kind="cloud")
    p = make_product(session)
    # sent in this order (the old sort), due in another
    later = make_po(session, supplier, wh, [(p, 5, "1", today + dt.timedelta(days=9))], number="PO-LATER",
                    sent_at=utcnow() - dt.timedelta(days=50))
    today_po = make_po(session, supplier, wh, [(p, 5, "1", today)], number="PO-TODAY",
                       sent_at=utcnow() - dt.timedelta(days=40))
    late = make_po(session, supplier, wh, [(p, 5, "1", today - dt.timedelta(days=44))], number="PO-LATE",
                   sent_at=utcnow() - dt.timedelta(days=30))
    assert later and today_po and late
    login_as(client, session, "warehouse")
    html = client.get("/receiving").text
    assert re.findall(r">(PO-[A-Z]+)</a>", html) == ["PO-LATE", "PO-TODAY", "PO-LATER"]
    assert "44 day(s) late" in html and "due today" in html
    orders = client.get("/purchase-orders").text
    assert "44 day(s) late" in orders


def test_portal_marks_late_confirmed_lines_not_yet_shipped(client: Any, session: Session) -> None:
    today = utcnow().date()
    supplier, wh = make_supplier(session), make_warehouse(session, kind="cloud")
    p = make_product(session, sku="LATE-1")
    po = make_po(session, supplier, wh, [(p, 5, "1", today - dt.timedelta(days=3))],
                 sent_at=utcnow() - dt.timedelta(days=20))
    confirm_as_ordered(po, utcnow())
    user = make_supplier_user(session, supplier)
    assert login_supplier(client, user.email).status_code == 302
    home = client.get("/portal/").text
    section = home.split("Confirmed lines not yet shipped")[1].split("<h2>")[0]
    assert "LATE-1" in section and "3 day(s) late" in section
