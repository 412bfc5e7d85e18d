"""A buyer approves replenishment suggestions in Chromium, and watches a run's progress bar move."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import transaction
from app.planning.models import ForecastRun, ReplenishmentSuggestion
from app.purchasing.models import PurchaseOrder
from app.transfers.models import Transfer
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user
from tests.planning_data import make_network, make_run, make_suggestion


def test_buyer_edits_approves_and_rejects_suggestions(live_server: LiveServer, page: Any, committed_app: Any) -> None:
    with transaction() as s:
        net = make_network(s, days=3)
        run, p = make_run(s), net.products
        steady = make_suggestion(s, run, p["STEADY"], net.north, kind="transfer", source=net.cloud, quantity=100,
                                 days_until_stockout=0.5).id
        cloudy = make_suggestion(s, run, p["CLOUDY"], net.cloud, supplier=net.supplier, quantity=90,
                                 days_until_stockout=1.0).id
        southy = make_suggestion(s, run, p["SOUTHY"], net.cloud, supplier=net.other_supplier, quantity=60,
                                 days_until_stockout=4.0).id
        email = make_staff_user(s, "purchasing").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/suggestions")
    assert page.locator("h1").inner_text() == "Replenishment suggestions"
    rows = page.locator("table.suggestions tr[data-suggestion]")
    assert rows.count() == 3
    shot(page, "replenishment-suggestions")

    steady_row = page.locator(f"tr[data-suggestion='{steady}']")
    steady_row.locator("input.qty").fill("120")
    steady_row.locator("input[type=checkbox]").check()
    page.locator(f"tr[data-suggestion='{cloudy}'] input[type=checkbox]").check()
    page.click("input[name=approve]")
    page.wait_for_selector(".flash-success")
    assert "Approved: 1 draft purchase order(s)" in page.locator(".flash-success").inner_text()
    assert page.locator("table.suggestions tr[data-suggestion]").count() == 1
    shot(page, "replenishment-approved")

    page.locator(f"tr[data-suggestion='{southy}'] input[type=checkbox]").check()
    page.click("input[name=reject]")  # no reason yet: refused, naming the field
    assert page.locator('small.error[data-field="reason"]').is_visible()
    page.locator(f"tr[data-suggestion='{southy}'] input[type=checkbox]").check()
    page.fill("input[name=reason]", "supplier discontinued the item")
    page.click("input[name=reject]")
    page.wait_for_selector(".flash-success")
    assert "No suggestions match" in page.locator("table.suggestions").inner_text()
    shot(page, "replenishment-rejected")

    with transaction() as s:
        statuses = dict(s.execute(select(ReplenishmentSuggestion.id, ReplenishmentSuggestion.status)).all())
        assert statuses == {steady: "approved", cloudy: "approved", southy: "rejected"}
        assert [ln.quantity for t in s.scalars(select(Transfer)) for ln in t.lines] == [120]
        assert [ln.quantity for po in s.scalars(select(PurchaseOrder)) for ln in po.lines] == [90]

    page.goto(f"{live_server.url}/planning/series/{p['STEADY'].id}/{net.north.id}")
    page.wait_for_selector("#forecast-chart div.echart.drawn svg")
    assert page.locator("#forecast-chart div.echart.drawn svg").first.is_visible()


def test_run_page_progress_bar_follows_the_worker_without_reloading(live_server: LiveServer, page: Any,
                                                                     committed_app: Any) -> None:
    with transaction() as s:
        run = ForecastRun(status="running", stage="forecasting", progress_done=1, progress_total=4)
        s.add(run)
        s.flush()
        run_id = run.id
        email = make_staff_user(s, "viewer").email
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/runs/{run_id}")
    bar = page.locator("[data-run=bar]")
    assert bar.get_attribute("aria-valuenow") == "25"
    shot(page, "forecast-run-progress")
    with transaction() as s:
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.progress_done = 3
    page.wait_for_selector("[data-run=bar][aria-valuenow='75']")  # CSP forbids eval'd predicates
    with transaction() as s:
        found = s.get(ForecastRun, run_id)
        assert found is not None
        found.status, found.series_count = "succeeded", 4
    page.wait_for_selector("[data-run=done-link]:not([hidden])")
    assert page.locator("[data-run=status]").inner_text() == "succeeded"
    shot(page, "forecast-run-succeeded")
