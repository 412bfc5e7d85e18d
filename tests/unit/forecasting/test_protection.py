"""Empirical protection-period demand (forecasting.protection) and its use by replenish()."""
import dataclasses

import numpy as np
import pytest

from forecasting import lost_sales, protection
from forecasting.inventory import LeadTime, ReplenishmentInput, StockPosition
from forecasting.replenish import allocate_fill_rates_to_items, replenish, with_protection_scenarios


def _pool(rng=None):
    """Past pairs: forecasts 1–200 units over P, actual = 1.2 × forecast × lognormal noise;
    SKUs forecast below one unit sold nothing in 90 % of the cases."""
    rng = rng or np.random.default_rng(3)
    forecast = np.exp(rng.uniform(0, np.log(200), 4000))
    actual = 1.2 * forecast * rng.lognormal(-0.125, 0.5, 4000)
    tiny = rng.uniform(0, 0.5, 1000)
    tiny_actual = np.where(rng.uniform(size=1000) < 0.9, 0.0, 3.0)
    cv = np.full(5000, 0.4)
    return protection.fit_error_pool(np.r_[forecast, tiny], np.r_[actual, tiny_actual], cv)


def test_the_pool_carries_the_bias_and_spread_of_past_errors_per_level():
    pool = _pool()
    assert pool is not None and pool.samples == 5000
    rows = protection.scenarios(pool, [50.0, 0.2], [0.4, 0.4])
    assert rows.shape == (2, protection.POINTS)
    assert rows[0].mean() == pytest.approx(60.0, rel=0.1)  # the 20 % under-forecast, measured
    assert np.median(rows[0] / 60.0) == pytest.approx(np.exp(-0.125), rel=0.1)
    # what (almost) never sells is mostly not stocked (its level bin also holds forecasts of 1–2 units)
    assert (rows[1] == 0).mean() > 0.6 and rows[1].mean() < 1.0


def test_too_few_pairs_give_no_pool_and_lengths_must_agree():
    assert protection.fit_error_pool([1.0] * 10, [1.0] * 10, [0.1] * 10) is None
    with pytest.raises(ValueError, match="same length"):
        protection.fit_error_pool([1.0, 2.0], [1.0], [0.1, 0.2])


def _item(sku, value_days=7.0):
    return ReplenishmentInput(
        sku=sku, warehouse="W", daily_demand=[3.0] * 28, demand_std_per_day=1.5,
        lead_time=LeadTime(value_days, 1.0, "price_list"), review_period_days=7, service_level=0.95,
        stock=StockPosition(on_hand=10), fill_rate=0.95)


def test_replenish_plans_on_the_scenarios_and_says_so():
    pool = _pool()
    items = with_protection_scenarios([_item("A"), _item("B")], pool)
    assert all(len(item.protection_scenarios or ()) == protection.POINTS for item in items)
    assert all(item.fill_rate_curve is not None for item in items)
    plan = replenish(items[0])
    rows = np.array([items[0].protection_scenarios])
    levels, rates = lost_sales.fill_rate_curves(rows, 7, 14)  # the fill rate over several lost-sales cycles
    assert plan.order_up_to == pytest.approx(lost_sales.level_for_fill_rate(0.95, levels, rates)[0])
    assert lost_sales.fill_rate_at(plan.order_up_to, levels, rates)[0] >= 0.95
    # the same level when the curve is not attached (computed on the spot)
    assert replenish(dataclasses.replace(items[0], fill_rate_curve=None)).order_up_to == plan.order_up_to
    assert plan.suggested_quantity == int(np.ceil(plan.order_up_to - 10))
    assert "from past forecast errors" in plan.reasons["safety_stock"]
    # dearer B gets less service when both share one target
    allocated = allocate_fill_rates_to_items(items, {"home": 0.9}, ["home", "home"], [1.0, 20.0], floor_share=0.5)
    assert allocated[1].fill_rate < allocated[0].fill_rate
