import numpy as np
import pytest

from forecasting.fill_rate import (
    allocate_by_group,
    allocate_fill_rates,
    expected_fill_rate,
    expected_shortage,
    level_for_fill_rate,
    level_for_fill_rate_one,
)
from forecasting.inventory import LeadTime, ReplenishmentInput, StockPosition
from forecasting.replenish import allocate_fill_rates_to_items, replenish


@pytest.mark.parametrize("distribution", ["normal", "gamma"])
@pytest.mark.parametrize("level", [0.0, 8.0, 12.0, 20.0])
def test_loss_function_matches_a_monte_carlo_estimate(distribution, level):
    rng = np.random.default_rng(1)
    mean, std = 10.0, 4.0
    draws = (rng.normal(mean, std, 400_000) if distribution == "normal"
             else rng.gamma((mean / std) ** 2, std**2 / mean, 400_000))
    expected = np.maximum(draws - level, 0).mean()
    assert expected_shortage(level, mean, std, distribution)[0] == pytest.approx(expected, rel=0.02, abs=1e-3)


@pytest.mark.parametrize("distribution", ["normal", "gamma"])
def test_level_is_the_lowest_that_reaches_the_fill_rate_and_rises_with_it(distribution):
    levels = [level_for_fill_rate_one(b, 30.0, 12.0, 10.0, distribution) for b in (0.8, 0.9, 0.95, 0.99)]
    assert levels == sorted(levels) and len(set(levels)) == 4
    for beta, level in zip((0.8, 0.9, 0.95, 0.99), levels, strict=True):
        assert expected_fill_rate(level, 30.0, 12.0, 10.0, distribution)[0] == pytest.approx(beta, abs=1e-6)
        assert level == pytest.approx(level_for_fill_rate(beta, 30.0, 12.0, 10.0, distribution)[0])


def test_gamma_needs_more_stock_than_normal_for_skewed_lumpy_demand():
    # mean 2, σ 4 over the protection period: a normal puts 31 % of its mass below zero
    assert level_for_fill_rate_one(0.95, 2.0, 4.0, 0.8, "gamma") > level_for_fill_rate_one(0.95, 2.0, 4.0, 0.8)


def test_no_expected_demand_needs_no_stock():
    assert level_for_fill_rate_one(0.95, 0.0, 0.0, 0.0) == 0.0
    assert expected_fill_rate(0.0, 0.0, 0.0, 0.0)[0] == 1.0


def test_allocation_meets_the_group_target_for_less_value_than_one_rate_for_all():
    rng = np.random.default_rng(3)
    mean = rng.uniform(5, 80, 40)
    std = mean * rng.uniform(0.3, 1.2, 40)
    review = mean / 3
    value = rng.uniform(0.5, 40, 40)
    levels, rates = allocate_fill_rates(0.95, mean, std, review, value)
    short = expected_shortage(levels, mean, std).sum()
    group_rate = 1 - short / (review.sum() + short)  # lost sales: a unit short is not served later
    assert group_rate == pytest.approx(0.95, abs=1e-4)
    uniform = level_for_fill_rate(0.95, mean, std, review)
    assert (levels * value).sum() < (uniform * value).sum()
    # dear SKUs get less service, never below the floor
    assert rates[np.argmax(value)] < rates[np.argmin(value)] and rates.min() >= 0.85 * 0.95 - 1e-6


def test_each_group_gets_its_own_target_and_a_missing_target_is_refused():
    mean, std, review, value = [20.0] * 4, [8.0] * 4, [7.0] * 4, [1.0, 2.0, 1.0, 2.0]
    levels, _ = allocate_by_group({"A": 0.98, "C": 0.85}, ["A", "A", "C", "C"], mean, std, review, value)
    for idx, target in (([0, 1], 0.98), ([2, 3], 0.85)):
        short = expected_shortage(levels[idx], np.array(mean)[idx], np.array(std)[idx]).sum()
        assert 1 - short / (14.0 + short) == pytest.approx(target, abs=1e-4)
    with pytest.raises(ValueError, match="no target fill rate for group 'B'"):
        allocate_by_group({"A": 0.9}, ["A", "B", "A", "B"], mean, std, review, value)


def _item(**kw):
    values = {"sku": "S", "warehouse": "W", "daily_demand": [10.0] * 30, "demand_std_per_day": 4.0,
              "lead_time": LeadTime(7, 1, "receipts"), "review_period_days": 7, "service_level": 0.95,
              "stock": StockPosition(on_hand=50), "fill_rate": 0.95}
    values.update(kw)
    return ReplenishmentInput(**values)


def test_fill_rate_mode_orders_up_to_the_level_over_lead_time_plus_review():
    result = replenish(_item())
    sigma = (14 * 16 + 100 * 1) ** 0.5
    assert result.order_up_to == pytest.approx(level_for_fill_rate_one(0.95, 140.0, sigma, 70.0), rel=1e-6)
    assert result.safety_stock == pytest.approx(result.order_up_to - 140.0)
    assert result.reorder_point == pytest.approx(70.0 + result.safety_stock)
    assert result.suggested_quantity == math_ceil(result.order_up_to - 50)
    assert "target fill rate 95.0%" in result.reasons["safety_stock"]


def math_ceil(x: float) -> int:
    import math

    return math.ceil(x - 1e-9)


def test_fill_rate_mode_validates_the_target():
    with pytest.raises(ValueError, match="fill_rate must be in"):
        replenish(_item(fill_rate=1.0))
    with pytest.raises(ValueError, match="distribution must be one of"):
        replenish(_item(distribution="poisson"))


def test_items_get_the_allocated_rates_and_replenish_reproduces_the_allocation():
    items = [_item(sku=f"S{i}", demand_std_per_day=2.0 + i) for i in range(4)]
    allocated = allocate_fill_rates_to_items(items, {"home": 0.9}, ["home"] * 4, [1.0, 5.0, 1.0, 5.0])
    assert all(0 < item.fill_rate < 1 for item in allocated)
    assert allocated[1].fill_rate < allocated[0].fill_rate  # dearer, same demand: less service
    with pytest.raises(ValueError, match="same length"):
        allocate_fill_rates_to_items(items, {"home": 0.9}, ["home"], [1.0])
    with pytest.raises(ValueError, match="target fill rate of 'home'"):
        allocate_fill_rates_to_items(items, {"home": 1.5}, ["home"] * 4, [1.0] * 4)


def test_spread_calibration_measures_bias_and_how_much_wider_errors_were():
    from forecasting.calibration import calibrate_spread

    rng = np.random.default_rng(5)
    forecast = np.full(4000, 100.0)
    actual = 110.0 + rng.normal(0, 30, 4000)  # 10 % low, errors σ 30 where the interval said 10
    for method in ("rms", "quantile"):
        cal = calibrate_spread(forecast, actual, np.full(4000, 10.0), method=method)
        assert cal.bias == pytest.approx(1.1, abs=0.01)
        assert cal.spread == pytest.approx(30 / 11, rel=0.08)  # σ after bias: 30 vs 1.1 × 10
    with pytest.raises(ValueError, match="method"):
        calibrate_spread(forecast, actual, np.full(4000, 10.0), method="median")
    assert calibrate_spread([], [], []).spread == 1.0


def test_the_normal_fallback_uses_the_lost_sales_fill_rate():
    mean, std, review = 40.0, 12.0, 20.0
    for beta in (0.8, 0.95):
        level = level_for_fill_rate_one(beta, mean, std, review)
        short = expected_shortage(level, mean, std)[0]
        assert 1 - short / (review + short) == pytest.approx(beta, abs=1e-6)  # lost sales, not 1 − ESC / D_R
