"""One SKU from suggestion to approval, receipt and alerts: every page reads the same demand."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.service import alert_board, stock_signals
from app.catalog.service import product_detail
from app.db import utcnow
from app.planning.decisions import approve_suggestions
from app.planning.demand_figures import demand_figure, demand_figures
from app.planning.models import ForecastPoint, ReplenishmentSuggestion
from app.purchasing import receiving
from app.purchasing.orders import send_purchase_order
from app.purchasing.receiving import ReceiveLineInput
from app.settings.service import get_setting
from tests.factories import TEST_ACTOR
from tests.planning_data import make_network


def _forecast_mean(session: Session, product_id: int, warehouse_id: int) -> float:
    """Mean forecast of one series; 0 when the run has none (no demand history there)."""
    return float(session.scalar(select(func.avg(ForecastPoint.yhat)).where(
        ForecastPoint.product_id == product_id, ForecastPoint.warehouse_id == warehouse_id)) or 0.0)


def _alert_row(session: Session, sku: str, code: str) -> Any:
    board = alert_board(session, today=utcnow().date())
    rows = [a for kind in ("low_stock", "stock_out", "overstock") for a in board.rows(kind)
            if a.sku == sku and a.warehouse_code == code]
    return rows


def test_suggestion_approval_receipt_and_alerts_agree_on_demand(app: Any, session: Session) -> None:
    net = make_network(session)
    session.commit()
    assert app.test_cli_runner().invoke(args=["forecast", "run", "--horizon", "14"]).exit_code == 0
    cloudy, cloud = net.products["CLOUDY"], net.cloud
    today = utcnow().date()
    rate = _forecast_mean(session, cloudy.id, cloud.id)
    figure = demand_figure(demand_figures(session, today=today), cloudy.id, cloud.id)
    assert figure.source == "forecast" and figure.daily_demand == pytest.approx(rate)
    suggestion = session.scalars(select(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.product_id == cloudy.id, ReplenishmentSuggestion.kind == "purchase")).one()
    # the suggestion's lead-time demand is the same forecast, over its lead time
    assert suggestion.lead_time_demand / suggestion.lead_time_days == pytest.approx(rate, rel=0.05)
    # before: nothing on hand → a stock-out alert at the same daily demand
    before = _alert_row(session, "CLOUDY", "CLD")
    assert {a.kind for a in before} >= {"stock_out"}
    assert all(a.avg_daily_demand == pytest.approx(rate, abs=0.01) for a in before)

    result = approve_suggestions(session, TEST_ACTOR, quantities={suggestion.id: suggestion.quantity},
                                 user_id=None, now=utcnow())
    po = result.purchase_orders[0]
    send_purchase_order(session, TEST_ACTOR, number=po.number, now=utcnow())
    line = po.lines[0]
    receiving.receive_purchase_order(session, TEST_ACTOR, number=po.number, now=utcnow(),
                                     lines=[ReceiveLineInput(0, line.id, received=suggestion.quantity)])
    session.flush()

    after = _alert_row(session, "CLOUDY", "CLD")
    cover = suggestion.quantity / rate
    # what was bought for the forecast is not flagged as overstock against another demand rate
    assert cover < float(get_setting(session, "overstock_days_of_cover"))
    assert all(a.kind != "overstock" and a.kind != "stock_out" for a in after)
    figure = demand_figure(demand_figures(session, today=today), cloudy.id, cloud.id)
    assert figure.days_of_cover(suggestion.quantity) == pytest.approx(cover)
    # the product page shows the same daily demand and days of cover
    rate_shown, cover_shown = product_detail(session, sku="CLOUDY", today=today).demand["CLD"]
    assert rate_shown == pytest.approx(rate) and cover_shown == pytest.approx(cover)


def test_a_cloud_warehouse_counts_the_demand_of_the_forward_warehouses_it_supplies(
        app: Any, session: Session) -> None:
    net = make_network(session)
    session.commit()
    assert app.test_cli_runner().invoke(args=["forecast", "run", "--horizon", "7"]).exit_code == 0
    steady = net.products["STEADY"]
    figures = demand_figures(session, today=utcnow().date())
    north = _forecast_mean(session, steady.id, net.north.id)
    own = _forecast_mean(session, steady.id, net.cloud.id)
    cloud_figure = demand_figure(figures, steady.id, net.cloud.id)
    assert north > 5 and cloud_figure.network
    # the cloud sells nothing itself: its 400 units are for what the north warehouse draws
    assert cloud_figure.daily_demand == pytest.approx(own + north)
    assert cloud_figure.days_of_cover(400) == pytest.approx(400 / (own + north))
    # the alerts read the same figure: 400 units are ~40 days of cover, not "no demand"
    signal = next(sig for sig, _ in stock_signals(session, today=utcnow().date())
                  if (sig.product_id, sig.warehouse_id) == (steady.id, net.cloud.id))
    assert signal.avg_daily_demand == pytest.approx(own + north)
    assert signal.days_of_cover == pytest.approx(400 / (own + north))
