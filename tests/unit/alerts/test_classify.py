import datetime as dt

import pytest

from app.alerts.classify import StockSignal, classify, is_slow_mover, last_full_months, suggested_quantity


def sig(**kw):  # type: ignore[no-untyped-def]
    base = {"product_id": 1, "warehouse_id": 1, "on_hand": 0, "reserved": 0, "in_transit": 0, "on_order": 0,
            "demand_28d": 0, "reorder_point": None}
    return StockSignal(**{**base, **kw})


@pytest.mark.parametrize(("signal", "expected"), [
    # 28 units in 28 days = 1/day; 7 days of cover is the low-stock line.
    (sig(on_hand=6, demand_28d=28), ["low_stock"]),
    (sig(on_hand=7, demand_28d=28), []),
    (sig(on_hand=3, in_transit=2, on_order=2, demand_28d=28), []),       # position counts what is coming
    (sig(on_hand=5, reserved=5, demand_28d=28), ["low_stock", "stock_out"]),
    (sig(on_hand=0, demand_28d=0), []),                                   # no demand: no alarm
    (sig(on_hand=121, demand_28d=28), ["overstock"]),
    (sig(on_hand=500, demand_28d=0), []),                                 # no cover figure: slow-mover territory
    (sig(on_hand=30, demand_28d=28, reorder_point=40.0), ["low_stock"]),  # the forecast's reorder point wins
    (sig(on_hand=3, demand_28d=28, reorder_point=2.0), []),
])
def test_classify(signal: StockSignal, expected: list[str]) -> None:
    assert classify(signal, low_stock_days=7, overstock_days=120) == expected


def test_suggested_quantity_refills_above_the_threshold_plus_a_review_period() -> None:
    assert suggested_quantity(sig(on_hand=2, demand_28d=28), low_stock_days=7, review_period_days=7) == 12
    assert suggested_quantity(sig(on_hand=50, demand_28d=28), low_stock_days=7, review_period_days=7) == 1


@pytest.mark.parametrize(("months", "expected"), [([0, 4, 4], True), ([0, 5, 0], False), ([1, 1], False)])
def test_slow_mover_needs_three_months_below_the_threshold(months: list[int], expected: bool) -> None:
    assert is_slow_mover(months, 5) is expected


def test_last_full_months_cross_the_year_boundary() -> None:
    assert last_full_months(dt.date(2026, 2, 15)) == [
        (dt.date(2025, 11, 1), dt.date(2025, 12, 1)), (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
        (dt.date(2026, 1, 1), dt.date(2026, 2, 1))]
