"""With separation of duties on (Admin → Settings), the clerk who submitted a count cannot approve
it; a second person approves it after confirming, and only then is stock corrected."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import transaction
from app.stock.models import StockBalance
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_product, make_staff_user, make_warehouse, receive_stock


def _on_hand(product_id: int, warehouse_id: int) -> int:
    with transaction() as s:
        return s.scalars(select(StockBalance.on_hand).where(StockBalance.product_id == product_id,
                                                            StockBalance.warehouse_id == warehouse_id)).one()


def test_a_count_needs_a_second_person_when_separation_of_duties_is_on(live_server: LiveServer, page: Any,
                                                                        browser: Any, committed_app: Any) -> None:
    with transaction() as s:
        cloud = make_warehouse(s, code="CLOUD-SH", name="Shanghai cloud", kind="cloud")
        soap = make_product(s, sku="HL-SOAP-2", name="Olive soap")
        receive_stock(s, soap, cloud, 90)
        admin = make_staff_user(s, "admin").email
        clerk = make_staff_user(s, "warehouse").email
        ids = (soap.id, cloud.id)
    base = live_server.url
    login_in_browser(page, base, admin, PASSWORD)
    page.goto(f"{base}/admin/settings")
    card = page.locator("form#count_separate_approver")
    card.locator("input[value=on]").check()
    card.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert page.locator("form#count_separate_approver input[value=on]").is_checked()

    clerk_page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
    login_in_browser(clerk_page, base, clerk, PASSWORD)
    clerk_page.goto(f"{base}/counts/new")
    clerk_page.select_option("select[name=warehouse]", "CLOUD-SH")
    clerk_page.click("button[type=submit].primary")
    clerk_page.fill("input[name='lines-0-counted']", "88")
    clerk_page.click("#submit-count")
    # The submitter is told a second person approves; there is no Approve button for them.
    assert clerk_page.locator("#approve").count() == 0
    assert "another person approves" in clerk_page.locator("#needs-second-person").inner_text()
    shot(clerk_page, "count-own-submission")
    count_url = clerk_page.url
    assert _on_hand(*ids) == 90

    page.goto(count_url)  # the admin, a second person
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("#approve")
    assert asked and "stock correction" in asked[0]
    assert _on_hand(*ids) == 90  # dismissed: nothing happened
    page.once("dialog", lambda d: d.accept())
    page.click("#approve")
    assert "approved" in page.locator(".flash").inner_text()
    shot(page, "count-approved-by-second-person")
    assert _on_hand(*ids) == 88
