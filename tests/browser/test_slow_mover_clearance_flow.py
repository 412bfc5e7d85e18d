"""A buyer finds slow movers (rule, warehouses, value, last sale, turnover) and marks one for clearance."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.db import transaction, utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_product, make_staff_user, make_warehouse


def test_buyer_marks_a_slow_mover_for_clearance(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        cloud = make_warehouse(s, code="CLD-S", kind="cloud", name="Cloud", name_zh="云仓")
        fwd = make_warehouse(s, code="SH-S", name="Shanghai", name_zh="上海仓")
        p = make_product(s, sku="SLOW-B", name="Winter scarf", unit_cost=Decimal("12.50"),
                         created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        at = utcnow() - dt.timedelta(days=300)
        post_stock_effects(s, [StockEffect(p.id, cloud.id, "receipt", 120, occurred_at=at),
                               StockEffect(p.id, fwd.id, "receipt", 40, occurred_at=at),
                               StockEffect(p.id, fwd.id, "shipment", -4, occurred_at=at + dt.timedelta(days=100))],
                           source="tests", now=utcnow())
        email = make_staff_user(s, "purchasing").email
    page.set_viewport_size({"width": 1366, "height": 800})
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/alerts/?kind=slow_mover")
    assert "sold fewer than 5 units" in page.locator("#slow-mover-rule").inner_text()
    row = page.locator("#slow-SLOW-B")
    assert "CLD-S" in row.inner_text() and "¥1,950.00" in row.inner_text()  # 156 × 12.50
    row.locator("summary").click()
    row.locator("select[name=action]").select_option("markdown")
    row.locator("input[name=markdown_pct]").fill("25")
    shot(page, "slow-movers-clearance-form")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert "markdown −25%" in page.locator("#slow-SLOW-B").inner_text()
    shot(page, "slow-movers-marked")
    page.goto(f"{live_server.url}/products/SLOW-B")
    assert "Marked for clearance: markdown" in page.locator("#clearance").inner_text()
    shot(page, "product-marked-for-clearance")
