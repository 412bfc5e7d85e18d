"""Empirical protection-period demand (forecasting.protection) and its use by replenish()."""
import dataclasses

import numpy as np
import pytest

from forecasting import lost_sales, protection
from forecasting.replenish import (
    LeadTime,
    ReplenishmentInput,
    StockPosition,
    allocate_fill_rates_to_items,
    replenish,
    with_protection_scenarios,
)


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


def test_exact_level_is_the_lowest_that_reaches_the_fill_rate_and_matches_brute_force():
    rng = np.random.default_rng(1)
    rows = np.sort(rng.gamma(0.4, 12, size=(40, 200)), axis=1)
    rows[:5] = 0.0
    d_r = rows.mean(axis=1) * 0.5
    for beta in (0.5, 0.9, 0.99):
        level = protection.level_for_fill_rate(beta, rows, d_r)
        grid = np.linspace(0, rows.max(), 20001)
        for i in range(5, 40):
            short = np.maximum(rows[i][None, :] - grid[:, None], 0).mean(axis=1)
            fill = 1 - short / (d_r[i] + short)  # lost sales: a unit short is not served later
            brute = grid[np.argmax(fill >= beta)]
            assert level[i] == pytest.approx(brute, abs=grid[1] * 1.01)
        assert protection.expected_fill_rate(level, rows, d_r)[5:] == pytest.approx(beta, abs=1e-9)
        assert (level[:5] == 0).all()


def test_allocation_meets_the_target_for_less_value_than_one_rate_for_all():
    rng = np.random.default_rng(2)
    rows = np.sort(rng.gamma(0.5, 20, size=(60, 200)), axis=1)
    d_r = rows.mean(axis=1) * 0.5
    value = rng.uniform(1, 50, 60)
    levels, rates = protection.allocate_fill_rates(0.9, rows, d_r, value, floor_share=0.5)
    assert (levels == np.round(levels)).all()  # whole units, as orders are
    short = protection.expected_shortage(levels, rows).sum()
    assert 1 - short / (d_r.sum() + short) >= 0.9  # lost sales
    assert 1 - short / (d_r.sum() + short) == pytest.approx(0.9, abs=5e-3)  # whole units: a little over
    assert rates.min() >= 0.45 - 1e-9
    uniform = protection.level_for_fill_rate(0.9, rows, d_r)
    assert (levels * value).sum() < (uniform * value).sum()


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
