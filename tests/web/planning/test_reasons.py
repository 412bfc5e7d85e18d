"""A suggestion's reasons are the planner's stored sentences, re-worded for the reader — never
re-derived (a cloud purchase decided on its echelon position, the fill-rate mode's trigger)."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
from flask_babel import refresh

from app.planning.reasons import reason_lines
from forecasting.inventory import LeadTime, ReplenishmentInput, StockPosition
from forecasting.network import plan_sku_network
from forecasting.protection import fit_error_pool
from forecasting.replenish import replenish, with_protection_scenarios


def _item(**overrides: Any) -> ReplenishmentInput:
    values: dict[str, Any] = {
        "sku": "SKU-1", "warehouse": "1", "daily_demand": [10.0] * 60, "demand_std_per_day": 2.0,
        "lead_time": LeadTime(mean_days=5, std_days=1, source="receipts"), "review_period_days": 7,
        "service_level": 0.95, "stock": StockPosition(on_hand=30, in_transit=5, on_order=10, reserved=5),
        "moq": 1, "pack_size": 1}
    values.update(overrides)
    return ReplenishmentInput(**values)


def _zh(app: Any, reasons: dict[str, str]) -> list[str]:
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        refresh()
        return reason_lines(json.dumps(reasons, ensure_ascii=False))


def _all_matched(app: Any, reasons: dict[str, str]) -> list[str]:
    lines = _zh(app, reasons)
    assert len(lines) == len(reasons)
    unmatched = [line for line, sentence in zip(lines, reasons.values(), strict=True) if line == sentence]
    assert unmatched == []  # every sentence the planner writes has a translated shape
    return lines


def test_service_level_and_fill_rate_reasons_say_what_the_planner_decided(app: Any) -> None:
    plain = replenish(_item()).reasons
    lines = _all_matched(app, plain)
    assert any("40" in line and "再订货点" in line for line in lines)
    fill = replenish(_item(fill_rate=0.98, service_level=None)).reasons
    assert "order-up-to level" in fill["trigger"]
    lines = _all_matched(app, fill)
    # the fill-rate mode orders against the order-up-to level, not the reorder point
    trigger = lines[list(fill).index("trigger")]
    assert "再订货点" not in trigger and "40" in trigger


def test_the_fill_rate_reason_on_past_forecast_errors_says_what_the_level_serves(app: Any) -> None:
    rng = np.random.default_rng(2)
    forecast = np.exp(rng.uniform(0, np.log(300), 400))
    pool = fit_error_pool(forecast, forecast * rng.lognormal(0, 0.4, 400), np.full(400, 0.3))
    assert pool is not None
    item = with_protection_scenarios([_item(fill_rate=0.9, service_level=None)], pool)[0]
    reasons = replenish(item).reasons
    assert "lost-sales review cycles" in reasons["safety_stock"]
    lines = _all_matched(app, reasons)
    assert "缺货不补的盘点周期内满足" in lines[list(reasons).index("safety_stock")]


def test_a_cloud_purchase_reads_its_echelon_position_not_the_cloud_stock(app: Any) -> None:
    cloud = _item(warehouse="9", stock=StockPosition(on_hand=40, in_transit=0, on_order=0, reserved=0))
    forward = _item(stock=StockPosition(on_hand=25, in_transit=0, on_order=0, reserved=0))
    plans = plan_sku_network(cloud, [forward], network_demand=True)
    purchase = next(p for p in plans if p.kind.lower() == "purchase")
    lines = _all_matched(app, purchase.reasons)
    assert lines[0].startswith("全网库存头寸 65")  # the echelon position: cloud 40 + forward 25
    assert any("全网需求" in line for line in lines)
    with app.test_request_context("/"):
        refresh()
        en = reason_lines(json.dumps(purchase.reasons))
    assert en[0].startswith("Network position 65 (cloud + forward warehouses) = on hand 65")


def test_a_sentence_of_unknown_shape_is_shown_as_stored(app: Any) -> None:
    assert _zh(app, {"position": "something new"}) == ["something new"]
