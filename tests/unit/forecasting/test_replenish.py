import math

import pytest

from forecasting.inventory import (
    LeadTime,
    ReplenishmentInput,
    StockPosition,
    days_until_stockout,
    demand_between,
    demand_std_from_interval,
    lead_time_from_receipts,
    round_order,
)
from forecasting.replenish import replenish, z_for_service_level

Z95 = 1.6448536269514722


def item(**overrides):
    values = {
        "sku": "SKU-1",
        "warehouse": "BJ",
        "daily_demand": [10.0] * 30,
        "demand_std_per_day": 0.0,
        "lead_time": LeadTime(mean_days=5, std_days=0, source="receipts"),
        "review_period_days": 7,
        "service_level": 0.95,
        "stock": StockPosition(on_hand=30, in_transit=5, on_order=10, reserved=5),
        "moq": 1,
        "pack_size": 1,
    }
    values.update(overrides)
    return ReplenishmentInput(**values)


def test_order_is_order_up_to_minus_position_rounded_to_moq_then_pack():
    # position = 30 + 5 + 10 - 5 = 40; reorder point = 5 days × 10 = 50;
    # order up to = 50 + 7 × 10 = 120; need 80 → MOQ 100 → pack of 12 → 108
    result = replenish(item(moq=100, pack_size=12))
    assert result.position == 40
    assert result.lead_time_demand == pytest.approx(50)
    assert result.safety_stock == pytest.approx(0)
    assert result.reorder_point == pytest.approx(50)
    assert result.order_up_to == pytest.approx(120)
    assert result.needed_quantity == pytest.approx(80)
    assert result.suggested_quantity == 108
    assert "MOQ 100" in result.reasons["quantity"]


def test_no_order_when_position_is_above_the_reorder_point():
    result = replenish(item(stock=StockPosition(on_hand=45, in_transit=10)))
    assert result.position == 55
    assert result.suggested_quantity == 0
    assert result.needed_quantity == 0
    assert "no order needed" in result.reasons["trigger"]


def test_reserved_stock_lowers_the_position_and_triggers_an_order():
    free = replenish(item(stock=StockPosition(on_hand=60)))
    promised = replenish(item(stock=StockPosition(on_hand=60, reserved=20)))
    assert free.suggested_quantity == 0
    assert promised.position == 40
    assert promised.suggested_quantity == 80


def test_in_transit_and_on_order_count_towards_the_position():
    result = replenish(item(stock=StockPosition(on_hand=0, in_transit=30, on_order=30)))
    assert result.position == 60
    assert result.suggested_quantity == 0


def test_safety_stock_covers_demand_and_lead_time_variability():
    # SS = z × sqrt(L σ_d² + d² σ_L²) = 1.645 × sqrt(9 × 4² + 10² × 2²) = 1.645 × sqrt(544)
    result = replenish(
        item(demand_std_per_day=4.0, lead_time=LeadTime(9, 2, "receipts"))
    )
    assert result.safety_stock == pytest.approx(Z95 * math.sqrt(544))
    assert result.reorder_point == pytest.approx(90 + Z95 * math.sqrt(544))


def test_days_until_stockout_uses_available_stock_only():
    # available = 30 on hand − 5 reserved = 25 at 10 a day
    assert replenish(item()).days_until_stockout == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("available", "demand", "expected"),
    [
        (0, [5.0, 5.0], 0.0),
        (7.5, [5.0, 5.0], 1.5),
        (15, [5.0, 5.0], 3.0),  # past the horizon at the tail rate
        (10, [0.0, 0.0], None),
    ],
)
def test_days_until_stockout_table(available, demand, expected):
    got = days_until_stockout(available, demand)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("quantity", "moq", "pack", "expected"),
    [
        (0, 1, 1, 0),
        (-3, 10, 5, 0),
        (12.0, 1, 1, 12),
        (12.2, 1, 1, 13),
        (5, 10, 1, 10),
        (5, 10, 4, 12),
        (25, 10, 12, 36),
    ],
)
def test_round_order_rounds_up_to_units_then_moq_then_pack(
    quantity, moq, pack, expected
):
    assert round_order(quantity, moq, pack) == expected


def test_demand_between_prorates_fractional_days_and_extends_with_the_tail():
    daily = [1.0, 2.0, 3.0]
    assert demand_between(daily, 0, 1.5) == pytest.approx(1 + 1)
    assert demand_between(daily, 2, 5) == pytest.approx(
        3 + 2 * 2
    )  # tail mean of [1,2,3]


def test_lead_time_comes_from_receipts_when_there_are_enough():
    assert lead_time_from_receipts([5, 7, 9], price_list_days=14) == LeadTime(
        7, 2, "receipts"
    )


def test_lead_time_falls_back_to_price_list_with_assumed_variability():
    assert lead_time_from_receipts([5, 7], price_list_days=10) == LeadTime(
        10, 2.5, "price_list"
    )


def test_demand_std_is_read_from_the_upper_interval_bound():
    assert demand_std_from_interval(
        [10.0, 20.0], [10 + 1.96 * 3, 20 + 1.96 * 3], 95
    ) == (pytest.approx(3, rel=1e-3))


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.2])
def test_service_level_must_be_a_probability(level):
    with pytest.raises(ValueError, match="service_level"):
        z_for_service_level(level)


def test_z_for_95_percent_service_level():
    assert z_for_service_level(0.95) == pytest.approx(Z95)
