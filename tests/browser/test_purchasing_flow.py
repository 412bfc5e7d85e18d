"""Purchasing and warehouse in a real browser: draft a PO with two lines, send it, receive it
with a partial rejection, then see the stock and the return document."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.db import transaction, utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_category, make_price, make_product, make_staff_user, make_supplier, make_warehouse


def _arrange() -> dict[str, str]:
    with transaction() as s:
        cloud = make_warehouse(s, code="CLOUD-SH", name="Shanghai cloud", kind="cloud", region="east", city="Shanghai")
        make_warehouse(s, code="BJ-01", name="Beijing forward", region="north", city="Beijing")
        cat = make_category(s, name="Bath")
        towel = make_product(s, sku="HL-TOWEL-1", name="Bamboo bath towel", category_id=cat.id, style_number="HL-77",
                             specification="70×140 cm, sage")
        mask = make_product(s, sku="HE-MASK-9", name="Face mask (box of 50)")
        supplier = make_supplier(s, code="NB1", name="Ningbo Textiles Co.", country="China")
        make_price(s, supplier, towel, unit_price=Decimal("3.2000"), moq=20, pack_size=10, lead_time_days=14)
        make_price(s, supplier, mask, unit_price=Decimal("0.8500"), lead_time_days=5)
        # some demand history so the chart has something to draw
        now = utcnow()
        effects = [StockEffect(towel.id, cloud.id, "receipt", 900, occurred_at=now - dt.timedelta(days=330))]
        effects += [StockEffect(towel.id, cloud.id, "shipment", -(3 + (d * 7) % 11), occurred_at=now - dt.timedelta(days=d))
                    for d in range(1, 320, 4)]
        post_stock_effects(s, effects, source="tests", now=now)
        buyer, keeper = make_staff_user(s, "purchasing"), make_staff_user(s, "warehouse")
        return {"buyer": buyer.email, "keeper": keeper.email}


def test_purchasing_drafts_and_sends_a_po_and_the_warehouse_receives_it_with_a_rejection(
        live_server: LiveServer, page: Any, committed_app: Any) -> None:
    users = _arrange()
    base = live_server.url
    page.on("dialog", lambda d: d.accept())  # data-confirm prompts

    login_in_browser(page, base, users["buyer"], PASSWORD)
    page.goto(f"{base}/suppliers/NB1")
    shot(page, "supplier-detail")
    page.click("text=New purchase order")
    page.fill("input[name='lines-0-sku']", "HL-TOWEL-1")
    page.fill("input[name='lines-0-quantity']", "25")  # not a multiple of the pack size 10
    page.fill("input[name='lines-1-sku']", "HE-MASK-9")
    page.fill("input[name='lines-1-quantity']", "40")
    shot(page, "po-new")
    page.click("button:has-text('Save draft')")
    error = page.locator("small.error[data-field='lines-0-quantity']")
    assert "not a multiple of the pack size 10" in error.inner_text()
    shot(page, "po-new-error")
    page.fill("input[name='lines-0-quantity']", "30")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("h1 .status-draft")
    number = page.locator("h1 .mono").inner_text()
    assert number.startswith("PO-")
    assert page.locator("#lines tbody tr").count() == 2
    shot(page, "po-draft")
    page.click("button:has-text('Send to supplier')")
    page.wait_for_selector("h1 .status-sent")
    assert "sent to the supplier" in page.locator(".flash-success").inner_text()
    shot(page, "po-sent")
    page.goto(f"{base}/purchase-orders")
    assert number in page.locator("table.data").inner_text()
    shot(page, "po-list")
    page.click("button:has-text('Log out')")

    login_in_browser(page, base, users["keeper"], PASSWORD)
    page.goto(f"{base}/receiving")
    assert number in page.locator("table.data").inner_text()
    shot(page, "receiving-queue")
    page.click(f"tr:has-text('{number}') >> text=Receive")
    assert page.locator("input[name='lines-0-received']").input_value() == "30"
    page.fill("input[name='lines-0-rejected']", "4")
    page.select_option("select[name='lines-0-reason']", "damaged")
    page.fill("input[name='lines-1-received']", "25")  # partial: 15 masks still to come
    shot(page, "receive-form")
    page.click("button:has-text('Record receipt')")
    page.wait_for_selector("h1 .status-partially_received")
    assert "Rejected goods are on return RS-" in page.locator(".flash-warning").inner_text()
    shot(page, "po-after-receipt")

    page.goto(f"{base}/products/HL-TOWEL-1")
    stock = page.locator("#stock").inner_text()
    assert "CLOUD-SH" in stock
    page.wait_for_selector("div.echart.drawn svg")  # the demand chart is drawn
    movements = page.locator("table.data").last.inner_text()
    assert "+26" in movements and "GR-" in movements
    shot(page, "product-detail")

    page.goto(f"{base}/returns")
    page.click("table.data tbody tr >> nth=0 >> a")
    assert "damaged" in page.locator("table.data").inner_text()
    shot(page, "return-detail")
    page.click("button:has-text('Mark shipped')")
    page.wait_for_selector("h1 .status-shipped")
    shot(page, "return-shipped")

    page.goto(f"{base}/stock?q=HL-TOWEL")
    assert "CLOUD-SH" in page.locator("table.data").inner_text()
    page.goto(f"{base}/products")
    shot(page, "products-list")
