"""How good the forecast is, as the buyer reads it: backtest accuracy against the seasonal naive
on the product page, on a suggestion (worklist tag and reasons) and on the series page; the run
page's model mix, accuracy by demand class and interval coverage checked against sales written
after the run. Runs are real (the job, statsforecast) on the small planning network."""
from __future__ import annotations

import datetime as dt
import html
import re
import statistics
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.db import utcnow
from app.planning import service
from app.planning.models import ForecastPoint, ForecastRun, ForecastSeries, ReplenishmentSuggestion
from app.stock.models import StockMovement
from app.stock.service import StockEffect, post_stock_effects
from tests.factories import make_product, make_staff_user
from tests.planning_data import make_network, make_run, make_suggestion, write_history
from tests.web.clients import login_staff, post_form

ACTOR = Actor.system("tests")
NAIVE = "repeating last week's sales"


def _run_as_of(app: Any, session: Session, run_day: dt.date, horizon: int = 7) -> ForecastRun:
    """A real forecast run whose first forecast day is ``run_day`` (history before it only)."""
    from app.planning import job

    run = service.request_run(session, ACTOR, horizon_days=horizon, now=utcnow(), start=True)
    session.commit()
    assert job.execute_run(app.extensions["stockwise_db"].sessionmaker, run.id, today=run_day) == "succeeded"
    session.expire_all()
    found = session.get(ForecastRun, run.id)
    assert found is not None and found.start_day == run_day
    return found


def _text(page: Any) -> str:
    """The page's text with tags dropped and whitespace collapsed (what a reader sees)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def _expected_words(series: ForecastSeries) -> str:
    if series.model == "SeasonalNaive":
        return f"No better than {NAIVE} in the backtest — planned on that instead."
    if series.model == "HistoricAverage":
        return "Too little sales history to test the forecast on past sales yet"
    ratio = series.rmsse / series.rmsse_seasonal_naive
    if ratio < 1:
        return f"The forecast's error is {round((1 - ratio) * 100)} % below {NAIVE} (backtest)."
    return f"No better than {NAIVE} in the backtest (error {round((ratio - 1) * 100)} % above it)"


def _series(session: Session, run: ForecastRun, product_id: int, warehouse_id: int) -> ForecastSeries:
    return session.scalars(select(ForecastSeries).where(
        ForecastSeries.run_id == run.id, ForecastSeries.product_id == product_id,
        ForecastSeries.warehouse_id == warehouse_id)).one()


def test_product_page_and_suggestion_say_how_the_forecast_did_against_last_week(
        app: Any, client: Any, session: Session) -> None:
    net = make_network(session)
    shorty = make_product(session, sku="SHORTY", name="Short history")
    write_history(session, shorty, net.north, daily=4, days=14, end_on_hand=0)  # 6 days before the run
    newbie = make_product(session, sku="NEWBIE", name="Brand new")
    write_history(session, newbie, net.north, daily=0, days=1, end_on_hand=30)  # stock, never sold
    run = _run_as_of(app, session, utcnow().date() - dt.timedelta(days=8))
    steady = _series(session, run, net.products["STEADY"].id, net.north.id)
    assert steady.rmsse is not None and steady.rmsse_seasonal_naive  # backtested: a ratio to show
    login_staff(client, make_staff_user(session, "viewer").email)

    product = _text(client.get("/products/STEADY"))
    assert "How good the forecast is" in product
    assert _expected_words(steady) in product
    assert f"Model {steady.model}, smooth demand, run #{run.id}" in product or \
        f"Model {steady.model}, {steady.demand_class} demand, run #{run.id}" in product
    assert f"backtest RMSSE {steady.rmsse:.2f} vs {steady.rmsse_seasonal_naive:.2f} for the naive" in product
    # the cloud holds STEADY but sells none itself: it plans for NTH, and says so
    assert ("CLD Cloud No sales of its own here: planned from the forecasts of the warehouses it supplies "
            "(see their rows).") in product

    short = _series(session, run, shorty.id, net.north.id)
    assert short.model == "HistoricAverage" and short.rmsse is None
    assert "Too little sales history to test the forecast on past sales yet; planned on the average demand so far." \
        in _text(client.get("/products/SHORTY"))
    assert "No forecast yet for this SKU here: it had no sales history" in _text(client.get("/products/NEWBIE"))

    suggestion = session.scalars(select(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.run_id == run.id, ReplenishmentSuggestion.product_id == net.products["STEADY"].id,
        ReplenishmentSuggestion.warehouse_id == net.north.id)).one()
    worklist = client.get("/planning/suggestions").text
    row = worklist[worklist.index(f'data-suggestion="{suggestion.id}"'):]
    row = row[:row.index("</tr>")]
    why = worklist[worklist.index(f'id="why-{suggestion.id}"'):]
    why = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", why[:why.index("</tr>")])))
    assert _expected_words(steady) in why
    tag = re.search(r'data-accuracy="(\w+)"', row)
    assert tag is not None
    if steady.model == "SeasonalNaive":
        assert tag.group(1) == "naive" and "planned on the naive" in row
    elif steady.rmsse < steady.rmsse_seasonal_naive:
        pct = round((1 - steady.rmsse / steady.rmsse_seasonal_naive) * 100)
        assert tag.group(1) == "better" and f"forecast error −{pct} %" in row
    else:
        assert tag.group(1) == "no_better" and "no better than the naive" in row

    chart = _text(client.get(f"/planning/series/{net.products['STEADY'].id}/{net.north.id}"))
    assert _expected_words(steady) in chart

    # The cloud buys SOUTHY for STH, where it sells: the purchase was planned from STH's forecast.
    southy = net.products["SOUTHY"]
    south = _series(session, run, southy.id, net.south.id)
    purchase = session.scalars(select(ReplenishmentSuggestion).where(
        ReplenishmentSuggestion.run_id == run.id, ReplenishmentSuggestion.product_id == southy.id,
        ReplenishmentSuggestion.warehouse_id == net.cloud.id)).one()
    why = worklist[worklist.index(f'id="why-{purchase.id}"'):]
    why = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", why[:why.index("</tr>")])))
    assert f"Demand of STH, which this warehouse supplies: {_expected_words(south)}" in why
    assert _expected_words(south) in _text(client.get("/products/SOUTHY"))


def test_every_verdict_is_worded_from_the_stored_scores(client: Any, session: Session) -> None:
    net = make_network(session, days=7)
    run = make_run(session, start_day=utcnow().date())
    stored = {  # sku: (model, rmsse, rmsse of the naive)
        "STEADY": ("Combination", 0.41, 0.50),  # 18 % below
        "STOCKED": ("SeasonalNaive", 0.70, 0.70),  # planned on the naive
        "CLOUDY": ("Combination", 0.84, 0.80),  # 5 % above, yet kept (a run before the naive rule)
        "SOUTHY": ("HistoricAverage", None, None),  # too short
    }
    where = {"STEADY": net.north, "STOCKED": net.north, "CLOUDY": net.cloud, "SOUTHY": net.south}
    ids = {}
    for sku, (model, ours, naive) in stored.items():
        session.add(ForecastSeries(run_id=run.id, product_id=net.products[sku].id, warehouse_id=where[sku].id,
                                   demand_class="smooth", model=model, rmsse=ours, rmsse_seasonal_naive=naive,
                                   mase=ours, mase_seasonal_naive=naive))
        ids[sku] = make_suggestion(session, run, net.products[sku], where[sku], supplier=net.supplier).id
    session.flush()
    login_staff(client, make_staff_user(session, "viewer").email)
    page = _text(client.get("/planning/suggestions"))
    assert f"The forecast's error is 18 % below {NAIVE} (backtest)." in page
    assert f"No better than {NAIVE} in the backtest — planned on that instead." in page
    assert (f"No better than {NAIVE} in the backtest (error 5 % above it); this run still planned on its own "
            "forecast.") in page
    assert "Too little sales history to test the forecast on past sales yet" in page
    assert "forecast error −18 %" in page and "planned on the naive" in page and "not backtested" in page

    run_page = _text(client.get(f"/planning/runs/{run.id}"))
    # 4 series: mean of 0.82, 1.0, 1.05 = 0.96; median 1.00; 1 of 3 backtested better (33 %)
    assert re.search(r"All series 4 3 0\.96 1\.00 33 % \(1\) 1", run_page), run_page
    assert "Combination 2 50 %" in run_page and "SeasonalNaive 1 25 %" in run_page
    assert "No whole day has passed since the run's first forecast day" in run_page

    assert post_form(client, "/dashboard", "/language", {"locale": "zh"}).status_code == 302
    zh = _text(client.get("/planning/suggestions"))
    assert "预测误差比照搬上周的销量低 18 %（回测）。" in zh
    assert "回测中并不比照搬上周的销量更准——因此改按它来计划。" in zh
    assert "销售历史太短，尚无法用过去的销量检验预测" in zh and "预测误差 −18 %" in zh
    zh_run = _text(client.get(f"/planning/runs/{run.id}"))
    assert "按需求类别的准确度" in zh_run and "全部序列" in zh_run and "预测区间与此后实际销量的对照" in zh_run


def test_run_page_checks_the_intervals_against_sales_written_after_the_run(
        app: Any, client: Any, session: Session) -> None:
    net = make_network(session)
    today = utcnow().date()
    run = _run_as_of(app, session, today - dt.timedelta(days=8))  # horizon 7: 7 whole days have passed
    login_staff(client, make_staff_user(session, "viewer").email)

    def expected() -> tuple[int, int, int, int]:
        """(held 80, held 95, points, series), counted here from the points and the raw ledger."""
        sold: dict[tuple[int, int, dt.date], int] = {}
        for m in session.scalars(select(StockMovement).where(StockMovement.kind.in_(["shipment", "customer_return"]))):
            key = (m.product_id, m.warehouse_id, m.business_date)
            sold[key] = sold.get(key, 0) - m.quantity
        points = list(session.scalars(select(ForecastPoint).where(ForecastPoint.run_id == run.id,
                                                                  ForecastPoint.ds < today)))
        actual = [max(sold.get((p.product_id, p.warehouse_id, p.ds), 0), 0) for p in points]
        held80 = sum(p.yhat_lo_80 <= a <= p.yhat_hi_80 for p, a in zip(points, actual, strict=True))
        held95 = sum(p.yhat_lo_95 <= a <= p.yhat_hi_95 for p, a in zip(points, actual, strict=True))
        return held80, held95, len(points), len({(p.product_id, p.warehouse_id) for p in points})

    held80, held95, points, series = expected()
    assert (points, series) == (4 * 7, 4)
    page = _text(client.get(f"/planning/runs/{run.id}"))
    assert f"80 % interval held {round(100 * held80 / points)} % of days so far (4 series × 7 days)" in page
    assert f"— {held80} of {points};" in page
    assert f"95 % interval held {round(100 * held95 / points)} % of days so far (4 series × 7 days)" in page
    assert "too few to judge" not in page

    # A sale the forecast could not expect, written after the run, on its third day: the check reads it.
    spike_day = run.start_day + dt.timedelta(days=2)
    at = dt.datetime.combine(spike_day, dt.time(12), tzinfo=dt.UTC)
    steady = net.products["STEADY"]
    point = session.scalars(select(ForecastPoint).where(
        ForecastPoint.run_id == run.id, ForecastPoint.product_id == steady.id,
        ForecastPoint.warehouse_id == net.north.id, ForecastPoint.ds == spike_day)).one()
    post_stock_effects(session, [StockEffect(steady.id, net.north.id, "receipt", 900, occurred_at=at),
                                 StockEffect(steady.id, net.north.id, "shipment", -900, occurred_at=at)],
                       source="tests", now=utcnow())
    session.commit()
    assert point.yhat_hi_95 is not None and point.yhat_hi_95 < 900
    after80, after95, _points, _series = expected()
    assert after95 < held95 or after80 < held80  # the spike left at least one interval
    page = _text(client.get(f"/planning/runs/{run.id}"))
    assert f"80 % interval held {round(100 * after80 / points)} % of days so far (4 series × 7 days)" in page
    assert f"— {after80} of {points};" in page and f"— {after95} of {points};" in page

    # model mix and accuracy by class, from the stored series
    rows = session.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run.id)).all()
    ratios = [s.rmsse / s.rmsse_seasonal_naive for s in rows if s.rmsse is not None and s.rmsse_seasonal_naive]
    assert ratios
    overall = (f"All series {len(rows)} {len(ratios)} {statistics.fmean(ratios):.2f} "
               f"{statistics.median(ratios):.2f} {round(100 * sum(r < 1 for r in ratios) / len(ratios))} %")
    assert overall in page, page
    for model in {s.model for s in rows}:
        n = sum(s.model == model for s in rows)
        assert f"{model} {n} {round(100 * n / len(rows))} %" in page


def test_a_young_run_says_too_few_days_have_passed(app: Any, client: Any, session: Session) -> None:
    make_network(session)
    run = _run_as_of(app, session, utcnow().date() - dt.timedelta(days=3))
    login_staff(client, make_staff_user(session, "viewer").email)
    page = _text(client.get(f"/planning/runs/{run.id}"))
    assert "(4 series × 3 days)" in page
    assert "Only 3 day(s) have passed since the run: too few to judge the intervals" in page
