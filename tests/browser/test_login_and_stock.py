"""A staff user logs in with a real browser and sees the stock overview."""
from __future__ import annotations

from typing import Any

from app.db import transaction
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_product, make_staff_user, make_warehouse, receive_stock


def test_staff_user_logs_in_and_filters_the_stock_overview(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        towel = make_product(s, sku="HL-TOWEL-1", name="Bamboo bath towel")
        make_product(s, sku="HE-MASK-9", name="Face mask")
        receive_stock(s, towel, make_warehouse(s, code="BJ-01", name="Beijing"), 42)
        user = make_staff_user(s, "viewer")
        email = user.email
    login_in_browser(page, live_server.url, email, PASSWORD)
    assert page.locator("h1").inner_text() == "Dashboard"  # the landing page
    page.click("nav.mainnav >> text=Stock")
    assert page.locator("h1").inner_text() == "Stock overview"
    page.fill("input[name=q]", "towel")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1
    assert "HL-TOWEL-1" in rows.first.inner_text() and "42" in rows.first.inner_text()
    shot(page, "stock-overview")
