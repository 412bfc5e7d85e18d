"""The replenishment page as a buyer's worklist: one filter bar, one group per document approval
makes with its subtotal, a sticky decision bar that counts and values the selection, reasons in
an expandable row, and an approval message that links each new draft and says what comes next."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.db import transaction
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user
from tests.planning_data import make_network, make_run, make_suggestion


def test_buyer_works_the_suggestions_by_supplier_and_approves_from_the_sticky_bar(
        live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        net = make_network(s, days=3)
        run, p = make_run(s), net.products
        p["STEADY"].unit_cost = Decimal("2.50")
        p["CLOUDY"].specification = "Pro / Navy"
        p["CLOUDY"].sku = "HE230005-06"  # a SKU with a hyphen must not wrap
        steady = make_suggestion(s, run, p["STEADY"], net.north, kind="transfer", source=net.cloud, quantity=100,
                                 days_until_stockout=0.5).id
        cloudy = make_suggestion(s, run, p["CLOUDY"], net.cloud, supplier=net.supplier, quantity=90,
                                 days_until_stockout=1.0).id
        stocked = make_suggestion(s, run, p["STOCKED"], net.cloud, supplier=net.supplier, quantity=20,
                                  days_until_stockout=9.0).id
        make_suggestion(s, run, p["SOUTHY"], net.cloud, supplier=net.other_supplier, quantity=60,
                        days_until_stockout=4.0)
        email = make_staff_user(s, "purchasing").email
    page.set_viewport_size({"width": 1366, "height": 560})
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/suggestions")

    # One filter bar; starting a run is a separate, collapsed control.
    assert page.locator("form[role=search]").count() == 1
    assert not page.locator(".start-run-form").is_visible()
    # Groups: the route with the most urgent row first, one group per PO/transfer, each with its subtotal.
    heads = page.locator("tr.group-head")
    assert heads.count() == 3
    assert "NTH" in heads.nth(0).inner_text() and "SUPA" in heads.nth(1).inner_text()
    assert "SUPB" in heads.nth(2).inner_text()
    assert heads.nth(0).locator(".subtotal").inner_text() == "¥250.00"
    supa = page.locator("tbody.group", has=page.locator("tr.group-head", has_text="SUPA"))
    assert supa.locator(".subtotal").inner_text() == "¥550.00"
    assert [t.split()[0] for t in supa.locator("tr[data-suggestion] td.sku").all_inner_texts()] == [
        "HE230005-06", "STOCKED"]
    assert "Pro / Navy" in supa.locator(f"tr[data-suggestion='{cloudy}']").inner_text()  # the variant
    sku_link = page.locator(f"tr[data-suggestion='{cloudy}'] td.sku a")
    assert sku_link.bounding_box()["height"] < 24  # one line: the SKU does not wrap
    # The decision bar stays in view while the list is longer than the window.
    bar = page.locator(".decision-bar")
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= 560 + 1
    assert "Tick rows" not in bar.inner_text() and "0 selected" in bar.inner_text()

    # Selecting the supplier's group counts and values it; editing a quantity updates every total.
    supa.locator("[data-select-group]").check()
    assert bar.locator("[data-selection]").inner_text() == "2 selected · ¥550.00"
    page.locator(f"tr[data-suggestion='{cloudy}'] input.qty").fill("100")
    assert bar.locator("[data-selection]").inner_text() == "2 selected · ¥600.00"
    assert supa.locator(".subtotal").inner_text() == "¥600.00"

    # Reasons open in a row of their own under the line, not in a narrow last column.
    why = page.locator(f"#why-{stocked}")
    assert not why.is_visible()
    # Put the line just above the sticky bar: its reasons open below it, where the bar would cover them.
    page.locator(f"tr[data-suggestion='{stocked}']").evaluate(
        "(row) => { const bar = document.querySelector('.decision-bar').getBoundingClientRect();"
        " window.scrollBy(0, row.getBoundingClientRect().bottom - bar.top + 2); }")
    page.locator(f"tr[data-suggestion='{stocked}'] [data-why]").click()
    assert why.is_visible() and "reorder point" in why.inner_text()
    assert why.bounding_box()["height"] < 160
    # ... and they are scrolled into view above the bar, not left under it.
    page.wait_for_timeout(100)
    assert why.bounding_box()["y"] + why.bounding_box()["height"] <= bar.bounding_box()["y"] + 1
    shot(page, "suggestions-why-above-bar")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "suggestions-worklist")

    page.locator(f"tr[data-suggestion='{steady}'] input[type=checkbox]").check()
    assert bar.locator("[data-selection]").inner_text() == "3 selected · ¥850.00"
    page.click("input[name=approve]")
    flash = page.locator(".flash-success")
    assert "Approved: 1 draft purchase order(s)" in flash.inner_text()
    assert "1 draft transfer(s)" in flash.inner_text()
    assert "send it to the supplier" in flash.inner_text() and "ship it" in flash.inner_text()
    shot(page, "suggestions-approved")
    transfer = flash.locator("a[href*='/transfers/']")
    transfer_number, transfer_url = transfer.inner_text(), transfer.get_attribute("href")
    po_link = flash.locator("a[href*='/purchase-orders/']")
    number = po_link.inner_text()
    assert number.startswith("PO-") and transfer_number.startswith("TR-")
    po_link.click()
    assert number in page.locator("h1").inner_text()
    page.goto(f"{live_server.url}{transfer_url}")
    assert transfer_number in page.locator("h1").inner_text()
