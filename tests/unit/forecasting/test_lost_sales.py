"""Multi-cycle lost-sales fill rate of order-up-to levels (forecasting.lost_sales)."""
import numpy as np
import pytest

from forecasting import lost_sales, protection
from forecasting.fill_rate import fill_rate_of


def _period_loop(level, period_demand, lead_periods, warmup=6):
    """A plain scalar replay of the same system: order up to ``level`` at every review, orders
    arriving ``lead_periods`` reviews later (within the period pro rata), unmet demand lost;
    the fill rate after ``warmup`` periods."""
    whole = int(np.floor(lead_periods + 1e-9))
    part = lead_periods - whole
    on_hand, pipeline, served = float(level), [0.0] * whole, 0.0
    for t, d in enumerate(period_demand):
        if part == 0 and whole > 0:
            on_hand += pipeline.pop(0)
        pipeline.append(max(level - on_hand - sum(pipeline), 0.0))
        if part == 0 and whole == 0:
            on_hand += pipeline.pop(0)
        first = min(on_hand, d * part)
        on_hand -= first
        if part > 0:
            on_hand += pipeline.pop(0)
        rest = min(on_hand, d * (1 - part))
        on_hand -= rest
        served += (first + rest) if t >= warmup else 0.0
    return served / sum(period_demand[warmup:])


def test_a_sku_that_always_sells_out_serves_the_level_every_two_periods_at_lead_time_equal_to_review():
    rng = np.random.default_rng(4)
    rows = np.sort(rng.uniform(500, 1500, size=(3, 200)), axis=1)  # over P = 14 days: 250–750 a week
    levels, rates = lost_sales.fill_rate_curves(rows, 7, 14)
    for level in (50.0, 120.0, 200.0):  # below any week's demand: every week sells out
        expected = level / rows.mean(axis=1)  # S ÷ demand over two review periods
        assert lost_sales.fill_rate_at(level, levels, rates) == pytest.approx(expected, rel=0.02)
        single = fill_rate_of(protection.expected_shortage(level, rows), protection.review_demand(rows, 7, 14))
        assert (np.abs(single - expected) > 0.1).all()  # what the single-cycle formula gets wrong


def test_the_curve_matches_a_plain_replay_for_outstanding_and_fractional_lead_times():
    # each path keeps one scenario's rate: the fill rate is the scenarios' units served over
    # many periods at that rate ÷ their units demanded
    rng = np.random.default_rng(5)
    rows = np.sort(rng.gamma(0.6, 30, size=(3, 200)), axis=1)
    for review, period in ((7, 21), (7, 10), (7, 14), (7, 7)):
        levels, rates = lost_sales.fill_rate_curves(rows, review, period, paths=200, cycles=60)
        lead = (period - review) / review
        for i in range(3):
            for k in (3, 8, 14, 20):
                served = [_period_loop(levels[i, k], [x * review / period] * 60, lead) * x for x in rows[i]]
                assert rates[i, k] == pytest.approx(sum(served) / rows[i].sum(), abs=0.01)


def test_curves_are_deterministic_non_decreasing_and_full_at_the_largest_scenario():
    rng = np.random.default_rng(6)
    rows = np.sort(rng.gamma(0.3, 10, size=(30, 200)), axis=1)
    rows[:3] = 0.0
    levels, rates = lost_sales.fill_rate_curves(rows, 7, 21)
    again = lost_sales.fill_rate_curves(rows, 7, 21)
    assert (levels == again[0]).all() and (rates == again[1]).all()
    assert (np.diff(levels, axis=1) >= 0).all() and (np.diff(rates, axis=1) >= 0).all()
    assert (levels == np.ceil(levels)).all()
    assert (rates[:, -1] == pytest.approx(1.0)) and (rates[:3] == 1.0).all()
    assert (rates[3:, 0] == 0.0).all()  # nothing stocked, nothing served


def test_level_for_fill_rate_is_the_lowest_on_the_curve_in_whole_units():
    rng = np.random.default_rng(7)
    rows = np.sort(rng.gamma(1.0, 20, size=(20, 200)), axis=1)
    levels, rates = lost_sales.fill_rate_curves(rows, 7, 14)
    for beta in (0.6, 0.9, 0.97):
        level = lost_sales.level_for_fill_rate(beta, levels, rates)
        assert (level == np.ceil(level)).all()
        assert (lost_sales.fill_rate_at(level, levels, rates) >= beta - 1e-9).all()
        assert (lost_sales.fill_rate_at(level - 1, levels, rates) < beta).all()


def test_allocation_serves_the_target_for_less_value_than_one_rate_for_all():
    rng = np.random.default_rng(8)
    rows = np.sort(rng.gamma(0.5, 20, size=(80, 200)), axis=1)
    d_r = protection.review_demand(rows, 7, 14)
    value = rng.uniform(1, 50, 80)
    levels, rates = lost_sales.fill_rate_curves(rows, 7, 14)
    chosen, fill = lost_sales.allocate(0.9, levels, rates, d_r, value, floor_share=0.5)
    assert (d_r * fill).sum() / d_r.sum() == pytest.approx(0.9, abs=5e-3)
    assert (d_r * fill).sum() / d_r.sum() >= 0.9
    assert fill.min() >= 0.45 - 1e-9
    assert (fill == lost_sales.fill_rate_at(chosen, levels, rates)).all()
    uniform = lost_sales.level_for_fill_rate(0.9, levels, rates)
    assert (chosen * value).sum() < (uniform * value).sum()
    assert (lost_sales.level_for_fill_rate(fill, levels, rates) <= chosen).all()
    with pytest.raises(ValueError, match="target"):
        lost_sales.allocate(1.2, levels, rates, d_r, value, floor_share=0.5)
