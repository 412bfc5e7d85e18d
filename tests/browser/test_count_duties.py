"""A cycle count with separation of duties in Chromium: an admin turns the setting on, one
warehouse user submits a count of picked SKUs, the same user cannot approve it, another can
(after confirming). Screenshots to tests/artifacts/."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.counts.models import CycleCount
from app.db import transaction
from app.stock.models import StockBalance
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_product, make_staff_user, make_warehouse, receive_stock


def test_the_submitter_cannot_approve_another_user_can(live_server: LiveServer, browser: Any,
                                                       committed_app: Any) -> None:
    with transaction() as s:
        wh = make_warehouse(s, code="FWD-HZ", name="Hangzhou forward")
        kettle = make_product(s, sku="HE-KETTLE-1", name="Glass kettle", unit_cost=Decimal("14.09"))
        mug = make_product(s, sku="HE-MUG-2", name="Enamel mug", unit_cost=Decimal("6.00"))
        other = make_product(s, sku="HE-PAN-3", name="Frying pan", unit_cost=Decimal("40.00"))
        for p in (kettle, mug, other):
            receive_stock(s, p, wh, 30)
        ids = {"wh": wh.id, "kettle": kettle.id}
        admin = make_staff_user(s, "admin").email
        counter = make_staff_user(s, "warehouse").email
        approver = make_staff_user(s, "warehouse").email

    def new_page() -> Any:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
        p = context.new_page()
        p.set_default_timeout(10_000)
        return p

    page = new_page()
    login_in_browser(page, live_server.url, admin, PASSWORD)
    page.goto(f"{live_server.url}/admin/settings")
    card = page.locator("form#count_separation_of_duties")
    card.locator("input[type=checkbox]").check()
    card.locator("button[type=submit]").click()
    assert "Setting saved" in page.locator(".flash").inner_text()
    assert page.locator("form#count_separation_of_duties input[type=checkbox]").is_checked()
    page.context.close()

    page = new_page()
    login_in_browser(page, live_server.url, counter, PASSWORD)
    page.goto(f"{live_server.url}/counts/new")
    page.select_option("select[name=warehouse]", "FWD-HZ")
    page.select_option("select[name=scope]", "skus")
    assert page.locator("select[name=category]").is_hidden()   # only the chosen scope's inputs show
    for sku in ("HE-KETTLE-1", "HE-MUG-2"):
        page.fill("#sku-search", sku)
        page.press("#sku-search", "Enter")
    assert page.input_value("textarea[name=skus]").split() == ["HE-KETTLE-1", "HE-MUG-2"]
    shot(page, "count-duties-new")
    page.click("button[type=submit].primary")
    sheet = page.locator("table.sheet").inner_text()
    assert "HE-KETTLE-1" in sheet and "HE-MUG-2" in sheet and "HE-PAN-3" not in sheet
    page.fill("input[name='lines-0-counted']", "28")
    page.click("#submit-count")                  # one line left blank: a summary at the top
    summary = page.locator("#error-summary")
    assert "1 line(s) need attention" in summary.inner_text()
    shot(page, "count-duties-partial-submit")
    summary.locator("a").first.click()
    assert page.url.endswith("#line-2")
    page.fill("input[name='lines-0-counted']", "28")
    page.fill("input[name='lines-1-counted']", "30")
    page.click("#submit-count")
    assert page.locator("#approve").is_disabled()
    assert "another user must approve" in page.locator("#approve-blocked").inner_text()
    variances = page.locator("#variances").inner_text()
    assert "HE-KETTLE-1" in variances and "-2" in variances and "-¥28.18" in variances
    assert "HE-MUG-2" not in variances and page.locator("#zero-variance").is_visible()
    shot(page, "count-duties-submitter")
    page.context.close()

    page = new_page()
    login_in_browser(page, live_server.url, approver, PASSWORD)
    with transaction() as s:
        count_id = s.scalar(select(CycleCount.id).where(CycleCount.warehouse_id == ids["wh"]))
    page.goto(f"{live_server.url}/counts/{count_id}")
    page.once("dialog", lambda dialog: dialog.dismiss())   # Cancel in the confirmation: nothing happens
    page.click("#approve")
    assert page.locator(".status").first.inner_text().strip() == "submitted"
    page.locator("#zero-variance summary").click()
    assert "HE-MUG-2" in page.locator("#zero-variance").inner_text()
    shot(page, "count-duties-approver")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve")
    assert "approved" in page.locator(".flash").inner_text()
    page.context.close()
    with transaction() as s:
        on_hand = s.scalar(select(StockBalance.on_hand).where(StockBalance.product_id == ids["kettle"],
                                                              StockBalance.warehouse_id == ids["wh"]))
        approved = s.get(CycleCount, count_id)
        assert on_hand == 28 and approved is not None and approved.status == "approved"
