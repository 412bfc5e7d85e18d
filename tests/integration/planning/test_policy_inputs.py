"""What the planner reads for the fill-rate policy: targets, categories, values, spread."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.planning import policy
from app.planning.models import ForecastPoint
from app.settings.service import set_setting
from forecasting.protection import scenarios
from tests.factories import TEST_ACTOR
from tests.planning_data import make_network, make_run


def test_fill_rate_inputs_name_each_products_category_and_unit_price(session: Session) -> None:
    net = make_network(session, days=3)
    set_setting(session, TEST_ACTOR, "target_fill_rates", {"home": 0.97, "*": 0.9})
    inputs = policy.fill_rate_inputs(session, today=utcnow().date())
    assert inputs["target_fill_rates"] == {"home": 0.97, "*": 0.9}
    assert inputs["categories"][net.products["STEADY"].id] == "home"
    assert inputs["categories"][net.products["CLOUDY"].id] == "garden"
    assert inputs["unit_values"][net.products["CLOUDY"].id] > 0
    assert inputs["spread"].samples == 0  # no past run yet: nothing to calibrate on
    assert inputs["error_pool"] is None  # nor to pool errors on (the planner keeps the calibrated normal)


def test_without_targets_the_planner_gets_no_spread_calibration(session: Session) -> None:
    make_network(session, days=3)
    inputs = policy.fill_rate_inputs(session, today=utcnow().date())
    assert inputs["target_fill_rates"] == {} and "spread" not in inputs


def test_past_runs_that_under_forecast_give_a_bias_and_a_wider_spread(session: Session) -> None:
    # CLOUDY sold about 6/day from the cloud, STEADY 10/day in the north, for the last 56 days;
    # a past run forecast 4/day and 10/day with intervals far too narrow
    net = make_network(session)
    today = utcnow().date()
    start = today - dt.timedelta(days=30)
    run = make_run(session)
    series = ((net.products["CLOUDY"].id, net.cloud.id, 4.0), (net.products["STEADY"].id, net.north.id, 10.0))
    session.execute(insert(ForecastPoint), [
        {"run_id": run.id, "product_id": pid, "warehouse_id": wid, "ds": start + dt.timedelta(days=d),
         "yhat": yhat, "yhat_lo_80": yhat - 0.1, "yhat_hi_80": yhat + 0.1, "yhat_lo_95": yhat - 0.1,
         "yhat_hi_95": yhat + 0.1} for pid, wid, yhat in series for d in range(28)])
    calibration = policy.spread_from_past_runs(session, today=today, period_days=14)
    assert calibration.samples == 2
    # pooled: (6 + 10) / (4 + 10) days of demand sold per day forecast
    assert calibration.bias == pytest.approx(16 / 14, rel=0.05)
    assert calibration.spread > 2.0


def test_past_runs_give_the_planner_a_pool_of_their_errors(session: Session) -> None:
    # 20 past runs forecast CLOUDY at 4/day (it sold about 6) and STEADY at 10/day (it sold 10)
    net = make_network(session)
    today = utcnow().date()
    start = today - dt.timedelta(days=30)
    series = ((net.products["CLOUDY"].id, net.cloud.id, 4.0), (net.products["STEADY"].id, net.north.id, 10.0))
    for _ in range(20):
        run = make_run(session)
        session.execute(insert(ForecastPoint), [
            {"run_id": run.id, "product_id": pid, "warehouse_id": wid, "ds": start + dt.timedelta(days=d),
             "yhat": yhat, "yhat_lo_80": yhat - 1, "yhat_hi_80": yhat + 1, "yhat_lo_95": yhat - 2,
             "yhat_hi_95": yhat + 2} for pid, wid, yhat in series for d in range(28)])
    assert policy.error_pool_from_past_runs(session, today=today, runs=4) is None  # 8 pairs: too few
    pool = policy.error_pool_from_past_runs(session, today=today, runs=20)
    assert pool is not None and pool.samples == 40
    rows = scenarios(pool, [56.0], [0.1])  # a forecast of 56 units over 14 days
    # what sold against what was forecast, not the forecast: each class has fewer than 40 pairs,
    # so it takes all of them, whose ratios sold ÷ forecast average (6/4 + 10/10) / 2
    assert rows.mean() == pytest.approx(56.0 * 1.25, rel=0.1)


def test_no_past_run_changes_nothing(session: Session) -> None:
    make_network(session, days=3)
    calibration = policy.spread_from_past_runs(session, today=utcnow().date())
    assert (calibration.bias, calibration.spread, calibration.samples) == (1.0, 1.0, 0)


def test_the_planner_plans_each_purchase_for_its_category_target(app: Any, session: Session) -> None:
    """A real run of the planning job plans on the buyer's target fill rates: the stored
    suggestions' reasons name the category target (and the "*" default for the rest)."""
    import json

    from app.planning import job, service
    from app.planning.models import ReplenishmentSuggestion

    net = make_network(session)
    set_setting(session, TEST_ACTOR, "target_fill_rates", {"garden": 0.9, "*": 0.95})
    run = service.request_run(session, TEST_ACTOR, horizon_days=14, now=utcnow(), start=True)
    session.commit()
    assert job.execute_run(app.extensions["stockwise_db"].sessionmaker, run.id) == "succeeded"
    rows = session.scalars(select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.run_id == run.id)).all()
    purchase = next(r for r in rows if r.kind == "purchase" and r.product_id == net.products["CLOUDY"].id)
    assert json.loads(purchase.reasons or "{}")["safety_stock"].startswith("target fill rate")
    transfer = next(r for r in rows if r.kind == "transfer")  # STEADY (home): the "*" target
    assert "target fill rate 95.0%" in json.loads(transfer.reasons or "{}")["safety_stock"]
