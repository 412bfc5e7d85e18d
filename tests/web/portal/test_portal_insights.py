"""The supplier's stock view, scorecard and exports — and nothing of any other supplier."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_price, make_warehouse, receive_stock
from tests.factories_purchasing import confirm_as_ordered, make_po, make_receipt
from tests.web.clients import chart_options, login_supplier
from tests.web.portal.conftest import SupplierSide


def test_stock_view_shows_days_of_cover_for_supplied_skus_only(client: Any, session: Session,
                                                                two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine, theirs = two_suppliers
    product = mine.sent_po.lines[0].product
    other_product = theirs.sent_po.lines[0].product
    wh = make_warehouse(session, code="SH-01", name="Shanghai")
    receive_stock(session, product, wh, 200)
    receive_stock(session, other_product, wh, 77)
    now = utcnow()
    post_stock_effects(session, [  # 56 shipped, 0 returned over the last 28 days → 2 a day
        StockEffect(product.id, wh.id, "shipment", -28, occurred_at=now - dt.timedelta(days=3)),
        StockEffect(product.id, wh.id, "shipment", -28, occurred_at=now - dt.timedelta(days=20)),
        StockEffect(product.id, wh.id, "shipment", -100, occurred_at=now - dt.timedelta(days=40)),  # too old
    ], source="tests", now=now)
    login_supplier(client, mine.email)
    page = client.get("/portal/stock")
    assert page.status_code == 200
    row = re.search(rf"{product.sku}.*?</tr>", page.text, re.S).group(0)
    assert "SH-01" in row and ">44<" in row and ">56<" in row and ">2.0<" in row and ">22.0<" in row
    assert other_product.sku not in page.text


def test_scorecard_page_and_csv_show_the_suppliers_own_figures(client: Any, session: Session,
                                                                two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine = two_suppliers[0]
    po = mine.confirmed_po
    po.lines[0].promised_date = po.lines[0].confirmed_date = utcnow().date() - dt.timedelta(days=1)
    make_receipt(session, po, [(po.lines[0], 60, 57)], received_at=utcnow())
    login_supplier(client, mine.email)
    page = client.get("/portal/scorecard")
    assert page.status_code == 200
    assert "How the score is computed" in page.text and len(chart_options(page.text)) == 2
    assert "95.00%" in page.text  # quality: 57 of 60 accepted
    exported = client.get("/portal/scorecard.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [r["window"] for r in rows][-2:] == ["rolling_3m", "rolling_12m"]
    assert rows[-1]["accepted"] == "57" and rows[-1]["inspected"] == "60"
    orders = list(csv.DictReader(io.StringIO(client.get("/portal/orders.csv").data.decode("utf-8-sig"))))
    assert {r["po_number"] for r in orders} == {mine.sent_po.number, mine.confirmed_po.number}


def _portal_pages(client: Any, mine: SupplierSide) -> list[str]:
    pages = ["/portal/", "/portal/orders", "/portal/orders?status=open", "/portal/shipments", "/portal/stock",
             "/portal/scorecard", "/portal/scorecard.csv", "/portal/orders.csv", "/portal/account",
             f"/portal/orders/{mine.sent_po.id}", f"/portal/orders/{mine.confirmed_po.id}",
             f"/portal/orders/{mine.confirmed_po.id}/shipments/new",
             f"/portal/orders/{mine.sent_po.id}/lines/{mine.sent_po.lines[0].id}/reject",
             f"/portal/shipments/{mine.notice.id}"]
    return [client.get(p).text for p in pages]


def test_no_portal_page_shows_another_suppliers_name_or_figures(app: Any, client: Any, session: Session,
                                                                 two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine, theirs = two_suppliers
    # The rival supplies the same SKU at a distinctive price, and has its own history.
    shared = mine.sent_po.lines[0].product
    make_price(session, theirs.supplier, shared, unit_price=Decimal("987.6543"))
    rival_po = make_po(session, theirs.supplier, make_warehouse(session), [(shared, 4321, "987.6543",
                                                                            utcnow().date() - dt.timedelta(days=2))],
                       sent_at=utcnow() - dt.timedelta(days=9))
    confirm_as_ordered(rival_po, utcnow() - dt.timedelta(days=8))
    make_receipt(session, rival_po, [(rival_po.lines[0], 4321, 3000)], received_at=utcnow() - dt.timedelta(days=1))
    login_supplier(client, mine.email)
    texts = _portal_pages(client, mine)
    assert all(t for t in texts)
    # (The 3,000 accepted units become *our* stock of the shared SKU, which the stock page
    # shares on purpose; the rival's order, price and rejection figures must not show.)
    secrets = [theirs.supplier.name, theirs.supplier.code, theirs.email, theirs.sent_po.number,
               theirs.confirmed_po.number, rival_po.number, theirs.notice.number, "987.65", "4321", "4,321",
               "1321", "1,321", f"SF-{theirs.supplier.code}", theirs.sent_po.lines[1].product.sku]
    for text in texts:
        text = re.sub(r'name="csrf_token"[^>]*>', "", text)  # random tokens could contain digits
        for secret in secrets:
            assert secret not in text, secret
    # Every portal GET page without an id was visited.
    static = {r.rule for r in app.url_map.iter_rules()
              if r.endpoint.startswith("portal.") and not r.arguments and "GET" in r.methods}
    assert static <= {"/portal/", "/portal/orders", "/portal/shipments", "/portal/stock", "/portal/scorecard",
                      "/portal/scorecard.csv", "/portal/orders.csv", "/portal/login", "/portal/account"}


def test_a_supplier_without_deliveries_due_sees_no_data_not_a_grade(client: Any, session: Session,
                                                                    two_suppliers: tuple[SupplierSide, SupplierSide]) -> None:
    mine, _theirs = two_suppliers
    login_supplier(client, mine.email)
    page = client.get("/portal/scorecard").text
    head = page.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "no data" in head and "standing-A" not in head
    assert "Lead time, median (days)" in page and "Lead time P10–P90 (days)" in page
    header = client.get("/portal/scorecard.csv").text.splitlines()[0]
    assert header.endswith("lead_time_median_days,lead_time_p10_days,lead_time_p90_days")
