"""A supplier confirms a PO (one line changed) and announces the shipment in Chromium;
purchasing receives against the notice with a rejection; both scorecards move.

Receiving goes through the purchasing receiving service (`receive_purchase_order`, merged
from the webcore branch) against the shipment notice; its browser form is covered by
tests/browser/test_purchasing_flow.py."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.audit.service import Actor
from app.db import transaction, utcnow
from app.purchasing.models import PurchaseOrder, ShipmentNotice
from app.purchasing.receiving import ReceiveLineInput, receive_purchase_order
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import (
    PASSWORD,
    make_price,
    make_product,
    make_staff_user,
    make_supplier,
    make_supplier_user,
    make_warehouse,
)
from tests.factories_purchasing import make_po


def test_supplier_confirms_ships_and_both_scorecards_move(live_server: LiveServer, page: Any, browser: Any,
                                                          committed_app: Any) -> None:
    today = utcnow().date()
    with transaction() as s:
        supplier = make_supplier(s, name="Hangzhou Linen Co", code="HZL")
        rival = make_supplier(s, name="Secret Rival Ltd", code="RIV")
        towel, sheet = make_product(s, sku="HL-TOWEL-1", name="Bamboo towel"), make_product(s, sku="HL-SHEET-2",
                                                                                             name="Linen sheet")
        for p, price in ((towel, "12.00"), (sheet, "30.00")):
            make_price(s, supplier, p, unit_price=Decimal(price))
        make_price(s, rival, towel, unit_price=Decimal("14.00"))
        wh = make_warehouse(s, code="CLOUD-HZ", name="Hangzhou cloud", kind="cloud")
        po = make_po(s, supplier, wh, [(towel, 100, "12.00", today + dt.timedelta(days=5)),
                                       (sheet, 50, "30.00", today + dt.timedelta(days=5))],
                     sent_at=utcnow() - dt.timedelta(days=2), number="PO-2026-000777")
        email = make_supplier_user(s, supplier).email
        staff_email = make_staff_user(s, "purchasing").email
        supplier_id, po_id = supplier.id, po.id
    base = live_server.url

    page.goto(f"{base}/portal/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal/")
    assert "PO-2026-000777" in page.locator("main").inner_text()
    shot(page, "portal-home-before")

    page.click("text=PO-2026-000777")
    page.wait_for_url(f"{base}/portal/orders/{po_id}")
    page.fill("tr[data-line='2'] input[name$='-quantity']", "40")  # can only make 40 sheets
    shot(page, "portal-order-confirming")
    page.click("text=Confirm ticked lines")
    page.wait_for_url(f"{base}/portal/orders/{po_id}")
    body = page.locator("main").inner_text()
    assert "2 line(s) of PO-2026-000777 confirmed." in body
    assert page.locator("h1 .status").inner_text() == "confirmed"
    assert page.locator("td .status-changed").count() == 1
    shot(page, "portal-order-confirmed")

    page.click("text=Announce a shipment")
    page.fill("input[name=carrier]", "SF Express")
    page.fill("input[name=tracking_number]", "SF1234567890")
    assert page.input_value("tr[data-line='2'] input[name$='-quantity']") == "40"
    shot(page, "portal-asn-new")
    page.click("text=Send shipment notice")
    page.wait_for_url(lambda url: "/portal/shipments/" in url)
    assert "SF1234567890" in page.locator("main").inner_text()
    asn_number = page.locator("h1 .mono").inner_text()
    assert asn_number.startswith(f"ASN-{today.year}-")
    shot(page, "portal-asn")

    page.goto(f"{base}/portal/scorecard")
    # Before any delivery the price index is shown — towel 12 vs median 13 (index 92.3, spend
    # 1,200), sheet sole-sourced at list (100, spend 1,200) → 96.2 — but with no line due yet
    # there is no score and no standing: "no data" (issue 11, item 13: no data is not a grade).
    assert page.locator("h1 .no-data").inner_text() == "no data"
    assert page.locator("h1 .standing").count() == 0
    assert "96.2" in page.locator("main").inner_text()
    shot(page, "portal-scorecard-before")

    # Purchasing receives against the notice: 10 towels rejected at inspection.
    with transaction() as s:
        po = s.get(PurchaseOrder, po_id)
        notice = s.scalar(select(ShipmentNotice).where(ShipmentNotice.purchase_order_id == po_id))
        receive_purchase_order(s, Actor("staff", None, staff_email), number=po.number, now=utcnow(),
                               notice_id=notice.id, lines=[
                                   ReceiveLineInput(0, po.lines[0].id, 100, 10, "damaged"),
                                   ReceiveLineInput(1, po.lines[1].id, 40)])
        assert notice.status == "received"

    page.goto(f"{base}/portal/scorecard")
    text = page.locator("main").inner_text()
    # 140 inspected, 130 accepted → 92.86 %; both lines complete before the due date → on time.
    assert "92.86%" in text and "100.0%" in text
    # 0.4 × 100 + 0.3 × 92.86 + 0.3 × 84.6 = 93.2 → A
    assert page.locator("h1 .standing").inner_text() == "A" and "93.2" in text
    assert "Secret Rival" not in page.content() and "RIV" not in text
    shot(page, "portal-scorecard")
    page.goto(f"{base}/portal/stock")
    assert "HL-TOWEL-1" in page.locator("main").inner_text()
    shot(page, "portal-stock")
    page.goto(f"{base}/portal/")
    shot(page, "portal-home-after")

    staff = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    login_in_browser(staff, base, staff_email, PASSWORD)
    staff.goto(f"{base}/suppliers/scorecards/{supplier_id}")
    staff_text = staff.locator("main").inner_text()
    assert "92.86%" in staff_text and "damaged" in staff_text and "PO-2026-000777" in staff_text
    assert "Secret Rival Ltd" in staff_text  # staff see the backup supplier for the towel
    shot(staff, "staff-scorecard-detail")
    staff.goto(f"{base}/suppliers/scorecards")
    assert "Hangzhou Linen Co" in staff.locator("table.data").inner_text()
    shot(staff, "staff-scorecard-ranking")
    staff.context.close()
