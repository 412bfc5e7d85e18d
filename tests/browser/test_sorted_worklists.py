"""Sorting the lists that work happens on, in Chromium: the stock overview by a header click
(the filter kept, the arrow and aria-sort on the column, the filter form keeping the sort) and
the suggestions worklist sorted within its group, still sorted and filtered after approving."""
from __future__ import annotations

from typing import Any

from app.db import transaction
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_price, make_product, make_staff_user, make_supplier, make_warehouse, receive_stock
from tests.planning_data import make_run, make_suggestion


def _first_cells(page: Any, selector: str) -> list[str]:
    return [t.split()[0] for t in page.locator(selector).all_inner_texts()]


def test_stock_overview_sorted_by_a_header_click_keeps_the_filter(
        live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        wh, other = make_warehouse(s, code="BS-CLOUD", kind="cloud"), make_warehouse(s, code="BS-FWD")
        for sku, qty in (("BS-TOWEL-1", 40), ("BS-TOWEL-2", 5), ("BS-TOWEL-3", 120)):
            product = make_product(s, sku=sku, name=f"Bath towel {sku[-1]}")
            receive_stock(s, product, wh, qty)
            receive_stock(s, product, other, 1)
        receive_stock(s, make_product(s, sku="BS-CUP-1", name="Cup"), wh, 999)
        email = make_staff_user(s, "viewer").email
    page.set_viewport_size({"width": 1366, "height": 800})
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/stock")
    page.fill("input[name=q]", "towel")
    page.select_option("select[name=warehouse]", "BS-CLOUD")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**q=towel**")
    assert _first_cells(page, "table.data tbody tr td:nth-child(1)") == ["BS-TOWEL-1", "BS-TOWEL-2", "BS-TOWEL-3"]

    page.locator("th.sortable a", has_text="On hand").click()
    page.wait_for_url("**sort=on_hand**")
    assert _first_cells(page, "table.data tbody tr td:nth-child(1)") == ["BS-TOWEL-2", "BS-TOWEL-1", "BS-TOWEL-3"]
    page.locator("th.sortable a", has_text="On hand").click()   # second click: most first
    page.wait_for_url("**sort=-on_hand**")
    assert _first_cells(page, "table.data tbody tr td:nth-child(1)") == ["BS-TOWEL-3", "BS-TOWEL-1", "BS-TOWEL-2"]
    header = page.locator("th[aria-sort=descending]")
    assert header.inner_text().startswith("On hand") and "▼" in header.inner_text()
    assert "q=towel" in page.url and "warehouse=BS-CLOUD" in page.url
    shot(page, "stock-overview-sorted-desc")

    # Changing the filter keeps the sort: the form carries it.
    page.select_option("select[name=warehouse]", "BS-FWD")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**warehouse=BS-FWD**")
    assert "sort=-on_hand" in page.url and page.locator("th[aria-sort=descending]").count() == 1


def test_suggestions_sorted_in_the_group_stay_sorted_after_approval(
        live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        wh, supplier, run = make_warehouse(s, code="BS-WH", kind="cloud"), make_supplier(s, code="BS-SUP"), make_run(s)
        for sku, quantity, days in (("BS-B", 30, 1.0), ("BS-A", 10, 4.0), ("BS-C", 20, 2.0)):
            product = make_product(s, sku=sku)
            make_price(s, supplier, product)
            make_suggestion(s, run, product, wh, supplier=supplier, quantity=quantity, days_until_stockout=days)
        email = make_staff_user(s, "purchasing").email
    page.set_viewport_size({"width": 1366, "height": 800})
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/suggestions?supplier=BS-SUP")
    rows = "tr[data-suggestion] td.sku"
    assert _first_cells(page, rows) == ["BS-B", "BS-C", "BS-A"]     # most urgent first
    page.locator("th.sortable a", has_text="SKU").click()
    page.wait_for_url("**sort=sku**")
    page.locator("th.sortable a", has_text="SKU").click()
    page.wait_for_url("**sort=-sku**")
    assert _first_cells(page, rows) == ["BS-C", "BS-B", "BS-A"]
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("SKU")

    page.locator("tr[data-suggestion]", has_text="BS-B").locator("input[type=checkbox]").check()
    page.locator(".decision-bar button[name=approve], .decision-bar input[name=approve]").click()
    page.wait_for_selector(".flash, [role=status], .messages")
    assert "supplier=BS-SUP" in page.url and "sort=-sku" in page.url
    assert "Approved: 1 draft purchase order(s)" in page.content()
    assert _first_cells(page, rows) == ["BS-C", "BS-A"]
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("SKU")
    shot(page, "suggestions-sorted-after-approval")
