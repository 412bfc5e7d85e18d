"""A supplier's shipment notice that the service refuses comes back as typed (quantities,
carrier, tracking number), with the error beside the field it is about, not only in a banner."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.db import transaction, utcnow
from app.purchasing.models import ShipmentNotice
from tests.browser.conftest import LiveServer, login_supplier_in_browser, shot
from tests.factories import PASSWORD, make_product, make_supplier, make_supplier_user, make_warehouse
from tests.factories_purchasing import confirm_as_ordered, make_po


def test_asn_form_keeps_what_was_typed_and_shows_errors_beside_fields(live_server: LiveServer, page: Any,
                                                                        committed_app: Any) -> None:
    today = utcnow().date()
    with transaction() as s:
        supplier = make_supplier(s, code="HZL", name="Hangzhou Linen Co")
        towel = make_product(s, sku="HL-TOWEL-1", name="Bamboo towel", specification="70×140 / White")
        sheet = make_product(s, sku="HL-SHEET-2", name="Linen sheet")
        wh = make_warehouse(s, code="CLOUD-HZ", name="Hangzhou cloud", kind="cloud")
        po = make_po(s, supplier, wh, [(towel, 100, "12.00", today + dt.timedelta(days=5)),
                                       (sheet, 50, "30.00", today + dt.timedelta(days=5))],
                     sent_at=utcnow() - dt.timedelta(days=2))
        confirm_as_ordered(po, utcnow())
        email, po_id = make_supplier_user(s, supplier).email, po.id
    base = live_server.url
    login_supplier_in_browser(page, base, email, PASSWORD)
    page.goto(f"{base}/portal/orders/{po_id}/shipments/new")
    assert "70×140 / White" in page.locator("table").inner_text()
    page.fill("input[name=carrier]", "SF Express")
    page.fill("input[name=tracking_number]", "SF1234567890")
    line1 = page.locator("tr[data-line='1'] input[type=number]")
    line1.fill("120")  # more than the 100 open on line 1
    page.locator("tr[data-line='2'] input[type=number]").fill("20")
    page.click("text=Send shipment notice")
    page.wait_for_selector("small.error")
    # What was typed is still there.
    assert page.input_value("input[name=carrier]") == "SF Express"
    assert page.input_value("input[name=tracking_number]") == "SF1234567890"
    assert line1.input_value() == "120"
    assert page.locator("tr[data-line='2'] input[type=number]").input_value() == "20"
    # The error sits in line 1's cell, naming it; line 2 has none.
    error = page.locator("tr[data-line='1'] small.error")
    assert error.count() == 1 and "Line 1" in error.inner_text()
    assert page.locator("tr[data-line='2'] small.error").count() == 0
    shot(page, "portal-asn-after-error")

    line1.fill("100")
    page.fill("input[name=expected_date]", (today - dt.timedelta(days=1)).isoformat())  # before the ship date
    page.click("text=Send shipment notice")
    page.wait_for_selector("small.error[data-field=expected_date]")
    assert page.input_value("input[name=carrier]") == "SF Express" and line1.input_value() == "100"
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(ShipmentNotice)) == 0  # nothing half-written
    page.fill("input[name=expected_date]", (today + dt.timedelta(days=3)).isoformat())
    page.click("text=Send shipment notice")
    page.wait_for_selector(".flash-success")
    with transaction() as s:
        notice = s.scalars(select(ShipmentNotice)).one()
        assert (notice.carrier, notice.tracking_number) == ("SF Express", "SF1234567890")
