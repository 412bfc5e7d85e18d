"""A buyer reads how good the forecast is: on the page of a real run (model mix, accuracy by
demand class, interval coverage against what sold since) and in a suggestion's reasons."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.audit.service import Actor
from app.db import transaction, utcnow
from app.planning import service
from app.planning.models import ForecastSeries, ReplenishmentSuggestion
from tests.browser.conftest import LiveServer, login_in_browser, shot
from tests.factories import PASSWORD, make_staff_user
from tests.planning_data import make_network


def test_run_page_and_reasons_show_the_forecasts_accuracy(live_server: LiveServer, page: Any,
                                                          committed_app: Any) -> None:
    from app.planning import job

    with transaction() as s:
        net = make_network(s)
        run_id = service.request_run(s, Actor.system("tests"), horizon_days=7, now=utcnow(), start=True).id
        email = make_staff_user(s, "purchasing").email
        steady_id, north_id = net.products["STEADY"].id, net.north.id
    sessions = committed_app.extensions["stockwise_db"].sessionmaker
    # first forecast day 8 days ago: the last 7 days of sales are what sold since the run
    assert job.execute_run(sessions, run_id, today=utcnow().date() - dt.timedelta(days=8)) == "succeeded"
    with transaction() as s:
        series = s.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run_id,
                                                        ForecastSeries.product_id == steady_id,
                                                        ForecastSeries.warehouse_id == north_id)).one()
        suggestion_id = s.scalars(select(ReplenishmentSuggestion.id).where(
            ReplenishmentSuggestion.run_id == run_id, ReplenishmentSuggestion.product_id == steady_id)).one()
        verdict = ("naive" if series.model == "SeasonalNaive" else
                   "better" if series.rmsse < series.rmsse_seasonal_naive else "no_better")

    page.set_viewport_size({"width": 1366, "height": 900})
    login_in_browser(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/planning/runs/{run_id}")
    assert page.locator("#model-mix tr[data-model]").count() >= 1
    overall = page.locator("#accuracy-by-class tr[data-class=all]").inner_text()
    assert "All series" in overall and "4" in overall
    held = page.locator("[data-coverage='80']").inner_text()
    assert "80 % interval held" in held and "(4 series × 7 days)" in held
    assert "95 % interval held" in page.locator("[data-coverage='95']").inner_text()
    assert page.locator("#coverage svg.hbar .mark").count() == 2  # the nominal level marked on each bar
    shot(page, "forecast-run-accuracy-and-coverage")

    page.goto(f"{live_server.url}/planning/suggestions")
    row = page.locator(f"tr[data-suggestion='{suggestion_id}']")
    assert row.locator(f".accuracy[data-accuracy={verdict}]").is_visible()
    row.get_by_role("button", name="Why").click()
    reason = page.locator(f"#why-{suggestion_id} li.accuracy-reason")
    assert reason.is_visible()
    text = reason.inner_text()
    assert "repeating last week's sales" in text and f"Model {series.model}" in text
    assert f"run #{run_id}" in text
    page.locator(f"#why-{suggestion_id}").scroll_into_view_if_needed()
    shot(page, "suggestion-reasons-with-forecast-accuracy")

    page.goto(f"{live_server.url}/products/STEADY")
    table = page.locator("#accuracy")
    assert table.locator(f"td[data-accuracy={verdict}]").is_visible()
    assert "No sales of its own here" in table.locator("tr[data-warehouse=CLD]").inner_text()
    table.scroll_into_view_if_needed()
    shot(page, "product-page-forecast-accuracy")
