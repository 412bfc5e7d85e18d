"""Variants of one product can be told apart wherever a product is named (lists, PO lines,
portal, CSV), and a PO has one value, by one rule, in the staff UI and the portal."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from tests.factories import make_product, make_supplier, make_supplier_user, make_warehouse, receive_stock
from tests.factories_purchasing import confirm_as_ordered, make_po
from tests.web.clients import login_as, login_supplier


def _two_variants(session: Session) -> tuple[Any, Any]:
    return (make_product(session, sku="BS-18-BG", name="Bedsheet Set", specification="1.8m / Beige"),
            make_product(session, sku="BS-15-NV", name="Bedsheet Set", specification="1.5m / Navy"))


def test_lists_and_the_products_csv_name_the_variant(client: Any, session: Session) -> None:
    wh = make_warehouse(session, code="CLOUD-1", kind="cloud")
    for p in _two_variants(session):
        receive_stock(session, p, wh, 5)
    login_as(client, session, "viewer")
    for url in ("/products", "/stock"):
        html = client.get(url).text
        assert "1.8m / Beige" in html and "1.5m / Navy" in html, url
    rows = list(csv.reader(io.StringIO(client.get("/products.csv").get_data(as_text=True))))
    assert rows[0][-1] == "Variant"
    assert {(r[0], r[-1]) for r in rows[1:]} == {("BS-18-BG", "1.8m / Beige"), ("BS-15-NV", "1.5m / Navy")}


def test_po_lines_name_the_variant_and_staff_and_portal_show_one_value(client: Any, session: Session) -> None:
    beige, navy = _two_variants(session)
    supplier = make_supplier(session, code="TEX")
    wh = make_warehouse(session, code="CLOUD-1", kind="cloud", name="Shanghai Cloud (Kunshan)", city="Kunshan")
    day = dt.date(2026, 12, 20)
    po = make_po(session, supplier, wh, [(beige, 10, "12.50", day), (navy, 4, "10.00", day)])
    confirm_as_ordered(po, utcnow(), l2=(3, day))  # the supplier confirms 3 of 4 navy
    number, po_id = po.number, po.id
    user = make_supplier_user(session, supplier)
    # the rule: confirmed quantity where confirmed: 10 × 12.50 + 3 × 10.00 = 155.00
    login_as(client, session, "viewer")
    staff = client.get(f"/purchase-orders/{number}").text
    assert "1.8m / Beige" in staff and "1.5m / Navy" in staff
    assert "order value ¥155.00" in staff
    assert "¥155.00" in client.get("/purchase-orders").text
    assert login_supplier(client, user.email).status_code == 302
    portal = client.get(f"/portal/orders/{po_id}").text
    assert "1.8m / Beige" in portal and "order value ¥155.00" in portal
    assert "(Kunshan) (Kunshan)" not in portal and "Shanghai Cloud (Kunshan)" in portal
    assert "¥155.00" in client.get("/portal/orders").text
    rows = list(csv.reader(io.StringIO(client.get("/portal/orders.csv").get_data(as_text=True))))
    assert rows[0][-1] == "variant" and {r[-1] for r in rows[1:]} == {"1.8m / Beige", "1.5m / Navy"}
    assert Decimal("155.00") == sum(ln.value for ln in po.lines)
