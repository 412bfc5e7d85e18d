"""`flask forecast run` end to end on a small network: ledger → forecasts → suggestions."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.planning.models import ForecastPoint, ForecastRun, ForecastSeries, ReplenishmentSuggestion
from tests.planning_data import make_network


def _run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["forecast", "run", *args])


def test_run_writes_series_points_and_sensible_suggestions(app: Any, session: Session) -> None:
    net = make_network(session)
    session.commit()
    result = _run(app, "--horizon", "7")
    assert result.exit_code == 0, result.output
    run = session.scalars(select(ForecastRun)).one()
    assert run.status == "succeeded" and run.series_count == 4 and run.finished_at is not None
    assert sum(json.loads(run.model_mix).values()) == 4
    assert session.scalar(select(func.count()).select_from(ForecastSeries)) == 4
    assert session.scalar(select(func.count()).select_from(ForecastPoint)) == 4 * 7
    points = session.scalars(select(ForecastPoint).where(ForecastPoint.product_id == net.products["STEADY"].id)).all()
    assert all(7 <= p.yhat <= 13 and p.yhat_lo_95 <= p.yhat_lo_80 <= p.yhat <= p.yhat_hi_80 <= p.yhat_hi_95
               for p in points)
    rows = {(s.product_id, s.kind, s.warehouse_id): s for s in session.scalars(select(ReplenishmentSuggestion))}
    p = net.products
    transfer = rows[(p["STEADY"].id, "transfer", net.north.id)]
    assert transfer.source_warehouse_id == net.cloud.id and transfer.quantity % 5 == 0
    # 7 days lead (price list) is not a transfer: 2 days + 7 review ≈ 9 days × 10/day + safety stock
    assert 80 <= transfer.quantity <= 200 and transfer.days_until_stockout == 0
    purchase = rows[(p["CLOUDY"].id, "purchase", net.cloud.id)]
    assert purchase.supplier_id == net.supplier.id and purchase.quantity >= 6 * 14
    assert "trigger" in json.loads(purchase.reasons)
    assert (p["SOUTHY"].id, "purchase", net.cloud.id) in rows
    assert not [k for k in rows if k[0] == p["STOCKED"].id]


def test_a_new_run_supersedes_the_open_suggestions_of_the_previous_one(app: Any, session: Session) -> None:
    make_network(session)
    session.commit()
    assert _run(app, "--horizon", "7").exit_code == 0
    first = set(session.scalars(select(ReplenishmentSuggestion.id)))
    assert _run(app, "--horizon", "7").exit_code == 0
    statuses = dict(session.execute(select(ReplenishmentSuggestion.id, ReplenishmentSuggestion.status)).all())
    assert {statuses[i] for i in first} == {"superseded"}
    assert [s for i, s in statuses.items() if i not in first] and all(
        s == "open" for i, s in statuses.items() if i not in first)
