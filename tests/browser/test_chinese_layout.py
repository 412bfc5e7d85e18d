"""A buyer switches to Chinese in the header; the pages stay laid out with CJK text (screenshots)."""
from __future__ import annotations

from typing import Any

from app.db import transaction
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user
from tests.planning_data import make_network, make_run, make_suggestion


def test_language_switch_in_the_header_turns_the_ui_chinese_and_the_layout_holds(
        live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        net = make_network(s, days=3)
        run, p = make_run(s), net.products
        make_suggestion(s, run, p["STEADY"], net.north, kind="transfer", source=net.cloud, quantity=100,
                        days_until_stockout=0.5)
        make_suggestion(s, run, p["CLOUDY"], net.cloud, supplier=net.supplier, quantity=90, days_until_stockout=1.0)
        email = make_staff_user(s, "purchasing").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/suggestions")
    with page.expect_navigation():
        page.select_option("form.lang select[name=locale]", "zh")  # submits itself (app.js)
    assert page.locator("h1").inner_text() == "补货建议"
    page.locator("table.suggestions [data-why]").first.click()
    assert "再订货点" in page.locator("table.suggestions ul.reasons").first.inner_text()
    # The header keeps to one row and no page scrolls sideways because of longer labels.
    assert page.locator("header.topbar").bounding_box()["height"] < 80
    shot(page, "zh-replenishment-suggestions")
    for url, heading, name in [("/dashboard", "总览", "zh-dashboard"), ("/purchase-orders", "采购订单", "zh-orders")]:
        page.goto(f"{live_server.url}{url}")  # the choice is remembered for this user
        assert heading in page.locator("h1").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), url
        shot(page, name)
