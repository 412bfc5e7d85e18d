import numpy as np
import pandas as pd
import pytest

from forecasting.evaluate import mase_by_series, seasonal_naive_forecast
from forecasting.history import classify_series, fill_gaps, validate_history
from forecasting.synthetic import make_daily_demand


def test_synthetic_demand_is_deterministic_for_a_seed():
    first = make_daily_demand(50, 120, seed=4)
    again = make_daily_demand(50, 120, seed=4)
    other = make_daily_demand(50, 120, seed=5)
    pd.testing.assert_frame_equal(first, again)
    assert not first["y"].equals(other["y"])


def test_synthetic_demand_meets_the_history_contract_with_head_and_tail():
    demand = make_daily_demand(200, 120, seed=1)
    classes = classify_series(fill_gaps(validate_history(demand)))
    assert set(classes["demand_class"]) >= {"smooth", "intermittent"}
    assert (demand["y"] >= 0).all()


def test_synthetic_demand_peaks_on_double_11():
    demand = make_daily_demand(
        100, 365, start="2025-01-01", seed=2, intermittent_share=0.0
    )
    daily = demand.groupby("ds")["y"].sum()
    assert daily[pd.Timestamp("2025-11-11")] > 3 * daily.median()


def test_seasonal_naive_repeats_the_last_season():
    train = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2025-01-01", periods=4),
            "y": [1.0, 2, 3, 4],
        }
    )
    naive = seasonal_naive_forecast(train, 3, season_length=2, freq="D")
    assert naive["yhat"].tolist() == [3.0, 4.0, 3.0]
    assert naive["ds"].iloc[0] == pd.Timestamp("2025-01-05")


def test_mase_divides_holdout_mae_by_in_sample_seasonal_naive_mae():
    train = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2025-01-01", periods=4),
            "y": [1.0, 3, 2, 6],
        }
    )
    # lag-1 in-sample errors: |3−1|, |2−3|, |6−2| → mean 7/3
    future = pd.date_range("2025-01-05", periods=2)
    actuals = pd.DataFrame({"unique_id": "a", "ds": future, "y": [4.0, 4.0]})
    forecasts = pd.DataFrame({"unique_id": "a", "ds": future, "yhat": [5.0, 2.0]})
    mase = mase_by_series(train, actuals, forecasts, season_length=1)
    assert mase["a"] == pytest.approx(1.5 / (7 / 3))
    assert np.isfinite(mase).all()
