"""Charts in Chromium (vendored ECharts, no network): the dashboard's 12 complete months plus this
one, a forecast chart scaled to demand with its hover tooltip, in English and Chinese at 1366 px,
under the app's Content-Security-Policy (no violation reported)."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from app.db import transaction, utcnow
from app.stock.service import StockEffect, post_stock_effects
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_price, make_product, make_staff_user, make_supplier, make_warehouse


def _history(s: Any) -> tuple[int, int]:
    """400 days of seasonal, weekly-patterned demand for one SKU in a forward warehouse."""
    cloud = make_warehouse(s, code="CLD-C", name="Cloud", name_zh="云仓", kind="cloud")
    fwd = make_warehouse(s, code="FWD-C", name="Forward", name_zh="前置仓", replenished_from_id=cloud.id)
    p = make_product(s, sku="WAVE-1", name="Wave towel")
    make_price(s, make_supplier(s), p, lead_time_days=10)
    now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=401)
    sold = [max(0, round(12 + 6 * math.sin(d / 58) + (5 if d % 7 in (5, 6) else 0) + (d * 7919 % 5) - 2))
            for d in range(400)]
    effects = [StockEffect(p.id, fwd.id, "receipt", sum(sold) + 30, occurred_at=start),
               StockEffect(p.id, cloud.id, "receipt", 600, occurred_at=start)]
    effects += [StockEffect(p.id, fwd.id, "shipment", -q, occurred_at=start + dt.timedelta(days=d + 1))
                for d, q in enumerate(sold) if q]
    post_stock_effects(s, effects, source="tests", now=utcnow())
    return p.id, fwd.id


def _drawn(page: Any, selector: str = "div.echart.drawn svg") -> Any:
    page.wait_for_selector(selector)
    return page.locator(selector).first


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_dashboard_and_forecast_charts_hover_zoom_and_read_in_both_languages(
        live_server: LiveServer, browser: Any, committed_app: Any, locale: str) -> None:
    with transaction() as s:
        product_id, warehouse_id = _history(s)
        user = make_staff_user(s, "purchasing")
        user.locale = locale
        email = user.email
    assert committed_app.test_cli_runner().invoke(args=["forecast", "run", "--horizon", "28"]).exit_code == 0
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    # A request the browser itself cancels because the page moved on (net::ERR_ABORTED, seen for the
    # favicon after a quick click-through) is not a fault; a blocked or broken one (CSP, a refused
    # connection, a reset) is.
    page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED"
            else problems.append(f"failed {r.url} {r.failure}"))
    login_in_browser(page, live_server.url, email, PASSWORD)

    page.goto(f"{live_server.url}/dashboard")
    chart = _drawn(page)
    labels = page.locator("#demand-stock div.echart").inner_text()
    today = utcnow().date()
    last_year = today.replace(day=1) - dt.timedelta(days=360)
    if locale == "en":  # every month on the axis, the current one marked partial
        assert f"{today:%b} {today.year}\n(to date)" in labels and f"{last_year:%b} {last_year.year}" in labels
    else:
        assert f"{today.year}年{today.month}月\n（截至今日）" in labels
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.55)
    tip = page.locator("#demand-stock div.echart > div").filter(has_text="Demand" if locale == "en" else "需求").last
    tip.wait_for(state="visible")
    assert ("Stock on hand" if locale == "en" else "月末在库") in tip.inner_text()
    shot(page, f"chart-dashboard-{locale}-1366")

    page.goto(f"{live_server.url}/planning/series/{product_id}/{warehouse_id}")
    chart = _drawn(page)
    box = chart.bounding_box()
    # hover a day of the forecast (the right part of the plot)
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.5)
    tip = page.locator("#forecast-chart div.echart > div").filter(has_text="80").last
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert ("forecast" if locale == "en" else "预测") in text and "95" in text
    shot(page, f"chart-forecast-{locale}-1366")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -600)  # zoom in (dataZoom inside)
    page.wait_for_timeout(300)
    shot(page, f"chart-forecast-zoomed-{locale}-1366")

    page.goto(f"{live_server.url}/products/WAVE-1")
    _drawn(page)
    page.click("#stock a:has-text('FWD-C'), #stock tr:has-text('FWD-C') a")  # the row's forecast chart
    page.wait_for_url(f"**/planning/series/{product_id}/{warehouse_id}")
    assert not [p for p in problems if "Content Security Policy" in p or "failed" in p], problems
    context.close()
